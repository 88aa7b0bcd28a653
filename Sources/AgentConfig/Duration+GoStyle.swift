/// Go's duration text (`time.ParseDuration`), which the upstream agent's config uses: a sequence of
/// decimal numbers, each with an optional fraction and a unit, such as "300ms", "1.5h" or "1h30m".
/// Units: ns, us (or µs), ms, s, m, h. Whole values are exact to the nanosecond.
extension Duration {
    /// Parses Go duration text; nil for anything else. `GoDuration.parse` says why.
    public init?(goStyle text: String) {
        guard case .success(let d) = GoDuration.parse(text) else { return nil }
        self = d
    }

    /// The shortest Go-style text that parses back to this duration: "1m", "1h30m", "500ms",
    /// "1.5s", "0s". Sub-nanosecond parts (which config text cannot express) are dropped.
    public var goStyleDescription: String {
        GoDuration.format(nanoseconds: GoDuration.nanoseconds(self))
    }
}

/// The parser and printer behind `Duration(goStyle:)`, with reasons the config can report.
public enum GoDuration {
    public enum ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        case empty
        /// A number with no unit after it ("60"); Go accepts only "0" that way.
        case missingUnit(String)
        case unknownUnit(String)
        /// Anything that is not number+unit pairs.
        case malformed
        /// Over Int64 nanoseconds (about 292 years).
        case tooLarge

        public var description: String {
            switch self {
            case .empty: return "empty duration"
            case .missingUnit(let n): return "missing unit after \(n) (use ns, us, ms, s, m or h, as in \"\(n)s\")"
            case .unknownUnit(let u): return "unknown unit \"\(u)\" (use ns, us, ms, s, m or h)"
            case .malformed: return "expected numbers with units, such as \"90s\" or \"1h30m\""
            case .tooLarge: return "too large (the maximum is about 292 years)"
            }
        }
    }

    private static let units: [(String, Int64)] = [
        ("ns", 1), ("us", 1_000), ("µs", 1_000), ("μs", 1_000), ("ms", 1_000_000),
        ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
    ]

    /// Parses like Go's `time.ParseDuration`, including a sign and "0" without a unit.
    public static func parse(_ text: String) -> Result<Duration, ParseError> {
        let scalars = Array(text.unicodeScalars)
        guard !scalars.isEmpty else { return .failure(.empty) }
        var i = 0
        var negative = false
        if scalars[0] == "-" || scalars[0] == "+" {
            negative = scalars[0] == "-"
            i = 1
        }
        if i == scalars.count - 1 && scalars[i] == "0" { return .success(.zero) }
        guard i < scalars.count else { return .failure(.malformed) }
        var total: Int64 = 0
        while i < scalars.count {
            // Whole part.
            let numberStart = i
            var whole: Int64 = 0
            var wholeDigits = 0
            var overflow = false
            while i < scalars.count, let d = digit(scalars[i]) {
                let (m, o1) = whole.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(d)
                overflow = overflow || o1 || o2
                whole = s
                wholeDigits += 1
                i += 1
            }
            // Fraction: up to 18 digits count (10^18 fits in Int64; more cannot change a nanosecond).
            var fraction: UInt64 = 0
            var scale: UInt64 = 1
            var fractionDigits = 0
            if i < scalars.count && scalars[i] == "." {
                i += 1
                while i < scalars.count, let d = digit(scalars[i]) {
                    if fractionDigits < 18 {
                        fraction = fraction * 10 + UInt64(d)
                        scale *= 10
                    }
                    fractionDigits += 1
                    i += 1
                }
            }
            guard wholeDigits + fractionDigits > 0 else { return .failure(.malformed) }
            guard !overflow else { return .failure(.tooLarge) }
            // Unit: letters up to the next digit or '.'.
            let unitStart = i
            while i < scalars.count, digit(scalars[i]) == nil, scalars[i] != "." { i += 1 }
            let number = String(String.UnicodeScalarView(scalars[numberStart..<unitStart]))
            guard unitStart < i else { return .failure(.missingUnit(number)) }
            let unit = String(String.UnicodeScalarView(scalars[unitStart..<i]))
            guard let multiplier = units.first(where: { $0.0 == unit })?.1 else {
                return .failure(.unknownUnit(unit))
            }
            let (wholeNanos, o1) = whole.multipliedReportingOverflow(by: multiplier)
            // fraction/scale of a unit in nanoseconds, exactly, truncated (as Go does). The quotient
            // is below `multiplier` because fraction < scale.
            let product = fraction.multipliedFullWidth(by: UInt64(multiplier))
            let fractionNanos = Int64(scale.dividingFullWidth(product).quotient)
            let (partNanos, o2) = wholeNanos.addingReportingOverflow(fractionNanos)
            let (sum, o3) = total.addingReportingOverflow(partNanos)
            guard !o1, !o2, !o3 else { return .failure(.tooLarge) }
            total = sum
        }
        return .success(.nanoseconds(negative ? -total : total))
    }

    private static func digit(_ scalar: Unicode.Scalar) -> Int64? {
        guard scalar.value >= 0x30, scalar.value <= 0x39 else { return nil }
        return Int64(scalar.value - 0x30)
    }

    /// Whole nanoseconds in `d`, truncated toward zero; saturates at the Int64 range.
    static func nanoseconds(_ d: Duration) -> Int64 {
        let (seconds, attoseconds) = d.components
        let (n, o1) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, o2) = n.addingReportingOverflow(attoseconds / 1_000_000_000)
        if o1 || o2 { return seconds < 0 ? Int64.min : Int64.max }
        return sum
    }

    static func format(nanoseconds: Int64) -> String {
        if nanoseconds == 0 { return "0s" }
        if nanoseconds < 0 {
            // Int64.min has no positive counterpart; it is beyond any config value anyway.
            return "-" + format(magnitude: nanoseconds.magnitude)
        }
        return format(magnitude: nanoseconds.magnitude)
    }

    private static func format(magnitude n: UInt64) -> String {
        let second: UInt64 = 1_000_000_000
        if n < second {
            if n % 1_000_000 == 0 { return "\(n / 1_000_000)ms" }
            if n % 1_000 == 0 { return "\(n / 1_000)us" }
            return "\(n)ns"
        }
        let hours = n / (3600 * second)
        let minutes = n / (60 * second) % 60
        let seconds = n / second % 60
        let rest = n % second
        var text = ""
        if hours > 0 { text += "\(hours)h" }
        if minutes > 0 { text += "\(minutes)m" }
        if seconds > 0 || rest > 0 {
            text += "\(seconds)"
            if rest > 0 {
                var digits = String(rest)
                digits = String(repeating: "0", count: 9 - digits.count) + digits
                while digits.hasSuffix("0") { digits.removeLast() }
                text += "." + digits
            }
            text += "s"
        }
        return text
    }
}
