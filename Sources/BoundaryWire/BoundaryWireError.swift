/// Why a Boundary wire value (JSON resource, timestamp, token string, protobuf message) was rejected.
/// Field names are protojson paths such as `attributes.token` or `items[3].value`, so a bad
/// controller answer can be reported exactly.
public enum BoundaryWireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not an RFC 3339 timestamp Boundary could have written (or outside years 0001–9999).
    case invalidTimestamp(String)
    /// A member has the wrong JSON type, e.g. a number where a string belongs.
    case wrongType(field: String, expected: String)
    /// A member is present with the right type but an impossible value.
    case invalidValue(field: String, reason: String)
    /// A value that must be present is missing or empty.
    case missingField(String)
    /// Not standard base64 (protojson `bytes`, brokered `secret.raw`).
    case invalidBase64(field: String)
    /// An auth token string that is not `at_<id>_s1<base58>`.
    case invalidAuthToken(String)
    /// A session `authorization_token` that cannot be decoded.
    case invalidAuthorizationToken(String)
    /// A protobuf message inside a token failed to parse.
    case protobuf(ProtobufError)

    public var description: String {
        switch self {
        case .invalidTimestamp(let text): return "invalid RFC 3339 timestamp \"\(text.prefix(64))\""
        case .wrongType(let field, let expected): return "JSON member \(field) is not \(expected)"
        case .invalidValue(let field, let reason): return "JSON member \(field) is invalid: \(reason)"
        case .missingField(let field): return "required member \(field) is missing"
        case .invalidBase64(let field): return "JSON member \(field) is not valid base64"
        case .invalidAuthToken(let reason): return "invalid auth token: \(reason)"
        case .invalidAuthorizationToken(let reason): return "invalid session authorization token: \(reason)"
        case .protobuf(let error): return error.description
        }
    }
}
