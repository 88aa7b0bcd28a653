import JSON

/// A local API body that does not have the expected shape.
public enum APIDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    case notAnObject(what: String)
    case missingField(String)
    case wrongType(field: String, expected: String)
    case invalidValue(field: String, reason: String)

    public var description: String {
        switch self {
        case .notAnObject(let what): return "\(what) must be a JSON object"
        case .missingField(let field): return "missing field \"\(field)\""
        case .wrongType(let field, let expected): return "field \"\(field)\" must be \(expected)"
        case .invalidValue(let field, let reason): return "field \"\(field)\": \(reason)"
        }
    }
}

/// Field readers shared by the models' decoders: absent and `null` are the same (protojson omits
/// zero values, Go's encoding/json may write null), a present value of the wrong type is an error.
struct FieldReader {
    let object: [String: JSONValue]

    init(_ value: JSONValue, what: String) throws {
        guard let object = value.objectValue else { throw APIDecodingError.notAnObject(what: what) }
        self.object = object
    }

    func optionalString(_ key: String) throws -> String? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let s = value.stringValue else { throw APIDecodingError.wrongType(field: key, expected: "a string") }
        return s
    }

    func string(_ key: String) throws -> String {
        guard let s = try optionalString(key) else { throw APIDecodingError.missingField(key) }
        return s
    }

    func optionalBool(_ key: String) throws -> Bool? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let b = value.boolValue else { throw APIDecodingError.wrongType(field: key, expected: "a boolean") }
        return b
    }

    func optionalInt(_ key: String) throws -> Int64? {
        guard let value = object[key], !value.isNull else { return nil }
        switch value {
        case .int(let i): return i
        case .string(let s):
            // protojson writes int64 as a string.
            guard let i = Int64(s) else { throw APIDecodingError.wrongType(field: key, expected: "an integer") }
            return i
        case .double(let d) where d.rounded() == d && abs(d) < 9e15: return Int64(d)
        default: throw APIDecodingError.wrongType(field: key, expected: "an integer")
        }
    }

    func strings(_ key: String) throws -> [String] {
        guard let value = object[key], !value.isNull else { return [] }
        guard let array = value.arrayValue else {
            throw APIDecodingError.wrongType(field: key, expected: "an array of strings")
        }
        return try array.map {
            guard let s = $0.stringValue else {
                throw APIDecodingError.wrongType(field: key, expected: "an array of strings")
            }
            return s
        }
    }

    func array(_ key: String) throws -> [JSONValue] {
        guard let value = object[key], !value.isNull else { return [] }
        guard let array = value.arrayValue else { throw APIDecodingError.wrongType(field: key, expected: "an array") }
        return array
    }

    func optionalObject(_ key: String) throws -> JSONValue? {
        guard let value = object[key], !value.isNull else { return nil }
        guard value.objectValue != nil else { throw APIDecodingError.wrongType(field: key, expected: "an object") }
        return value
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    /// Sets `key` only when `value` is present (absent fields are left out, as protojson does).
    mutating func setIfPresent(_ key: String, _ value: String?) {
        if let value { self[key] = .string(value) }
    }
}
