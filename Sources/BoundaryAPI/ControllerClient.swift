import BoundaryWire
import JSON
import Logging
import NIOCore
import NIOHTTP1

/// The Boundary controller API calls the agent needs (boundary-protocol.md §1), with the request
/// shapes of the Go client (`api/…`). Every call returns an `EventLoopFuture` (no Swift
/// concurrency executor involved, so it runs inside the Dispatch-free broker) and has an `async`
/// twin. Failures are `ControllerError`.
public struct ControllerClient: Sendable {
    /// The product token the controller recognises as the client agent (`interceptor.go`).
    public static let userAgentProduct = "Boundary-client-agent"

    /// `Boundary-client-agent/<semver>` (no leading `v`).
    public static func userAgent(version: String) -> String {
        "\(userAgentProduct)/\(version.hasPrefix("v") ? String(version.dropFirst()) : version)"
    }

    /// Upper bound on pages in one listing, so a misbehaving controller cannot loop us forever.
    public static let maximumListPages = 10_000

    public let endpoint: HTTPEndpoint
    public let http: HTTPClient
    public var logger: Logger
    /// `page_size` for alias listings; nil lets the controller pick (its maximum, 1000 by default).
    public var pageSize: UInt32?

    /// `address` is the controller URL (`http://127.0.0.1:9200`); a trailing `/v1` is dropped.
    public init(address: String, http: HTTPClient, logger: Logger, pageSize: UInt32? = nil) throws {
        self.endpoint = try HTTPEndpoint(url: address)
        self.http = http
        self.logger = logger
        self.pageSize = pageSize
    }

    // MARK: - Auth

    /// `POST /v1/auth-methods/{id}:authenticate` with the password `login` command. The result's
    /// `token` is the full secret token; wrong credentials fail with `.unauthenticated`.
    public func authenticate(authMethodID: String, loginName: String, password: String) -> EventLoopFuture<AuthToken> {
        let eventLoop = http.group.next()
        guard authMethodID.hasPrefix("ampw_") else {
            return eventLoop.makeFailedFuture(
                ControllerError.invalidArgument("\(authMethodID) is not a password auth method id (ampw_…)"))
        }
        let body = PasswordAuthenticateRequest(loginName: loginName, password: password)
        let target = "/v1/auth-methods/\(PercentEncoding.encode(authMethodID)):authenticate"
        return call(.POST, target, token: nil, body: body.protoJSON, as: AuthenticateResponse.self).flatMapThrowing {
            response in
            let token = response.attributes
            // A token we cannot send back later is useless; say so now.
            _ = try AuthTokenString(token.token)
            guard !token.userID.isEmpty else { throw ControllerError.malformedResponse("authenticate: no user_id") }
            return token
        }.flatMapErrorThrowing { error in
            if let wire = error as? BoundaryWireError {
                throw ControllerError.malformedResponse("authenticate: \(wire)")
            }
            throw error
        }
    }

    /// `GET /v1/auth-tokens/{id}` with `token` as the bearer.
    public func readAuthToken(id: String, token: AuthTokenString) -> EventLoopFuture<AuthToken> {
        guard id.hasPrefix("at_") else {
            return http.group.next().makeFailedFuture(ControllerError.invalidArgument("\(id) is not an auth token id"))
        }
        return call(.GET, "/v1/auth-tokens/\(PercentEncoding.encode(id))", token: token, body: nil, as: AuthToken.self)
    }

    /// Checks a token the way the client cache does: read the token itself with itself. A 404
    /// (the controller deletes expired tokens while validating them) is reported as
    /// `.unauthenticated`, so `isTokenDead` covers both answers that mean "dead".
    public func validate(token: AuthTokenString) -> EventLoopFuture<AuthToken> {
        readAuthToken(id: token.publicID, token: token).flatMapErrorThrowing { error in
            if case .notFound(let body) = error as? ControllerError { throw ControllerError.unauthenticated(body) }
            throw error
        }
    }

    // MARK: - Resolvable aliases

