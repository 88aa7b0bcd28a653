import JSON

/// A Boundary resource that travels as protojson (boundary-protocol.md §1.1): proto field names,
/// zero values left out, int64 as strings, timestamps as RFC 3339, bytes as base64.
public protocol ProtoJSONCodable: Sendable {
    /// Reads the resource; unknown members are ignored and absent members take their zero value.
    /// `path` names this value inside the document, for error messages (`items[2].scope`).
    init(protoJSON: JSONValue, path: String) throws
    /// Writes the resource the way Boundary's marshaler does (`EmitUnpopulated: false`).
    var protoJSON: JSONValue { get }
}

extension ProtoJSONCodable {
    public init(protoJSON: JSONValue) throws {
        try self.init(protoJSON: protoJSON, path: "")
    }

    /// Parses a response body.
    public init(protoJSONBytes bytes: [UInt8]) throws {
        try self.init(protoJSON: try JSONParser().parse(bytes))
    }

    public var protoJSONBytes: [UInt8] { JSONWriter().bytes(protoJSON) }
}

/// Reads one JSON object the way Go's protojson unmarshaler does for our messages: `null` and a
/// missing member both mean "zero value", integers may be numbers or decimal strings, and every
/// type mismatch is an error naming the member's full path.
public struct ProtoJSONObject: Sendable {
    public let members: [String: JSONValue]
    /// The path of this object, "" for the document root.
    public let path: String

    public init(_ value: JSONValue, path: String = "") throws {
        switch value {
        case .object(let members): self.members = members
        case .null: self.members = [:]
        default: throw BoundaryWireError.wrongType(field: path.isEmpty ? "(document)" : path, expected: "an object")
        }
        self.path = path
    }

    public func fieldPath(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// The member, or nil when missing or null.
    public func value(_ key: String) -> JSONValue? {
        guard let v = members[key], !v.isNull else { return nil }
        return v
    }

    public func has(_ key: String) -> Bool { value(key) != nil }

    public func string(_ key: String) throws -> String {
        guard let v = value(key) else { return "" }
        guard case .string(let s) = v else {
            throw BoundaryWireError.wrongType(field: fieldPath(key), expected: "a string")
        }
        return s
    }

    public func bool(_ key: String) throws -> Bool {
        guard let v = value(key) else { return false }
        guard case .bool(let b) = v else {
            throw BoundaryWireError.wrongType(field: fieldPath(key), expected: "a boolean")
        }
        return b
    }

    /// int64/uint64 as protojson writes them (strings) or as plain numbers.
    public func int64(_ key: String) throws -> Int64 {
        guard let v = value(key) else { return 0 }
        switch v {
        case .int(let i): return i
        case .double(let d):
            guard d.rounded() == d, d >= -9.2e18, d <= 9.2e18 else {
                throw BoundaryWireError.invalidValue(field: fieldPath(key), reason: "not an integer")
            }
            return Int64(d)
        case .string(let s):
            guard let i = Int64(s) else {
                throw BoundaryWireError.invalidValue(field: fieldPath(key), reason: "not a decimal integer")
            }
            return i
        default: throw BoundaryWireError.wrongType(field: fieldPath(key), expected: "an integer")
        }
    }

    public func int32(_ key: String) throws -> Int32 {
        let v = try int64(key)
        guard let i = Int32(exactly: v) else {
            throw BoundaryWireError.invalidValue(field: fieldPath(key), reason: "out of int32 range")
        }
        return i
    }

    public func uint32(_ key: String) throws -> UInt32 {
        let v = try int64(key)
        guard let i = UInt32(exactly: v) else {
            throw BoundaryWireError.invalidValue(field: fieldPath(key), reason: "out of uint32 range")
        }
        return i
    }

    public func timestamp(_ key: String) throws -> Timestamp? {
        guard has(key) else { return nil }
        let text = try string(key)
        do {
            return try Timestamp(rfc3339: text)
        } catch {
            throw BoundaryWireError.invalidValue(field: fieldPath(key), reason: "not an RFC 3339 timestamp")
        }
    }

    public func bytes(_ key: String) throws -> [UInt8] {
        let text = try string(key)
        guard let b = Base64.decode(text) else { throw BoundaryWireError.invalidBase64(field: fieldPath(key)) }
        return b
    }

    public func array(_ key: String) throws -> [JSONValue] {
        guard let v = value(key) else { return [] }
        guard case .array(let a) = v else {
            throw BoundaryWireError.wrongType(field: fieldPath(key), expected: "an array")
        }
        return a
    }

    public func strings(_ key: String) throws -> [String] {
        try array(key).enumerated().map { (i, v) in
            guard case .string(let s) = v else {
                throw BoundaryWireError.wrongType(field: "\(fieldPath(key))[\(i)]", expected: "a string")
            }
            return s
        }
    }

    /// A nested object, or nil when absent.
    public func object(_ key: String) throws -> ProtoJSONObject? {
        guard let v = value(key) else { return nil }
        return try ProtoJSONObject(v, path: fieldPath(key))
    }

    /// A nested message decoded by its own type, or nil when absent.
    public func message<T: ProtoJSONCodable>(_ key: String, as type: T.Type) throws -> T? {
        guard let v = value(key) else { return nil }
        return try T(protoJSON: v, path: fieldPath(key))
    }

    /// A repeated message field.
    public func messages<T: ProtoJSONCodable>(_ key: String, as type: T.Type) throws -> [T] {
        try array(key).enumerated().map { (i, v) in try T(protoJSON: v, path: "\(fieldPath(key))[\(i)]") }
    }

    /// A `google.protobuf.Struct` member (any JSON object), or nil when absent.
    public func structValue(_ key: String) throws -> JSONValue? {
        guard let v = value(key) else { return nil }
        guard case .object = v else { throw BoundaryWireError.wrongType(field: fieldPath(key), expected: "an object") }
        return v
    }
}

/// Builds a JSON object the way Boundary's marshaler writes one: zero values are left out.
public struct ProtoJSONBuilder: Sendable {
    public private(set) var members: [String: JSONValue] = [:]

