/// An IPv6 address. Parsing accepts the RFC 4291 §2.2 text forms: eight groups of 1-4 hex digits,
/// one "::" for a run of zero groups, and a trailing dotted quad ("::ffff:192.0.2.1"). Zone IDs
/// ("fe80::1%eth0") are refused: no key we read means a link-local address. Printing follows
/// RFC 5952 §4: lower case, no leading zeros, the longest run of two or more zero groups (the first
/// on a tie) as "::", and §5's dotted quad for IPv4-mapped addresses (::ffff:0:0/96).
public struct IPv6Address: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The first 8 bytes, big-endian (fd5b:c1a6:e7a0:: has high 0xfd5b_c1a6_e7a0_0000).
    public var high: UInt64
    /// The last 8 bytes, big-endian.
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// From 16 bytes in network order; nil for any other count.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var h: UInt64 = 0
        var l: UInt64 = 0
        for (i, byte) in bytes.enumerated() {
            if i < 8 { h = h << 8 | UInt64(byte) } else { l = l << 8 | UInt64(byte) }
        }
        high = h
        low = l
    }

    /// From eight 16-bit groups; nil for any other count.
    public init?(groups: [UInt16]) {
        guard groups.count == 8 else { return nil }
        var h: UInt64 = 0
        var l: UInt64 = 0
        for i in 0..<4 { h = h << 16 | UInt64(groups[i]) }
        for i in 4..<8 { l = l << 16 | UInt64(groups[i]) }
        high = h
        low = l
    }

    /// Parses RFC 4291 text; nil if `text` is anything else.
    public init?(_ text: some StringProtocol) {
        guard let groups = IPv6Address.parseGroups(Array(text.utf8)) else { return nil }
        self.init(groups: groups)
    }

    /// The eight 16-bit groups, most significant first.
    public var groups: [UInt16] {
        (0..<8).map { i in
            let word = i < 4 ? high : low
            return UInt16(truncatingIfNeeded: word >> (16 * (3 - UInt64(i % 4))))
        }
    }

    /// The 16 bytes in network order (what `in6_addr` wants).
    public var bytes: [UInt8] {
        (0..<16).map { i in
            let word = i < 8 ? high : low
            return UInt8(truncatingIfNeeded: word >> (8 * (7 - UInt64(i % 8))))
        }
    }

    /// True for ::ffff:0:0/96, printed with a dotted quad per RFC 5952 §5.
    public var isIPv4Mapped: Bool { high == 0 && low >> 32 == 0xffff }

    public var description: String {
        let g = groups
        if isIPv4Mapped {
            return "::ffff:" + IPv4Address(value: UInt32(truncatingIfNeeded: low)).description
        }
        // RFC 5952 §4.2.2-4.2.3: compress the longest run of at least two zero groups, the first
        // one if two runs tie; a lone zero group stays "0".
        var bestStart = -1
        var bestLength = 1
        var runStart = -1
        for i in 0...8 {
            if i < 8 && g[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength {
                    bestStart = runStart
                    bestLength = i - runStart
                }
                runStart = -1
            }
        }
        func hex(_ range: Range<Int>) -> String {
            range.map { String(g[$0], radix: 16) }.joined(separator: ":")
        }
        guard bestStart >= 0 else { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    public static func < (a: IPv6Address, b: IPv6Address) -> Bool { (a.high, a.low) < (b.high, b.low) }

    private static func hexValue(_ byte: UInt8) -> UInt16? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt16(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt16(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt16(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    /// Splits on ':' into groups, expanding "::" and a trailing dotted quad.
    private static func parseGroups(_ text: [UInt8]) -> [UInt16]? {
        let colon = UInt8(ascii: ":")
        guard text.count >= 2, text.count <= 45 else { return nil }  // 45: INET6_ADDRSTRLEN - 1
        var head: [UInt16] = []  // groups before "::"
        var tail: [UInt16] = []  // groups after "::"
        var sawDoubleColon = false
        var i = 0
        if text[0] == colon {
            // A leading colon must be the start of "::".
            guard text[1] == colon else { return nil }
            sawDoubleColon = true
            i = 2
            if i == text.count { return [UInt16](repeating: 0, count: 8) }
        }
        while i < text.count {
            // One field: hex group, or a dotted quad if it is the last field.
            var j = i
            while j < text.count && text[j] != colon { j += 1 }
            let field = text[i..<j]
            guard !field.isEmpty else { return nil }
            if field.contains(UInt8(ascii: ".")) {
                guard j == text.count, let v4 = IPv4Address(String(decoding: field, as: UTF8.self)) else { return nil }
                let pair = [UInt16(v4.value >> 16), UInt16(truncatingIfNeeded: v4.value)]
                if sawDoubleColon { tail += pair } else { head += pair }
                i = j
                break
            }
            guard field.count <= 4 else { return nil }
            var group: UInt16 = 0
            for byte in field {
                guard let h = hexValue(byte) else { return nil }
                group = group << 4 | h
            }
            if sawDoubleColon { tail.append(group) } else { head.append(group) }
            i = j
            if i < text.count {
                // At a colon: "::" (once), or a separator that must be followed by another field.
                i += 1
                if i < text.count && text[i] == colon {
                    guard !sawDoubleColon else { return nil }
                    sawDoubleColon = true
                    i += 1
                } else if i == text.count {
                    return nil  // trailing single colon
                }
            }
        }
        if sawDoubleColon {
            // "::" stands for at least one zero group (RFC 5952 §4.2.2 forbids it for one, but
            // RFC 4291 text allows it, and we read what others write).
            guard head.count + tail.count <= 7 else { return nil }
            return head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard head.count == 8 else { return nil }
        return head
    }
}
