/// Hand-written protobuf primitives for the few Boundary messages we speak
/// (`SessionAuthorizationData`, `ClientHandshake`, `HandshakeResult`, `Timestamp`, `ScopeInfo`).
/// Wire format: https://protobuf.dev/programming-guides/encoding/. Field numbers live with each
/// message type; this file only knows tags, varints and lengths.

/// Protobuf wire types (the low three bits of a tag).
public enum ProtobufWireType: UInt8, Sendable {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case startGroup = 3
    case endGroup = 4
    case fixed32 = 5
}

public enum ProtobufError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated(offset: Int)
    case varintTooLong(offset: Int)
    case invalidWireType(UInt8, offset: Int)
    case invalidFieldNumber(offset: Int)
    case wrongWireType(field: UInt32, got: ProtobufWireType)
    case invalidUTF8(field: UInt32)
    case valueOutOfRange(field: UInt32)
    case groupsUnsupported(offset: Int)

    public var description: String {
        switch self {
        case .truncated(let o): return "protobuf message truncated at byte \(o)"
        case .varintTooLong(let o): return "protobuf varint longer than 10 bytes at byte \(o)"
        case .invalidWireType(let t, let o): return "invalid protobuf wire type \(t) at byte \(o)"
        case .invalidFieldNumber(let o): return "invalid protobuf field number at byte \(o)"
        case .wrongWireType(let f, let t): return "protobuf field \(f) has unexpected wire type \(t)"
        case .invalidUTF8(let f): return "protobuf string field \(f) is not valid UTF-8"
        case .valueOutOfRange(let f): return "protobuf field \(f) is out of range"
        case .groupsUnsupported(let o): return "protobuf groups are not supported (byte \(o))"
        }
    }
}

/// Appends protobuf fields to a byte array. Zero values are the caller's choice to skip
/// (proto3 omits them; Boundary's Go encoder does too).
public struct ProtobufWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func writeVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    public mutating func writeTag(field: UInt32, wireType: ProtobufWireType) {
        writeVarint(UInt64(field) << 3 | UInt64(wireType.rawValue))
    }

    /// uint32/uint64/bool/enum fields.
    public mutating func writeUInt(field: UInt32, _ value: UInt64) {
        writeTag(field: field, wireType: .varint)
        writeVarint(value)
    }

    /// int32/int64 fields: negative values are sign-extended to 64 bits, so -1 is ten bytes
    /// (`FF FF FF FF FF FF FF FF FF 01`), as the protobuf spec requires for int32 too.
    public mutating func writeInt(field: UInt32, _ value: Int64) {
        writeTag(field: field, wireType: .varint)
        writeVarint(UInt64(bitPattern: value))
    }

    public mutating func writeBytes(field: UInt32, _ value: [UInt8]) {
        writeTag(field: field, wireType: .lengthDelimited)
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    public mutating func writeString(field: UInt32, _ value: String) {
        writeBytes(field: field, Array(value.utf8))
    }

    /// An embedded message, already encoded.
    public mutating func writeMessage(field: UInt32, _ message: ProtobufWriter) {
        writeBytes(field: field, message.bytes)
    }
}

/// One decoded field: its number and its value by wire type.
public struct ProtobufField: Sendable {
    public enum Value: Sendable {
        case varint(UInt64)
        case fixed64(UInt64)
        case fixed32(UInt32)
        case lengthDelimited(ArraySlice<UInt8>)
    }

    public var number: UInt32
    public var value: Value

    public func uint64() throws -> UInt64 {
        guard case .varint(let v) = value else { throw ProtobufError.wrongWireType(field: number, got: wireType) }
        return v
    }

    /// int32 fields: the varint is the sign-extended 64-bit value; anything outside Int32 is an error.
    public func int32() throws -> Int32 {
        let v = Int64(bitPattern: try uint64())
        guard let i = Int32(exactly: v) else { throw ProtobufError.valueOutOfRange(field: number) }
        return i
    }

    public func uint32() throws -> UInt32 {
        // Go truncates oversized uint32 varints; we refuse them instead.
        guard let i = UInt32(exactly: try uint64()) else { throw ProtobufError.valueOutOfRange(field: number) }
        return i
    }

    public func int64() throws -> Int64 { Int64(bitPattern: try uint64()) }

    public func bytes() throws -> ArraySlice<UInt8> {
        guard case .lengthDelimited(let b) = value else {
            throw ProtobufError.wrongWireType(field: number, got: wireType)
        }
        return b
    }

    public func string() throws -> String {
        let b = try bytes()
        guard let s = String(validating: b, as: UTF8.self) else { throw ProtobufError.invalidUTF8(field: number) }
        return s
    }

    public var wireType: ProtobufWireType {
        switch value {
        case .varint: return .varint
        case .fixed64: return .fixed64
        case .fixed32: return .fixed32
        case .lengthDelimited: return .lengthDelimited
        }
    }
}

/// Reads fields one at a time, read-or-throw: every length is checked against what is left
/// before anything is sliced, so a hostile token cannot make us read out of bounds.
public struct ProtobufReader: Sendable {
    let bytes: ArraySlice<UInt8>
    var offset: Int

    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.offset = bytes.startIndex
    }

    public init(_ bytes: [UInt8]) {
        self.init(bytes[...])
    }

    public var atEnd: Bool { offset >= bytes.endIndex }

    mutating func readVarint() throws -> UInt64 {
        let start = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.endIndex else { throw ProtobufError.truncated(offset: start - bytes.startIndex) }
            let b = bytes[offset]
            offset += 1
            // The tenth byte may only carry the top bit of a 64-bit value.
            if shift == 63 && b > 1 { throw ProtobufError.varintTooLong(offset: start - bytes.startIndex) }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw ProtobufError.varintTooLong(offset: start - bytes.startIndex) }
        }
    }

    mutating func readFixed(count: Int) throws -> UInt64 {
        guard bytes.endIndex - offset >= count else { throw ProtobufError.truncated(offset: offset - bytes.startIndex) }
        var v: UInt64 = 0
        for i in 0..<count { v |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += count
        return v
    }

    /// The next field, or nil at the end of the message.
    public mutating func next() throws -> ProtobufField? {
        guard !atEnd else { return nil }
        let tagOffset = offset - bytes.startIndex
        let tag = try readVarint()
        guard let wireType = ProtobufWireType(rawValue: UInt8(tag & 7)) else {
            throw ProtobufError.invalidWireType(UInt8(tag & 7), offset: tagOffset)
        }
        let fieldNumber = tag >> 3
        guard fieldNumber >= 1, fieldNumber <= 536_870_911 else {
            throw ProtobufError.invalidFieldNumber(offset: tagOffset)
        }
        let number = UInt32(fieldNumber)
        switch wireType {
        case .varint: return ProtobufField(number: number, value: .varint(try readVarint()))
        case .fixed64: return ProtobufField(number: number, value: .fixed64(try readFixed(count: 8)))
        case .fixed32: return ProtobufField(number: number, value: .fixed32(UInt32(try readFixed(count: 4))))
        case .lengthDelimited:
            let lengthOffset = offset - bytes.startIndex
            let length = try readVarint()
            guard length <= UInt64(bytes.endIndex - offset) else { throw ProtobufError.truncated(offset: lengthOffset) }
            let slice = bytes[offset..<(offset + Int(length))]
            offset += Int(length)
            return ProtobufField(number: number, value: .lengthDelimited(slice))
        case .startGroup, .endGroup:
            throw ProtobufError.groupsUnsupported(offset: tagOffset)
        }
    }
}
