import JSON

/// An error answer of the local API: Boundary's error JSON (`controller.api.v1.Error`,
/// boundary-protocol.md §1.2), `{"kind":"NotFound","message":"…"}`, with the HTTP status in the
/// status line and not in the body.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var kind: String
    public var message: String

    public init(status: Int, kind: String, message: String) {
        self.status = status
        self.kind = kind
        self.message = message
    }

    public static func invalidArgument(_ message: String) -> APIError {
        APIError(status: 400, kind: "InvalidArgument", message: message)
    }
    public static func unauthenticated(_ message: String) -> APIError {
        APIError(status: 401, kind: "Unauthenticated", message: message)
    }
    public static func permissionDenied(_ message: String) -> APIError {
        APIError(status: 403, kind: "PermissionDenied", message: message)
    }
    public static func notFound(_ message: String) -> APIError {
        APIError(status: 404, kind: "NotFound", message: message)
    }
    public static func methodNotAllowed(_ message: String) -> APIError {
        APIError(status: 405, kind: "Unimplemented", message: message)
    }
    public static func payloadTooLarge(_ message: String) -> APIError {
        APIError(status: 413, kind: "InvalidArgument", message: message)
    }
    public static func failedPrecondition(_ message: String) -> APIError {
        APIError(status: 400, kind: "FailedPrecondition", message: message)
    }
    public static func tooManyRequests(_ message: String) -> APIError {
        APIError(status: 429, kind: "ResourceExhausted", message: message)
    }
    public static func internalError(_ message: String) -> APIError {
        APIError(status: 500, kind: "Internal", message: message)
    }
    /// The controller could not be reached or answered badly while the agent acted for the caller.
    public static func badGateway(_ message: String) -> APIError {
        APIError(status: 502, kind: "Unavailable", message: message)
    }
    public static func unavailable(_ message: String) -> APIError {
        APIError(status: 503, kind: "Unavailable", message: message)
    }

    public var json: JSONValue { .object(["kind": .string(kind), "message": .string(message)]) }

    /// Decodes an error body; `status` comes from the status line.
    public init(status: Int, json: JSONValue) throws {
        let r = try FieldReader(json, what: "error")
        self.status = status
        kind = try r.optionalString("kind") ?? ""
        message = try r.optionalString("message") ?? ""
    }

    public var description: String { "\(message) (\(status) \(kind))" }
}
