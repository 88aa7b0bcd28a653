import AgentConfig

/// Reads a payload field by field, bounds-checked: every read throws `IPCError.truncated` rather
/// than run past the end, and `finish()` refuses trailing bytes. Lengths are checked against what is
/// left before anything is allocated.
public struct IPCReader {
    public let kind: MessageKind
    let bytes: [UInt8]
    public private(set) var offset: Int = 0

    public init(_ bytes: [UInt8], kind: MessageKind) {
        self.bytes = bytes
        self.kind = kind
    }

    public var remaining: Int { bytes.count - offset }

    mutating func take(_ n: Int, _ field: String) throws -> ArraySlice<UInt8> {
        guard n >= 0, remaining >= n else { throw IPCError.truncated(kind, field: field) }
        defer { offset += n }
        return bytes[offset..<offset + n]
    }

    public mutating func u8(_ field: String) throws -> UInt8 {
        try take(1, field).first!
    }

    public mutating func bool(_ field: String) throws -> Bool {
        switch try u8(field) {
        case 0: return false
        case 1: return true
        default: throw IPCError.invalidField(kind, field: field)
        }
    }

    public mutating func u16(_ field: String) throws -> UInt16 {
        try take(2, field).reduce(0) { $0 << 8 | UInt16($1) }
    }

    public mutating func u32(_ field: String) throws -> UInt32 {
        try take(4, field).reduce(0) { $0 << 8 | UInt32($1) }
    }

    public mutating func u64(_ field: String) throws -> UInt64 {
        try take(8, field).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// A 32-bit length, at most `maxLength`, then that many bytes of valid UTF-8.
    public mutating func string(_ field: String, maxLength: Int) throws -> String {
        let length = Int(try u32(field))
        guard length <= maxLength else { throw IPCError.invalidField(kind, field: "\(field) length \(length)") }
        let slice = try take(length, field)
        guard let s = String(validating: slice, as: UTF8.self) else {
            throw IPCError.invalidField(kind, field: "\(field) (not UTF-8)")
        }
        return s
    }

    /// A count for a list whose elements take at least `minimumElementSize` bytes: checked against
    /// both `maxCount` and what is left, so a lying count cannot make us reserve memory.
    public mutating func count(_ field: String, maxCount: Int, minimumElementSize: Int) throws -> Int {
        let n = Int(try u32(field))
        guard n <= maxCount, n * minimumElementSize <= remaining else {
            throw IPCError.invalidField(kind, field: "\(field) count \(n)")
        }
        return n
    }

    public mutating func ipv4(_ field: String) throws -> IPv4Address {
        IPv4Address(value: try u32(field))
    }

    public mutating func ipv6(_ field: String) throws -> IPv6Address {
        let high = try u64(field)
        return IPv6Address(high: high, low: try u64(field))
    }

    public mutating func ipAddress(_ field: String) throws -> IPAddress {
        switch try u8(field) {
        case 4: return .v4(try ipv4(field))
        case 6: return .v6(try ipv6(field))
        default: throw IPCError.invalidField(kind, field: "\(field) family")
        }
    }

    /// Throws unless every byte was read.
    public func finish() throws {
        guard remaining == 0 else { throw IPCError.trailingBytes(kind, count: remaining) }
    }
}
