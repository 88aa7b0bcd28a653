/// Base58 with the Bitcoin alphabet, as `mr-tron/base58` encodes Boundary's session
/// `authorization_token` and the tail of auth tokens: no prefix, no checksum, leading zero bytes
/// written as leading `1`s.
public enum Base58 {
    public static let alphabet: [UInt8] = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)

    /// Reverse table: ASCII byte → digit value, 0xFF for bytes outside the alphabet.
    static let digitValues: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    public enum DecodingError: Error, Equatable, Sendable, CustomStringConvertible {
        case invalidCharacter(offset: Int)
        case tooLong(Int)

        public var description: String {
            switch self {
            case .invalidCharacter(let o): return "invalid base58 character at offset \(o)"
            case .tooLong(let n): return "base58 text of \(n) characters is longer than allowed"
            }
        }
    }

    /// Longest text we decode. Session tokens are a few KiB; decoding this much takes ~0.1 s (release).
    public static let maximumEncodedLength = 64 * 1024

    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var zeros = 0
        while zeros < input.count && input[zeros] == 0 { zeros += 1 }
        // log(256)/log(58) ≈ 1.366: enough base58 digits for the rest.
        var digits = [UInt8](repeating: 0, count: (input.count - zeros) * 138 / 100 + 1)
        var length = 0
        for byte in input[zeros...] {
            var carry = Int(byte)
            var i = 0
            var j = digits.count - 1
            while (carry != 0 || i < length) && j >= 0 {
                carry += 256 * Int(digits[j])
                digits[j] = UInt8(carry % 58)
                carry /= 58
                i += 1
                j -= 1
            }
            length = i
        }
        var out = [UInt8](repeating: alphabet[0], count: zeros)
        out.reserveCapacity(zeros + length)
        for d in digits[(digits.count - length)...] { out.append(alphabet[Int(d)]) }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: String) throws -> [UInt8] {
        let input = Array(text.utf8)
        guard input.count <= maximumEncodedLength else { throw DecodingError.tooLong(input.count) }
        var zeros = 0
        while zeros < input.count && input[zeros] == alphabet[0] { zeros += 1 }
        // The number as little-endian 32-bit limbs, fed up to five digits at a time (58^5 < 2^30, so
        // limb × 58^5 + carry fits in 64 bits): the work is quadratic in the length, but about twenty
        // times less of it than one digit into one byte at a time (a 64 KiB token took 3 s that way).
        var limbs: [UInt32] = []
        limbs.reserveCapacity((input.count - zeros) / 5 + 1)
        var index = zeros
        while index < input.count {
            var chunk: UInt64 = 0
            var multiplier: UInt64 = 1
            let end = min(input.count, index + 5)
            while index < end {
                let value = digitValues[Int(input[index])]
                guard value != 0xFF else { throw DecodingError.invalidCharacter(offset: index) }
                chunk = chunk * 58 + UInt64(value)
                multiplier *= 58
                index += 1
            }
            var carry = chunk
            for i in limbs.indices {
                let product = UInt64(limbs[i]) * multiplier + carry
                limbs[i] = UInt32(truncatingIfNeeded: product)
                carry = product >> 32
            }
            while carry != 0 {
                limbs.append(UInt32(truncatingIfNeeded: carry))
                carry >>= 32
            }
        }
        var bytes = [UInt8](repeating: 0, count: zeros)
        bytes.reserveCapacity(zeros + limbs.count * 4)
        var leading = true
        for limb in limbs.reversed() {
            for shift in stride(from: 24, through: 0, by: -8) {
                let byte = UInt8(truncatingIfNeeded: limb >> UInt32(shift))
                if leading && byte == 0 { continue }
                leading = false
                bytes.append(byte)
            }
        }
        return bytes
    }
}