    public init() {}

    public var value: JSONValue { .object(members) }

    public mutating func set(_ key: String, _ value: String) {
        if !value.isEmpty { members[key] = .string(value) }
    }

    public mutating func set(_ key: String, _ value: Bool) {
        if value { members[key] = .bool(true) }
    }

    /// int32/uint32: a JSON number.
    public mutating func set(_ key: String, _ value: Int32) {
        if value != 0 { members[key] = .int(Int64(value)) }
    }

    public mutating func set(_ key: String, _ value: UInt32) {
        if value != 0 { members[key] = .int(Int64(value)) }
    }

    /// int64/uint64: a JSON string, as protojson writes them.
    public mutating func setInt64(_ key: String, _ value: Int64) {
        if value != 0 { members[key] = .string(String(value)) }
    }

    public mutating func set(_ key: String, _ value: Timestamp?) {
        if let value { members[key] = .string(value.rfc3339) }
    }

    public mutating func set(_ key: String, bytes: [UInt8]) {
        if !bytes.isEmpty { members[key] = .string(Base64.encode(bytes)) }
    }

    public mutating func set(_ key: String, _ value: [String]) {
        if !value.isEmpty { members[key] = .array(value.map { .string($0) }) }
    }

    public mutating func set<T: ProtoJSONCodable>(_ key: String, _ value: T?) {
        // A present but all-zero message is still written, as `{}`, as protojson does.
        if let value { members[key] = value.protoJSON }
    }

    public mutating func set<T: ProtoJSONCodable>(_ key: String, _ values: [T]) {
        if !values.isEmpty { members[key] = .array(values.map(\.protoJSON)) }
    }

    /// A `google.protobuf.Struct` or any raw JSON value.
    public mutating func set(_ key: String, json: JSONValue?) {
        if let json { members[key] = json }
    }
}
