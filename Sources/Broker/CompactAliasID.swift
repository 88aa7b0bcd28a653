/// Boundary alias ids as numbers: `alt_` and 10 base62 characters (the form Boundary generates, boundary-protocol.md
/// §1.5) is one number below 62^10 < 2^60, which a record holds in 8 bytes instead of 15 bytes of text plus an arena
/// offset. Ids of any other form are not numbered (the caller stores their text).
enum CompactAliasID {
    static let prefix: [UInt8] = Array("alt_".utf8)
    /// Characters after the prefix.
    static let digits = 10
    /// Every number `encode` returns is below this (62^10).
    static let limit: UInt64 = 839_299_365_868_340_224

    /// The number of `id`, or nil when it does not have the usual form.
    static func encode(_ id: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard id.count == prefix.count + digits else { return nil }
        for index in prefix.indices where id[index] != prefix[index] { return nil }
        var number: UInt64 = 0
        for byte in id[prefix.count...] {
            guard let digit = digit(byte) else { return nil }
            number = number * 62 + UInt64(digit)
        }
        return number
    }

    /// The id text of a number from `encode`.
    static func decode(_ number: UInt64) -> String {
        precondition(number < limit)  // only numbers `encode` made reach here
        var rest = number
        var text = [UInt8](repeating: 0, count: prefix.count + digits)
        for index in prefix.indices { text[index] = prefix[index] }
        for index in stride(from: text.count - 1, through: prefix.count, by: -1) {
            text[index] = character(UInt8(rest % 62))
            rest /= 62
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// 0-9, A-Z, a-z: 0...61.
    private static func digit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return byte - UInt8(ascii: "a") + 36
        default: return nil
        }
    }

    private static func character(_ digit: UInt8) -> UInt8 {
        switch digit {
        case 0..<10: return UInt8(ascii: "0") + digit
        case 10..<36: return UInt8(ascii: "A") + digit - 10
        default: return UInt8(ascii: "a") + digit - 36
        }
    }
}
