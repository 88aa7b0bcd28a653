#if canImport(Glibc)
    import Glibc
#endif

/// `google.protobuf.Timestamp`: seconds since the Unix epoch (UTC) plus nanoseconds. Boundary
/// writes it as an RFC 3339 string in JSON (protojson) and as fields 1/2 in protobuf.
///
/// The valid range is protojson's: 0001-01-01T00:00:00Z through 9999-12-31T23:59:59.999999999Z.
/// Everything here is calendar arithmetic on integers: no Foundation, no time zone database.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var seconds: Int64
    /// 0 ..< 1_000_000_000.
    public var nanos: Int32

    /// 0001-01-01T00:00:00Z.
    public static let minimumSeconds: Int64 = -62_135_596_800
    /// 9999-12-31T23:59:59Z.
    public static let maximumSeconds: Int64 = 253_402_300_799

    public init(seconds: Int64, nanos: Int32 = 0) {
        self.seconds = seconds
        self.nanos = nanos
    }

    /// From a floating-point count of seconds since the epoch (microsecond precision is kept).
    public init(secondsSinceEpoch value: Double) {
        let whole = value.rounded(.down)
        var nanos = ((value - whole) * 1e9).rounded()
        var seconds = Int64(whole)
        if nanos >= 1e9 {
            nanos -= 1e9
            seconds += 1
        }
        self.init(seconds: seconds, nanos: Int32(nanos))
    }

    /// The wall clock now (CLOCK_REALTIME).
    public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(seconds: Int64(ts.tv_sec), nanos: Int32(ts.tv_nsec))
    }

    public var secondsSinceEpoch: Double { Double(seconds) + Double(nanos) / 1e9 }

    public var isValid: Bool {
        seconds >= Timestamp.minimumSeconds && seconds <= Timestamp.maximumSeconds && nanos >= 0
            && nanos < 1_000_000_000
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool {
        (a.seconds, a.nanos) < (b.seconds, b.nanos)
    }

    public func adding(seconds delta: Int64) -> Timestamp {
        Timestamp(seconds: seconds + delta, nanos: nanos)
    }

    public var description: String { rfc3339 }
}

// MARK: - RFC 3339

extension Timestamp {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` (RFC 3339 §5.6; `t`/`z` accepted in lower
    /// case as §5.6 allows). Up to nine fraction digits; leap seconds (`:60`) are refused, as Go's
    /// time package refuses them.
    public init(rfc3339 text: String) throws {
        let b = Array(text.utf8)
        let bad = BoundaryWireError.invalidTimestamp(text)
        var i = 0
        func digits(_ count: Int) throws -> Int64 {
            guard i + count <= b.count else { throw bad }
            var v: Int64 = 0
            for _ in 0..<count {
                let c = b[i]
                guard c >= 0x30, c <= 0x39 else { throw bad }
                v = v * 10 + Int64(c - 0x30)
                i += 1
            }
            return v
        }
        func expect(_ c: UInt8, or alternative: UInt8? = nil) throws {
            guard i < b.count, b[i] == c || (alternative != nil && b[i] == alternative!) else { throw bad }
            i += 1
        }
        let year = try digits(4)
        try expect(UInt8(ascii: "-"))
        let month = try digits(2)
        try expect(UInt8(ascii: "-"))
        let day = try digits(2)
        try expect(UInt8(ascii: "T"), or: UInt8(ascii: "t"))
        let hour = try digits(2)
        try expect(UInt8(ascii: ":"))
        let minute = try digits(2)
        try expect(UInt8(ascii: ":"))
        let second = try digits(2)
        var nanos: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var count = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                guard count < 9 else { throw bad }
                nanos = nanos * 10 + Int64(b[i] - 0x30)
                count += 1
                i += 1
            }
            guard count > 0 else { throw bad }
            for _ in count..<9 { nanos *= 10 }
        }
        var offset: Int64 = 0
        guard i < b.count else { throw bad }
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign: Int64 = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            let oh = try digits(2)
            try expect(UInt8(ascii: ":"))
            let om = try digits(2)
            guard oh <= 23, om <= 59 else { throw bad }
            offset = sign * (oh * 3600 + om * 60)
        default:
            throw bad
        }
        guard i == b.count else { throw bad }
        guard year >= 1, month >= 1, month <= 12, day >= 1, day <= Timestamp.daysIn(month: month, year: year),
            hour <= 23, minute <= 59, second <= 59
        else { throw bad }
        let days = Timestamp.daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        self.init(seconds: seconds, nanos: Int32(nanos))
        guard isValid else { throw bad }
    }

    /// UTC with a `Z`, and 0, 3, 6 or 9 fraction digits, exactly as protojson writes it
    /// (`2024-01-02T03:04:05.123456Z`).
    public var rfc3339: String {
        let days = Timestamp.floorDiv(seconds, 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = Timestamp.civilFromDays(days)
        var out: [UInt8] = []
        out.reserveCapacity(30)
        func put(_ value: Int64, width: Int) {
            var digits = [UInt8](repeating: 0x30, count: width)
            var v = value
            var k = width - 1
            while k >= 0 {
                digits[k] = 0x30 + UInt8(v % 10)
                v /= 10
                k -= 1
            }
            out.append(contentsOf: digits)
        }
        put(year, width: 4)
        out.append(UInt8(ascii: "-"))
        put(month, width: 2)
        out.append(UInt8(ascii: "-"))
        put(day, width: 2)
        out.append(UInt8(ascii: "T"))
        put(secondOfDay / 3600, width: 2)
        out.append(UInt8(ascii: ":"))
        put(secondOfDay / 60 % 60, width: 2)
        out.append(UInt8(ascii: ":"))
        put(secondOfDay % 60, width: 2)
        let n = Int64(nanos)
        if n != 0 {
            out.append(UInt8(ascii: "."))
            if n % 1_000_000 == 0 {
                put(n / 1_000_000, width: 3)
            } else if n % 1000 == 0 {
                put(n / 1000, width: 6)
            } else {
                put(n, width: 9)
            }
        }
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    static func isLeap(_ year: Int64) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The inverse of `daysFromCivil`.
    static func civilFromDays(_ z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (month <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, month, day)
    }
}

// MARK: - Protobuf

extension Timestamp {
    /// Field 1 `seconds` (int64), field 2 `nanos` (int32); zero fields are left out as proto3 does.
    public var protobuf: ProtobufWriter {
        var w = ProtobufWriter()
        if seconds != 0 { w.writeInt(field: 1, seconds) }
        if nanos != 0 { w.writeInt(field: 2, Int64(nanos)) }
        return w
    }

    public init(protobuf bytes: ArraySlice<UInt8>) throws {
        var reader = ProtobufReader(bytes)
        var seconds: Int64 = 0
        var nanos: Int32 = 0
        while let field = try reader.next() {
            switch field.number {
            case 1: seconds = try field.int64()
            case 2: nanos = try field.int32()
            default: continue
            }
        }
        self.init(seconds: seconds, nanos: nanos)
        guard isValid else { throw ProtobufError.valueOutOfRange(field: nanos < 0 || nanos >= 1_000_000_000 ? 2 : 1) }
    }
}