    /// One page of `GET /v1/users/{id}:list-resolvable-aliases`, with the query the Go client sends
    /// (`scope_id=global`, then `list_token`, `page_size`).
    public func listResolvableAliasesPage(
        userID: String, token: AuthTokenString, listToken: String?, pageSize: UInt32? = nil
    ) -> EventLoopFuture<ResolvableAliasListPage> {
        guard userID.hasPrefix("u_") else {
            return http.group.next().makeFailedFuture(ControllerError.invalidArgument("\(userID) is not a user id"))
        }
        var query = [("scope_id", "global")]
        if let listToken, !listToken.isEmpty { query.append(("list_token", listToken)) }
        if let size = pageSize ?? self.pageSize { query.append(("page_size", String(size))) }
        query.sort { $0.0 < $1.0 }  // Go's url.Values.Encode sorts by key.
        let target =
            "/v1/users/\(PercentEncoding.encode(userID)):list-resolvable-aliases?"
            + query.map { "\($0.0)=\(PercentEncoding.encode($0.1))" }.joined(separator: "&")
        return call(.GET, target, token: token, body: nil, as: ResolvableAliasListPage.self)
    }

    /// A whole listing: every page until `complete`. With a `refreshToken` (the token of an
    /// earlier complete listing) the result is a delta; when the controller refuses that token
    /// (`invalid list token`) the listing starts over in full, as the client cache does.
    public func listResolvableAliases(
        userID: String, token: AuthTokenString, refreshToken: String?
    ) -> EventLoopFuture<ResolvableAliasListing> {
        let eventLoop = http.group.next()
        let start = listAll(userID: userID, token: token, startToken: refreshToken, on: eventLoop)
        guard refreshToken != nil else { return start }
        return start.flatMapError { error in
            guard case .invalidListToken(let body) = error as? ControllerError else {
                return eventLoop.makeFailedFuture(error)
            }
            logger.debug(
                "list token refused; listing all aliases again", metadata: ["user": "\(userID)", "reason": "\(body)"])
            return listAll(userID: userID, token: token, startToken: nil, on: eventLoop).map { listing in
                var listing = listing
                listing.reloadedAfterInvalidListToken = true
                return listing
            }
        }
    }

    private func listAll(userID: String, token: AuthTokenString, startToken: String?, on eventLoop: any EventLoop)
        -> EventLoopFuture<ResolvableAliasListing>
    {
        let accumulator = ResolvableAliasListing.Accumulator(isRefresh: startToken != nil)
        @Sendable func next(_ listToken: String?, page: Int) -> EventLoopFuture<ResolvableAliasListing> {
            listResolvableAliasesPage(userID: userID, token: token, listToken: listToken).hop(to: eventLoop)
                .flatMap { response in
                    accumulator.add(response)
                    guard response.responseType == ResolvableAliasListPage.responseTypeDelta else {
                        return eventLoop.makeSucceededFuture(accumulator.finish(last: response, pages: page))
                    }
                    guard !response.listToken.isEmpty else {
                        return eventLoop.makeFailedFuture(
                            ControllerError.malformedResponse(
                                "list-resolvable-aliases: a delta page without list_token"))
                    }
                    guard page < ControllerClient.maximumListPages else {
                        return eventLoop.makeFailedFuture(
                            ControllerError.malformedResponse(
                                "list-resolvable-aliases: more than \(ControllerClient.maximumListPages) pages"))
                    }
                    return next(response.listToken, page: page + 1)
                }
        }
        return next(startToken, page: 1)
    }

    // MARK: - Sessions

    /// `POST /v1/targets/{alias value}:authorize-session` with an empty body: no `host_id`, so the
    /// alias's own host pin applies (boundary-protocol.md §1.6, §6.12). Also accepts a target id.
    /// The authorization token is decoded and checked, so a usable session comes back or an error.
    public func authorizeSession(target: String, token: AuthTokenString) -> EventLoopFuture<AuthorizedSession> {
        guard !target.isEmpty else {
            return http.group.next().makeFailedFuture(ControllerError.invalidArgument("empty target or alias"))
        }
        let path = "/v1/targets/\(PercentEncoding.encode(target)):authorize-session"
        return call(.POST, path, token: token, body: .object([:]), as: SessionAuthorization.self).flatMapThrowing {
            authorization in
            do {
                let data = try SessionAuthorizationData(authorizationToken: authorization.authorizationToken)
                try data.checkUsable()
                guard data.sessionID == authorization.sessionID else {
                    throw BoundaryWireError.invalidAuthorizationToken(
                        "token is for \(data.sessionID), the answer for \(authorization.sessionID)")
                }
                return AuthorizedSession(authorization: authorization, data: data)
            } catch let error as BoundaryWireError {
                throw ControllerError.malformedResponse("authorize-session: \(error)")
            }
        }
    }

