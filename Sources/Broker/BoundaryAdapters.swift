import BoundaryAPI
import BoundaryWire
import JSON
import Logging
import NIOCore

/// What the broker keeps of a session for the data plane: the per-session client (TLS context,
/// tofu token) and the worker addresses from the decoded authorization token.
public struct SessionGrant: Sendable {
    public var client: DataPlaneClient
    public var workers: [WorkerAddress]

    public init(client: DataPlaneClient, workers: [WorkerAddress]) {
        self.client = client
        self.workers = workers
    }
}

/// `ControllerPort` over `BoundaryAPI.ControllerClient` (one per controller address, made per call:
/// it only parses the URL; the `HTTPClient` with its TLS context and resolver is shared).
public struct ControllerAdapter: ControllerPort {
    public typealias Grant = SessionGrant

    let http: HTTPClient
    let logger: Logger

    public init(http: HTTPClient, logger: Logger) {
        self.http = http
        self.logger = logger
    }

    func client(_ address: String) throws -> ControllerClient {
        do {
            return try ControllerClient(address: address, http: http, logger: logger)
        } catch {
            throw ControllerFailure.other("invalid controller address: \(error)")
        }
    }

    func prepare(_ address: String, _ token: String) -> Result<(ControllerClient, AuthTokenString), Error> {
        Result {
            let client = try client(address)
            do {
                return (client, try AuthTokenString(token))
            } catch {
                throw ControllerFailure.other("malformed auth token: \(error)")
            }
        }
    }

    public func readAuthToken(controller: String, token: String, tokenID: String) -> EventLoopFuture<AuthTokenInfo> {
        switch prepare(controller, token) {
        case .failure(let error): return http.group.next().makeFailedFuture(error)
        case .success(let (client, token)):
            return client.readAuthToken(id: tokenID, token: token).map {
                AuthTokenInfo(id: $0.id, userID: $0.userID, expirationTime: $0.expirationTime?.rfc3339)
            }.flatMapErrorThrowing { throw Self.failure($0) }
        }
    }

    public func listResolvableAliases(controller: String, token: String, userID: String, listToken: String?)
        -> EventLoopFuture<AliasListing>
    {
        switch prepare(controller, token) {
        case .failure(let error): return http.group.next().makeFailedFuture(error)
        case .success(let (client, token)):
            return client.listResolvableAliases(userID: userID, token: token, refreshToken: listToken).map { listing in
                let items = listing.items.map {
                    ListedAlias(
                        id: $0.id, value: $0.value, destinationID: $0.destinationID.isEmpty ? nil : $0.destinationID)
                }
                switch listing.kind {
                case .full: return .full(items: items, listToken: listing.refreshToken)
                case .delta:
                    return .delta(upserts: items, removedIDs: listing.removedIDs, listToken: listing.refreshToken)
                }
            }.flatMapErrorThrowing { throw Self.failure($0) }
        }
    }

    public func authorizeSession(controller: String, token: String, alias: String)
        -> EventLoopFuture<AuthorizedGrant<SessionGrant>>
    {
        switch prepare(controller, token) {
        case .failure(let error): return http.group.next().makeFailedFuture(error)
        case .success(let (client, token)):
            let logger = self.logger
            return client.authorizeSession(target: alias, token: token).flatMapThrowing { authorized in
                let tofu = TofuToken.generate()
                let grant: SessionGrant
                do {
                    grant = SessionGrant(
                        client: try DataPlaneClient(
                            credentials: DataPlaneCredentials(authorized.data), tofuToken: tofu, logger: logger),
                        workers: try WorkerAddress.list(from: authorized.data))
                } catch {
                    throw ControllerFailure.other("the session's authorization token is unusable: \(error)")
                }
                let a = authorized.authorization
                let expiration = a.expiration ?? authorized.data.expiration
                let info = SessionInfo(
                    sessionID: a.sessionID, targetID: a.targetID.isEmpty ? nil : a.targetID,
                    createdTime: a.createdTime?.rfc3339, expiration: expiration?.rfc3339,
                    endpoint: a.endpoint.isEmpty ? nil : a.endpoint, type: a.type.isEmpty ? nil : a.type,
                    connectionLimit: a.connectionLimit == 0 ? nil : a.connectionLimit,
                    credentials: a.credentials.map(\.protoJSON))
                // Clamped: a year-9999 expiry does not fit in Int64 nanoseconds.
                let nanos =
                    expiration.map { t -> Int64 in
                        let (product, overflow) = t.seconds.multipliedReportingOverflow(by: 1_000_000_000)
                        return overflow ? (t.seconds < 0 ? Int64.min : Int64.max) : product &+ Int64(t.nanos)
                    } ?? Int64.max
                return AuthorizedGrant(
                    grant: grant, tofuToken: tofu, info: info, expirationNanoseconds: nanos,
                    connectionLimit: a.connectionLimit == 0 ? nil : a.connectionLimit)
            }.flatMapErrorThrowing { error in
                if error is ControllerFailure { throw error }
                throw Self.failure(error)
            }
        }
    }

