import BoundaryWire

/// An error answer of the dev API: the HTTP status and the controller's error body, with the
/// exact kinds and messages of `internal/daemon/controller/handlers/errors.go` (boundary-protocol.md §1.2).
struct DevAPIError: Error, Equatable {
    var status: Int
    var body: APIErrorBody

    /// 401, for a caller that resolved to the anonymous user and is not allowed.
    static let unauthenticated = DevAPIError(
        status: 401, body: APIErrorBody(kind: "Unauthenticated", message: "Unauthenticated, or invalid token."))

    /// 403, for an authenticated caller without the grant.
    static let forbidden = DevAPIError(status: 403, body: APIErrorBody(kind: "PermissionDenied", message: "Forbidden."))

    /// 404 `handlers.NotFoundError()`.
    static let resourceNotFound = notFound("Resource not found.")

    /// 404 for a path no route matches (grpc-gateway's ErrNotMatch, rewritten by the controller).
    static let routeNotFound = notFound("Not Found")

    static func notFound(_ message: String) -> DevAPIError {
        DevAPIError(status: 404, body: APIErrorBody(kind: "NotFound", message: message))
    }

    /// 400 `InvalidArgumentErrorf`: request fields sorted by name.
    static func invalidArgument(_ message: String, fields: [String: String] = [:]) -> DevAPIError {
        DevAPIError(
            status: 400,
            body: APIErrorBody(
                kind: "InvalidArgument", message: message,
                requestFields: fields.map { APIErrorBody.FieldError(name: $0.key, description: $0.value) }))
    }

    /// 400 `FailedPrecondition` (grpc-gateway maps it to 400).
    static func failedPrecondition(_ message: String) -> DevAPIError {
        DevAPIError(status: 400, body: APIErrorBody(kind: "FailedPrecondition", message: message))
    }

    /// 400 with the domain kind `invalid list token` (`invalidListTokenError`).
    static func invalidListToken(_ message: String) -> DevAPIError {
        DevAPIError(
            status: 400,
            body: APIErrorBody(kind: APIErrorBody.kindInvalidListToken, message: message, op: "listtoken.Validate"))
    }

    /// 405: grpc-gateway's Unimplemented, always reported as 405 by the controller.
    static let methodNotAllowed = DevAPIError(
        status: 405, body: APIErrorBody(kind: "Unimplemented", message: "Method Not Allowed"))

    static func `internal`(_ message: String) -> DevAPIError {
        DevAPIError(status: 500, body: APIErrorBody(kind: "Internal", message: message))
    }
}
