import NIOCore

/// What the controller said about a token (`GET /v1/auth-tokens/{id}`, boundary-protocol.md §1.4).
public struct AuthTokenInfo: Sendable, Equatable {
    public var id: String
    public var userID: String
    /// RFC 3339 `expiration_time`, as sent.
    public var expirationTime: String?

    public init(id: String, userID: String, expirationTime: String?) {
        self.id = id
        self.userID = userID
        self.expirationTime = expirationTime
    }
}

/// A session the controller authorized (`POST /v1/targets/{alias}:authorize-session`, §1.7), with
/// the authorization token already decoded into what the data plane needs (`grant`).
public struct AuthorizedGrant<Grant: Sendable>: Sendable {
    public var grant: Grant
    /// The session's tofu token (the grant may be built around it).
    public var tofuToken: String
    public var info: SessionInfo
    /// Wall-clock expiry, nanoseconds since the epoch (from `expiration`).
    public var expirationNanoseconds: Int64
    /// `connection_limit`: -1 unlimited, nil when absent.
    public var connectionLimit: Int32?

    public init(
        grant: Grant, tofuToken: String = TofuTokenGenerator.generate(), info: SessionInfo,
        expirationNanoseconds: Int64, connectionLimit: Int32?
    ) {
        self.grant = grant
        self.tofuToken = tofuToken
        self.info = info
        self.expirationNanoseconds = expirationNanoseconds
        self.connectionLimit = connectionLimit
    }
}

/// The controller calls the broker makes, each for one user's token. Implemented over
/// `BoundaryAPI.ControllerClient` (`ControllerAdapter`); futures fail with `ControllerFailure`.
/// No async/await: the worker runs without Dispatch, and Swift's default executor uses it.
public protocol ControllerPort: Sendable {
    associatedtype Grant: Sendable

    /// `GET /v1/auth-tokens/{tokenID}` with the token itself.
    func readAuthToken(controller: String, token: String, tokenID: String) -> EventLoopFuture<AuthTokenInfo>
    /// `GET /v1/users/{userID}:list-resolvable-aliases`, every page, from `listToken` when given.
    func listResolvableAliases(controller: String, token: String, userID: String, listToken: String?)
        -> EventLoopFuture<AliasListing>
    /// `POST /v1/targets/{alias}:authorize-session` with an empty body (no host_id, §6.12).
    func authorizeSession(controller: String, token: String, alias: String)
        -> EventLoopFuture<AuthorizedGrant<Grant>>
    /// `GET /v1/sessions/{id}` then `POST /v1/sessions/{id}:cancel` with its version (§1.8).
    func cancelSession(controller: String, token: String, sessionID: String) -> EventLoopFuture<Void>
}

/// A connection the worker accepted: the handshake result and when the bytes stop.
public struct CarriedConnection: Sendable {
    /// `connections_left` of the HandshakeResult (-1 unlimited).
    public var connectionsLeft: Int32
    /// Completes when either side closed (the splice is over, both channels closed).
    public var closed: EventLoopFuture<Void>

    public init(connectionsLeft: Int32, closed: EventLoopFuture<Void>) {
        self.connectionsLeft = connectionsLeft
        self.closed = closed
    }
}

/// The worker data plane (boundary-protocol.md §3): implemented over the `BoundaryAPI` data-plane
/// client (`DataPlaneAdapter`).
public protocol DataPlanePort: Sendable {
    associatedtype Grant: Sendable

    /// Opens TLS + WebSocket to the session's worker, runs the handshake with `tofuToken`, then
    /// splices `client` (whose reads are off until then) to it with backpressure. Fails with
    /// `ConnectionSetupFailureError` before any byte was carried.
    func carry(client: Channel, grant: Grant, tofuToken: String) -> EventLoopFuture<CarriedConnection>
    /// SESSION_CANCEL through the worker (needs the session certificate, not the API token).
    func cancel(grant: Grant, tofuToken: String, on eventLoop: EventLoop) -> EventLoopFuture<Void>
}

/// `ConnectionSetupFailure` as an `Error`, for futures.
public struct ConnectionSetupFailureError: Error, Sendable, CustomStringConvertible {
    public var failure: ConnectionSetupFailure
    public init(_ failure: ConnectionSetupFailure) { self.failure = failure }
    public var description: String { failure.description }
}

/// One entry of a user's DNS view: the alias and its two addresses.
public struct ViewEntry: Sendable, Equatable {
    public var alias: String
    public var addresses: AliasAddresses

    public init(alias: String, addresses: AliasAddresses) {
        self.alias = alias
        self.addresses = addresses
    }
}

/// broker → DNS worker messages (BRIEF "Processes and IPC"). Fire and forget: the link is a
/// SEQPACKET socket; a lost DNS worker is restarted by the helper, which then calls
/// `BrokerCore.dnsWorkerConnected()` to push everything again.
public protocol DNSWorkerPort: Sendable {
    /// Replaces that uid's view; an empty list removes it.
    func setView(uid: UInt32, entries: [ViewEntry])
    /// Users whose alias listing is forbidden: unknown names they query come to the broker.
    func setFallbackUsers(_ uids: [UInt32])
    /// The answer to a `resolveRequest`; nil addresses: not an alias for that user.
    func resolveResult(requestID: UInt64, uid: UInt32, name: String, addresses: AliasAddresses?)
    func flushCache()
}

/// What the helper says about the system (its `status` answer).
public struct HelperState: Sendable, Equatable {
    /// The agent is paused (kept across restarts in `operational_state_file`).
    public var paused: Bool
    /// Another program overwrote the resolver configuration the helper installed.
    public var resolverOverwritten: Bool
    /// Errors the workers reported to the helper (`reportError`), oldest first: how a restarted
    /// broker gets back the status errors of the run before it.
    public var reportedErrors: [ReportedError]
    /// Warnings of the helper's own for every user's status (e.g. it rebuilt a resolv.conf whose
    /// backup a crash and a reboot had lost).
    public var warnings: [String]

    public struct ReportedError: Sendable, Equatable {
        /// Seconds since the epoch.
        public var time: Int64
        public var text: String

        public init(time: Int64, text: String) {
            self.time = time
            self.text = text
        }
    }

    public init(
        paused: Bool, resolverOverwritten: Bool, reportedErrors: [ReportedError] = [], warnings: [String] = []
    ) {
        self.paused = paused
        self.resolverOverwritten = resolverOverwritten
        self.reportedErrors = reportedErrors
        self.warnings = warnings
    }
}

/// worker → helper requests (`AgentIPC.HelperClient`).
public protocol HelperPort: Sendable {
    /// The helper's view of the system.
    func status() -> EventLoopFuture<HelperState>
    /// Pause the whole agent: the helper restores the system resolver.
    func pause(reason: String) -> EventLoopFuture<Void>
    func resume() -> EventLoopFuture<Void>
    /// An error for the helper's log.
    func reportError(_ text: String)
}

/// Where status entries are persisted so they survive a worker restart until reboot (a file in
/// /run the helper opened for us). Optional.
public protocol StatusJournal: Sendable {
    func append(_ entry: StatusLog.Entry)
}
