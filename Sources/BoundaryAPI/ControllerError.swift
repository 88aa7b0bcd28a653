import BoundaryWire

/// Why a controller call failed. HTTP errors carry the controller's error body (`kind`, `message`,
/// `details`) so the caller can show exactly what the controller said. The mapping follows
/// boundary-protocol.md §1.2 and §6.16: 401 means the token is dead (or the password was wrong on
/// authenticate), 403 means the token is fine but lacks the grant.
public enum ControllerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 401 `Unauthenticated`: expired, unknown or malformed token (the caller became anonymous),
    /// or "Unable to authenticate." for a wrong login name or password.
    case unauthenticated(APIErrorBody)
    /// 403 `PermissionDenied`: authenticated but not allowed (e.g. no `list-resolvable-aliases`).
    case forbidden(APIErrorBody)
    /// 404 `NotFound`: unknown alias, target, session, token or auth method.
    case notFound(APIErrorBody)
    /// 400 with kind `invalid list token`: grants changed or the token is older than 30 days.
    /// The listing functions handle it themselves with a full reload.
    case invalidListToken(APIErrorBody)
    /// Any other 400 (`InvalidArgument`, `FailedPrecondition`, e.g. "No workers are available").
    case badRequest(APIErrorBody)
    /// Any other non-2xx status (405, 429, 500, 502, 503, 504, …).
    case httpStatus(Int, APIErrorBody)

    /// The whole request (resolve, connect, TLS, response) did not finish in time.
    case timeout(String)
    /// Nothing listens at the address (ECONNREFUSED).
    case connectionRefused(String)
    /// Any other failure to connect or a connection that broke mid-request.
    case connectionFailed(String)
    /// The TLS handshake failed (untrusted certificate, wrong host name, protocol error).
    case tlsFailure(String)
    /// The host name did not resolve.
    case resolutionFailed(host: String, reason: String)
    /// The answer is not HTTP/1.1, not JSON, or not the resource we asked for.
    case malformedResponse(String)
    /// The response body is larger than the client's cap.
    case bodyTooLarge(limit: Int)
    /// The controller address is not a usable URL.
    case invalidURL(String)
    /// A caller argument cannot be sent (bad id, bad token string, unreadable CA file).
    case invalidArgument(String)

    /// The HTTP status for errors the controller answered, else nil.
    public var httpStatus: Int? {
        switch self {
        case .unauthenticated: return 401
        case .forbidden: return 403
        case .notFound: return 404
        case .invalidListToken, .badRequest: return 400
        case .httpStatus(let status, _): return status
        default: return nil
        }
    }

    /// The controller's error body, for errors it answered.
    public var body: APIErrorBody? {
        switch self {
        case .unauthenticated(let b), .forbidden(let b), .notFound(let b), .invalidListToken(let b),
            .badRequest(let b), .httpStatus(_, let b):
            return b
        default: return nil
        }
    }

    /// The token can no longer be used (401). The client cache also drops a token on a 404 from
    /// `GET /v1/auth-tokens/{id}`; `ControllerClient.readAuthToken` reports that as `.unauthenticated`.
    public var isTokenDead: Bool {
        if case .unauthenticated = self { return true }
        return false
    }

    /// The controller could not be reached or answered garbage: worth retrying later, and a
    /// signal for the agent's network-failure counter. HTTP answers are not transport failures.
    public var isTransportFailure: Bool {
        switch self {
        case .timeout, .connectionRefused, .connectionFailed, .tlsFailure, .resolutionFailed, .malformedResponse,
            .bodyTooLarge:
            return true
        default: return false
        }
    }

    /// Builds the error for a non-2xx response. A body that is not the controller's error JSON
    /// (e.g. a proxy's HTML page) becomes a body whose message is the start of the text.
    public init(status: Int, body bytes: [UInt8]) {
        let body: APIErrorBody
        if let parsed = try? APIErrorBody(protoJSONBytes: bytes), !(parsed.kind.isEmpty && parsed.message.isEmpty) {
            body = parsed
        } else {
            let text = String(decoding: bytes.prefix(ControllerError.maximumQuotedBody), as: UTF8.self)
                .filter { !$0.isNewline }
            body = APIErrorBody(kind: "", message: text)
        }
        switch status {
        case 401: self = .unauthenticated(body)
        case 403: self = .forbidden(body)
        case 404: self = .notFound(body)
        case 400 where body.kind == APIErrorBody.kindInvalidListToken: self = .invalidListToken(body)
        case 400: self = .badRequest(body)
        default: self = .httpStatus(status, body)
        }
    }

    /// How much of a non-JSON error body we quote.
    static let maximumQuotedBody = 200

    public var description: String {
        switch self {
        case .unauthenticated(let b): return "controller said 401 (token invalid or expired): \(b)"
        case .forbidden(let b): return "controller said 403 (permission denied): \(b)"
        case .notFound(let b): return "controller said 404 (not found): \(b)"
        case .invalidListToken(let b): return "controller said 400 (invalid list token): \(b)"
        case .badRequest(let b): return "controller said 400 (bad request): \(b)"
        case .httpStatus(let s, let b): return "controller said \(s): \(b)"
        case .timeout(let what): return "controller request timed out: \(what)"
        case .connectionRefused(let address): return "connection to the controller at \(address) refused"
        case .connectionFailed(let why): return "connection to the controller failed: \(why)"
        case .tlsFailure(let why): return "TLS with the controller failed: \(why)"
        case .resolutionFailed(let host, let reason): return "cannot resolve \(host): \(reason)"
        case .malformedResponse(let why): return "malformed controller response: \(why)"
        case .bodyTooLarge(let limit): return "controller response larger than \(limit) bytes"
        case .invalidURL(let why): return "invalid controller address \(why)"
        case .invalidArgument(let why): return why
        }
    }
}
