/// A domain name in uncompressed wire form: length-prefixed labels ending with the root's zero byte
/// (RFC 1035 §3.1). The original case is kept (answers echo it, RFC 4343 §4), while equality and hashing
/// are ASCII case-insensitive (RFC 4343 §3).
public struct DNSName: Hashable, Sendable, CustomStringConvertible {
    /// The wire bytes, always valid: labels 1...63 bytes, total ≤ 255, ending with 0.
    public private(set) var wire: [UInt8]

    /// The root name `.`.
    public static let root = DNSName(uncheckedWire: [0])

    init(uncheckedWire: [UInt8]) {
        self.wire = uncheckedWire
    }

    /// Validates uncompressed wire bytes (no pointers).
    public init(wire: [UInt8]) throws {
        guard wire.count <= DNSLimits.maxNameLength else { throw DNSCodecError.nameTooLong }
        var index = 0
        while true {
            guard index < wire.count else { throw DNSCodecError.truncated(field: "name") }
            let length = Int(wire[index])
            if length == 0 { break }
            guard length <= DNSLimits.maxLabelLength else { throw DNSCodecError.invalidLabel(length: UInt8(length)) }
            index += 1 + length
        }
        guard index == wire.count - 1 else { throw DNSCodecError.trailingBytes(count: wire.count - 1 - index) }
        self.wire = wire
    }

    /// Parses presentation text: labels separated by dots, an optional trailing dot, `\.` and `\\` and
    /// `\DDD` escapes (RFC 1035 §5.1). `""` and `"."` are the root.
    public init(_ text: String) throws {
        var wire: [UInt8] = []
        wire.reserveCapacity(text.utf8.count + 2)
        var label: [UInt8] = []
        label.reserveCapacity(DNSLimits.maxLabelLength)
        let bytes = Array(text.utf8)
        if bytes == [UInt8(ascii: ".")] {
            self.wire = [0]
            return
        }
        var index = 0
        func endLabel() throws {
            guard !label.isEmpty else { throw DNSCodecError.invalidName(text) }
            guard label.count <= DNSLimits.maxLabelLength else { throw DNSCodecError.invalidName(text) }
            wire.append(UInt8(label.count))
            wire.append(contentsOf: label)
            label.removeAll(keepingCapacity: true)
        }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "."):
                try endLabel()
                index += 1
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw DNSCodecError.invalidName(text) }
                if bytes[index] >= UInt8(ascii: "0") && bytes[index] <= UInt8(ascii: "9") {
                    guard index + 2 < bytes.count else { throw DNSCodecError.invalidName(text) }
                    var value = 0
                    for digit in bytes[index...(index + 2)] {
                        guard digit >= UInt8(ascii: "0") && digit <= UInt8(ascii: "9") else {
                            throw DNSCodecError.invalidName(text)
                        }
                        value = value * 10 + Int(digit - UInt8(ascii: "0"))
                    }
                    guard value <= 255 else { throw DNSCodecError.invalidName(text) }
                    label.append(UInt8(value))
                    index += 3
                } else {
                    label.append(bytes[index])
                    index += 1
                }
            default:
                label.append(byte)
                index += 1
            }
        }
        if !label.isEmpty { try endLabel() }
        wire.append(0)
        guard wire.count <= DNSLimits.maxNameLength else { throw DNSCodecError.invalidName(text) }
        self.wire = wire
    }

    public var isRoot: Bool { wire.count == 1 }

    /// The labels, without length bytes, leftmost first.
    public var labels: [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var index = 0
        while wire[index] != 0 {
            let length = Int(wire[index])
            result.append(wire[(index + 1)..<(index + 1 + length)])
            index += 1 + length
        }
        return result
    }

    /// The same name with ASCII letters lowercased.
    public var lowercased: DNSName {
        DNSName(uncheckedWire: wire.map(DNSName.asciiLowercase))
    }

    /// ASCII-only lowercase (RFC 4343 §3: other bytes compare exactly). Length bytes are < 64, never letters.
    @inlinable
    public static func asciiLowercase(_ byte: UInt8) -> UInt8 {
        byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
    }

    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        guard lhs.wire.count == rhs.wire.count else { return false }
        for i in 0..<lhs.wire.count where asciiLowercase(lhs.wire[i]) != asciiLowercase(rhs.wire[i]) {
            return false
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        for byte in wire { hasher.combine(DNSName.asciiLowercase(byte)) }
    }

    /// Presentation form with a trailing dot; dots, backslashes and non-printable bytes escaped.
    public var description: String {
        if isRoot { return "." }
        var text = ""
        for label in labels {
            for byte in label {
                switch byte {
                case UInt8(ascii: "."), UInt8(ascii: "\\"):
                    text.append("\\")
                    text.append(Character(Unicode.Scalar(byte)))
                case 0x21...0x7E:
                    text.append(Character(Unicode.Scalar(byte)))
                default:
                    let digits = String(byte)
                    text.append("\\" + String(repeating: "0", count: 3 - digits.count) + digits)
                }
            }
            text.append(".")
        }
        return text
    }
}
