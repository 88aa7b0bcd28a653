/// IPv4 and IPv6 addresses as plain values: the A and AAAA record data, and the alias addresses the broker
/// pushes. Foundation-free; parsing accepts only the canonical textual forms (RFC 4291 §2.2 for v6).

/// An IPv4 address; `value` holds the four octets in network order (`a.b.c.d` is `a << 24 | ... | d`).
public struct IPv4Address: Hashable, Sendable, CustomStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) {
        self.value = value
    }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        self.value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad text (`192.0.2.1`); nil for anything else (no leading zeros, no short forms).
    public init?(_ text: String) {
        var value: UInt32 = 0
        var octets = 0
        var current: UInt32 = 0
        var digits = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if digits == 1 && current == 0 { return nil }  // leading zero
                current = current * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                if digits > 3 || current > 255 { return nil }
            case UInt8(ascii: "."):
                if digits == 0 || octets == 3 { return nil }
                value = value << 8 | current
                octets += 1
                current = 0
                digits = 0
            default:
                return nil
            }
        }
        guard digits > 0, octets == 3 else { return nil }
        self.value = value << 8 | current
    }

    /// The four octets in network order.
    public var bytes: (UInt8, UInt8, UInt8, UInt8) {
        (
            UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
            UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)
        )
    }

    public var description: String {
        let b = bytes
        return "\(b.0).\(b.1).\(b.2).\(b.3)"
    }
}

/// An IPv6 address; `high` holds bytes 0..<8 and `low` bytes 8..<16, each big-endian.
public struct IPv6Address: Hashable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// From sixteen bytes in network order; nil unless exactly 16.
    public init?<Bytes: Collection>(bytes: Bytes) where Bytes.Element == UInt8 {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 {
                high = high << 8 | UInt64(byte)
            } else {
                low = low << 8 | UInt64(byte)
            }
        }
        self.high = high
        self.low = low
    }

    /// Parses RFC 4291 text: eight groups, `::` once, an embedded dotted quad at the end. No zone index.
    public init?(_ text: String) {
        var groups: [UInt16] = []
        groups.reserveCapacity(8)
        var gapIndex: Int? = nil
        let utf8 = Array(text.utf8)
        var index = 0
        if utf8.count >= 2 && utf8[0] == UInt8(ascii: ":") && utf8[1] == UInt8(ascii: ":") {
            gapIndex = 0
            index = 2
        } else if utf8.first == UInt8(ascii: ":") {
            return nil
        }
        while index < utf8.count {
            // One group, or a trailing dotted quad.
            var end = index
            var sawDot = false
            while end < utf8.count && utf8[end] != UInt8(ascii: ":") {
                if utf8[end] == UInt8(ascii: ".") { sawDot = true }
                end += 1
            }
            if sawDot {
                guard end == utf8.count, groups.count <= 6,
                    let v4 = IPv4Address(String(decoding: utf8[index..<end], as: UTF8.self))
                else { return nil }
                groups.append(UInt16(truncatingIfNeeded: v4.value >> 16))
                groups.append(UInt16(truncatingIfNeeded: v4.value))
                index = end
                break
            }
            let length = end - index
            guard length >= 1 && length <= 4 else { return nil }
            var group: UInt16 = 0
            for byte in utf8[index..<end] {
                guard let nibble = IPv6Address.hexValue(byte) else { return nil }
                group = group << 4 | UInt16(nibble)
            }
            groups.append(group)
            guard groups.count <= 8 else { return nil }
            index = end
            if index < utf8.count {
                // A colon; a second one right after it is the gap.
                index += 1
                if index < utf8.count && utf8[index] == UInt8(ascii: ":") {
                    guard gapIndex == nil else { return nil }
                    gapIndex = groups.count
                    index += 1
                } else if index == utf8.count {
                    return nil  // trailing single colon
                }
            }
        }
        if let gap = gapIndex {
            guard groups.count < 8 else { return nil }
            groups.insert(contentsOf: repeatElement(0, count: 8 - groups.count), at: gap)
        }
        guard groups.count == 8 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for i in 0..<4 { high = high << 16 | UInt64(groups[i]) }
        for i in 4..<8 { low = low << 16 | UInt64(groups[i]) }
        self.high = high
        self.low = low
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// The sixteen bytes in network order.
    public var bytes: [UInt8] {
        var result = [UInt8]()
        result.reserveCapacity(16)
        for shift in stride(from: 56, through: 0, by: -8) {
            result.append(UInt8(truncatingIfNeeded: high >> UInt64(shift)))
        }
        for shift in stride(from: 56, through: 0, by: -8) {
            result.append(UInt8(truncatingIfNeeded: low >> UInt64(shift)))
        }
        return result
    }

    /// RFC 5952 text: lowercase, the longest run (≥ 2) of zero groups as `::`.
    public var description: String {
        var groups = [UInt16](repeating: 0, count: 8)
        for i in 0..<4 { groups[i] = UInt16(truncatingIfNeeded: high >> UInt64(48 - 16 * i)) }
        for i in 0..<4 { groups[4 + i] = UInt16(truncatingIfNeeded: low >> UInt64(48 - 16 * i)) }
        var bestStart = -1
        var bestLength = 0
        var runStart = -1
        for i in 0...8 {
            if i < 8 && groups[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength {
                    bestStart = runStart
                    bestLength = i - runStart
                }
                runStart = -1
            }
        }
        if bestLength < 2 { bestStart = -1 }
        var text = ""
        var i = 0
        while i < 8 {
            if i == bestStart {
                text += "::"
                i += bestLength
                continue
            }
            if !text.isEmpty && !text.hasSuffix(":") { text += ":" }
            text += String(groups[i], radix: 16)
            i += 1
        }
        return text
    }
}