    public func cancelSession(controller: String, token: String, sessionID: String) -> EventLoopFuture<Void> {
        switch prepare(controller, token) {
        case .failure(let error): return http.group.next().makeFailedFuture(error)
        case .success(let (client, token)):
            return client.cancelSession(id: sessionID, version: nil, token: token).map { _ in }
                .flatMapErrorThrowing { throw Self.failure($0) }
        }
    }

    /// `ControllerError` in the broker's terms. Transport failures, and the gateway statuses a
    /// proxy in front of a dead controller answers, count as "unreachable" (auto-pause).
    static func failure(_ error: Error) -> ControllerFailure {
        guard let error = error as? ControllerError else { return .other("\(error)") }
        switch error {
        case .unauthenticated(let body): return .unauthenticated(body.message)
        case .forbidden(let body): return .forbidden(body.message)
        case .notFound(let body): return .notFound(body.message)
        case .invalidListToken: return .invalidListToken
        case .httpStatus(let status, _) where status == 502 || status == 503 || status == 504:
            return .network("\(error)")
        default:
            return error.isTransportFailure ? .network("\(error)") : .other("\(error)")
        }
    }
}

/// `DataPlanePort` over `BoundaryAPI.DataPlaneClient`: worker names resolved with the injected
/// resolver (IP literals need none), the connection made on the client channel's loop and spliced.
public struct DataPlaneAdapter: DataPlanePort {
    public typealias Grant = SessionGrant

    let resolver: HostResolver?
    let logger: Logger

    public init(resolver: HostResolver?, logger: Logger) {
        self.resolver = resolver
        self.logger = logger
    }

    func endpoints(_ workers: [WorkerAddress], on eventLoop: EventLoop) -> EventLoopFuture<[WorkerEndpoint]> {
        var futures: [EventLoopFuture<[WorkerEndpoint]>] = []
        for worker in workers {
            if let literal = WorkerEndpoint(literal: worker) {
                futures.append(eventLoop.makeSucceededFuture([literal]))
            } else if let resolver {
                futures.append(
                    resolver.resolve(host: worker.host, port: worker.port, on: eventLoop)
                        .map { $0.map { WorkerEndpoint(worker: worker, address: $0) } }
                        .recover { _ in [] })
            }
        }
        return EventLoopFuture.whenAllSucceed(futures, on: eventLoop).map { $0.flatMap { $0 } }
    }

    public func carry(client: Channel, grant: SessionGrant, tofuToken: String) -> EventLoopFuture<CarriedConnection> {
        let eventLoop = client.eventLoop
        let logger = self.logger
        return endpoints(grant.workers, on: eventLoop).flatMap { endpoints in
            grant.client.connect(to: endpoints, on: eventLoop)
        }.flatMapError { error in
            eventLoop.makeFailedFuture(ConnectionSetupFailureError(Self.setupFailure(error)))
        }.flatMap { connection in
            connection.splice(with: client).map {
                connection.outcome.whenSuccess { outcome in
                    logger.debug("connection ended: \(outcome)", metadata: ["session": "\(grant.client.sessionID)"])
                }
                return CarriedConnection(
                    connectionsLeft: connection.handshakeResult.connectionsLeft,
                    closed: connection.outcome.map { _ in })
            }.flatMapError { error in
                connection.close()
                return eventLoop.makeFailedFuture(ConnectionSetupFailureError(.other("\(error)")))
            }
        }
    }

    public func cancel(grant: SessionGrant, tofuToken: String, on eventLoop: EventLoop) -> EventLoopFuture<Void> {
        endpoints(grant.workers, on: eventLoop).flatMap { endpoints in
            grant.client.cancelSession(via: endpoints, on: eventLoop)
        }
    }

    static func setupFailure(_ error: Error) -> ConnectionSetupFailure {
        guard let error = error as? DataPlaneError else { return .other("\(error)") }
        switch error {
        case .sessionInUse: return .inUse
        case .noConnectionsLeft: return .noConnectionsLeft
        case .sessionNotAuthorized, .refusingToActivateSession, .sessionExpired: return .sessionGone("\(error)")
        default: return .other("\(error)")
        }
    }
}