    /// `GET /v1/sessions/{id}`.
    public func readSession(id: String, token: AuthTokenString) -> EventLoopFuture<Session> {
        guard id.hasPrefix("s_") else {
            return http.group.next().makeFailedFuture(ControllerError.invalidArgument("\(id) is not a session id"))
        }
        return call(.GET, "/v1/sessions/\(PercentEncoding.encode(id))", token: token, body: nil, as: Session.self)
    }

    /// `POST /v1/sessions/{id}:cancel` with `{"version": N}`. With `version` nil the current
    /// version is read first (the Go client's automatic versioning). A session already
    /// canceling or terminated is returned as it is.
    public func cancelSession(id: String, version: UInt32?, token: AuthTokenString) -> EventLoopFuture<Session> {
        guard id.hasPrefix("s_") else {
            return http.group.next().makeFailedFuture(ControllerError.invalidArgument("\(id) is not a session id"))
        }
        guard let version else {
            return readSession(id: id, token: token).flatMap { session in
                guard session.isLive else { return http.group.next().makeSucceededFuture(session) }
                return cancelSession(id: id, version: session.version, token: token)
            }
        }
        let body: JSONValue = ["version": .int(Int64(version))]
        return call(
            .POST, "/v1/sessions/\(PercentEncoding.encode(id)):cancel", token: token, body: body, as: Session.self)
    }

    // MARK: - Transport

    func call<T: ProtoJSONCodable>(
        _ method: HTTPMethod, _ target: String, token: AuthTokenString?, body: JSONValue?, as type: T.Type
    ) -> EventLoopFuture<T> {
        var headers = [("Content-Type", "application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token.value)")) }
        let request = HTTPRequest(
            method: method, target: target, headers: headers, body: body.map { JSONWriter().bytes($0) })
        let what = "\(method) \(target.prefix { $0 != "?" })"
        let logger = self.logger
        return http.execute(request, to: endpoint).flatMapThrowing { response in
            logger.debug("controller answered", metadata: ["request": "\(what)", "status": "\(response.status)"])
            guard (200..<300).contains(response.status) else {
                throw ControllerError(status: response.status, body: response.body)
            }
            do {
                return try T(protoJSONBytes: response.body)
            } catch {
                throw ControllerError.malformedResponse("\(what): \(error)")
            }
        }
    }
}

/// An authorize-session answer with its token already decoded.
public struct AuthorizedSession: Sendable, Equatable {
    /// The JSON resource (credentials, expiration, connection limit, endpoint).
    public var authorization: SessionAuthorization
    /// The decoded `authorization_token`: certificate, private key, worker addresses.
    public var data: SessionAuthorizationData

    public init(authorization: SessionAuthorization, data: SessionAuthorizationData) {
        self.authorization = authorization
        self.data = data
    }
}

// MARK: - async

extension ControllerClient {
    public func authenticate(authMethodID: String, loginName: String, password: String) async throws -> AuthToken {
        try await authenticate(authMethodID: authMethodID, loginName: loginName, password: password).get()
    }

    public func readAuthToken(id: String, token: AuthTokenString) async throws -> AuthToken {
        try await readAuthToken(id: id, token: token).get()
    }

    public func validate(token: AuthTokenString) async throws -> AuthToken {
        try await validate(token: token).get()
    }

    public func listResolvableAliasesPage(
        userID: String, token: AuthTokenString, listToken: String?, pageSize: UInt32? = nil
    ) async throws -> ResolvableAliasListPage {
        try await listResolvableAliasesPage(userID: userID, token: token, listToken: listToken, pageSize: pageSize)
            .get()
    }

    public func listResolvableAliases(userID: String, token: AuthTokenString, refreshToken: String?) async throws
        -> ResolvableAliasListing
    {
        try await listResolvableAliases(userID: userID, token: token, refreshToken: refreshToken).get()
    }

    public func authorizeSession(target: String, token: AuthTokenString) async throws -> AuthorizedSession {
        try await authorizeSession(target: target, token: token).get()
    }

    public func readSession(id: String, token: AuthTokenString) async throws -> Session {
        try await readSession(id: id, token: token).get()
    }

    public func cancelSession(id: String, version: UInt32?, token: AuthTokenString) async throws -> Session {
        try await cancelSession(id: id, version: version, token: token).get()
    }
}
