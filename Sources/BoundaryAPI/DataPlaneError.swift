/// Why a proxied connection through a Boundary worker could not be opened, or why it ended badly
/// (boundary-protocol.md §3). The worker reports most refusals as a WebSocket close frame with a
/// reason string; `init(closeCode:reason:)` maps the ones the reference client recognises.
public enum DataPlaneError: Error, Equatable, Sendable, CustomStringConvertible {
    // --- credentials (before any network I/O)
    /// The session's certificate or private key cannot be used (wrong size, key does not match).
    case invalidCredentials(String)
    /// A `worker_info` address that is not `host:port`.
    case invalidWorkerAddress(String)
    /// There is no worker address to connect to.
    case noWorkers
    /// A tofu token that is not 20 base62 characters (the worker closes 1003 for any other length).
    case invalidTofuTokenFormat

    // --- transport
    /// No worker address could be reached over TCP; one line per address tried.
    case workersUnreachable([String])
    /// The worker failed the TLS handshake with an internal_error alert: it does not know the
    /// session, or the session expired or was cancelled (`getSessionTls`).
    case sessionNotAuthorized
    /// The worker did not present the byte-identical session certificate.
    case workerCertificateMismatch
    /// The worker refused our client certificate (under TLS 1.3 this arrives after our side of the
    /// handshake has finished).
    case clientCertificateRejected
    /// Any other TLS failure, with BoringSSL's text.
    case tls(String)
    /// The connection closed or failed before the protobuf handshake finished.
    case connectionClosedDuringSetup
    /// Opening the connection took longer than the configured limit.
    case timedOut(String)

    // --- WebSocket upgrade
    /// The worker answered `GET /v1/proxy` with a non-101 status (e.g. 500 when it lacks the session).
    case upgradeRefused(status: Int)
    /// A 101 response that breaks RFC 6455 §4.1 (Upgrade, Connection, Sec-WebSocket-Accept, extensions).
    case invalidUpgradeResponse(String)
    /// The worker did not echo `Sec-WebSocket-Protocol: boundary-tcp-proxy-v1`.
    case subprotocolMismatch(String?)

    // --- protobuf handshake (close reasons from `internal/daemon/worker/handler.go`)
    /// 1008 "tofu token not allowed": another client owns this session; the reference client gives up.
    case sessionInUse
    /// 1011 "unable to authorize connection": the controller refused a new connection (limit reached,
    /// or the session is no longer usable).
    case noConnectionsLeft
    /// 1011 "refusing to activate session": the session has no tofu token yet and is not pending.
    case refusingToActivateSession
    /// 1003 "invalid tofu token".
    case invalidTofuToken
    /// 3000 (`WebsocketStatusProtocolSetupError`) or 1011 "unable to establish proxy": the worker could
    /// not reach the target endpoint.
    case proxySetupFailed(String)
    /// Our SESSION_CANCEL was not carried out (1011 "unable to cancel session", or no close at all).
    case cancelFailed(String)
    /// Any other close frame from the worker that is not a normal end of stream.
    case closedByWorker(code: UInt16?, reason: String)
    /// The worker's `HandshakeResult` could not be decoded.
    case invalidHandshakeResult(String)

    // --- data phase
    /// The worker broke RFC 6455 framing (we closed with 1002 or 1003).
    case protocolViolation(String)
    /// The session's expiration passed; the stream was closed (the reference client's "Session has expired").
    case sessionExpired
    /// The connection to the worker ended without a WebSocket close frame.
    case connectionLost(String)
    /// `splice(with:)` needs the local channel on the same event loop as the worker connection.
    case eventLoopMismatch
    /// The connection was already spliced, or has closed.
    case notSpliceable

    /// Maps a close frame from the worker (status code and reason text) to the error the reference
    /// client reports; nil for a normal end of stream (1000, 1001).
    public init?(closeCode code: UInt16?, reason: String) {
        switch (code, reason) {
        case (1000, _), (1001, _): return nil
        case (1008, "tofu token not allowed"): self = .sessionInUse
        case (1011, "unable to authorize connection"): self = .noConnectionsLeft
        case (1011, "refusing to activate session"): self = .refusingToActivateSession
        case (1003, "invalid tofu token"): self = .invalidTofuToken
        case (3000, _), (1011, "unable to establish proxy"): self = .proxySetupFailed(reason)
        default: self = .closedByWorker(code: code, reason: reason)
        }
    }

    public var description: String {
        switch self {
        case .invalidCredentials(let why): return "session credentials unusable: \(why)"
        case .invalidWorkerAddress(let a): return "invalid worker address \"\(a.prefix(100))\""
        case .noWorkers: return "the session lists no worker addresses"
        case .invalidTofuTokenFormat: return "tofu token must be 20 base62 characters"
        case .workersUnreachable(let tried): return "no worker reachable: " + tried.joined(separator: "; ")
        case .sessionNotAuthorized:
            return "session credentials were not accepted, or session is unauthorized (TLS internal_error alert)"
        case .workerCertificateMismatch: return "worker did not present the session certificate"
        case .clientCertificateRejected: return "worker refused the session certificate as client certificate"
        case .tls(let text): return "TLS with the worker failed: \(text)"
        case .connectionClosedDuringSetup: return "worker closed the connection before the proxy handshake finished"
        case .timedOut(let stage): return "timed out \(stage)"
        case .upgradeRefused(let status): return "worker answered the WebSocket upgrade with HTTP \(status)"
        case .invalidUpgradeResponse(let why): return "invalid WebSocket upgrade response: \(why)"
        case .subprotocolMismatch(let got):
            return "worker did not select subprotocol boundary-tcp-proxy-v1 (got \(got.map { "\"\($0)\"" } ?? "none"))"
        case .sessionInUse: return "session is already in use by another client (tofu token not allowed)"
        case .noConnectionsLeft: return "no connections left in session (unable to authorize connection)"
        case .refusingToActivateSession: return "worker refused to activate the session"
        case .invalidTofuToken: return "worker refused the tofu token"
        case .proxySetupFailed(let reason): return "worker could not connect to the target: \(reason)"
        case .cancelFailed(let reason): return "session cancel failed: \(reason)"
        case .closedByWorker(let code, let reason):
            return "worker closed the WebSocket (\(code.map(String.init) ?? "no status")) \"\(reason)\""
        case .invalidHandshakeResult(let why): return "invalid HandshakeResult: \(why)"
        case .protocolViolation(let why): return "WebSocket protocol violation by the worker: \(why)"
        case .sessionExpired: return "session has expired"
        case .connectionLost(let why): return "connection to the worker lost: \(why)"
        case .eventLoopMismatch: return "local channel and worker connection are on different event loops"
        case .notSpliceable: return "worker connection is already spliced or closed"
        }
    }
}
