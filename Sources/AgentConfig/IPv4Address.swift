/// An IPv4 address. Parsing accepts only the dotted-quad form ("192.0.2.1"): four decimal parts
/// 0...255 without leading zeros, because inet_aton(3) reads "010" as octal and we would rather
/// refuse than guess. Printing gives the same form.
public struct IPv4Address: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The address in host byte order (192.0.2.1 is 0xC000_0201).
    public var value: UInt32

    public init(value: UInt32) {
        self.value = value
    }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// From 4 bytes in network order; nil for any other count.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 4 else { return nil }
        var v: UInt32 = 0
        for byte in bytes { v = v << 8 | UInt32(byte) }
        value = v
    }

    /// Parses dotted-quad text; nil if `text` is anything else.
    public init?(_ text: some StringProtocol) {
        var parts = 0
        var current: UInt32 = 0
        var digits = 0
        var leadingZero = false
        var v: UInt32 = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                // "0" is a part; "01" is not (octal to inet_aton).
                if digits == 1 && leadingZero { return nil }
                if digits == 0 { leadingZero = byte == UInt8(ascii: "0") }
                digits += 1
                guard digits <= 3 else { return nil }
                current = current * 10 + UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "."):
                guard digits > 0, current <= 255, parts < 3 else { return nil }
                v = v << 8 | current
                parts += 1
                current = 0
                digits = 0
            default:
                return nil
            }
        }
        guard digits > 0, current <= 255, parts == 3 else { return nil }
        value = v << 8 | current
    }

    /// The 4 bytes in network order (what `in_addr` and resolv.conf's binary peers want).
    public var bytes: [UInt8] {
        [
            UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8),
            UInt8(truncatingIfNeeded: value),
        ]
    }

    public var description: String {
        let b = bytes
        return "\(b[0]).\(b[1]).\(b[2]).\(b[3])"
    }

    public static func < (a: IPv4Address, b: IPv4Address) -> Bool { a.value < b.value }
}
