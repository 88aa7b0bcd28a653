import BoundaryWire
import JSON

extension DevAPIRouter {
    /// `GET /v1/users/{id}:list-resolvable-aliases` (`users/user_service.go`): the id must be a
    /// `u_` id (not `u_recovery`); anonymous → 401; a user listing someone else's (without admin)
    /// or lacking the grant → 403; then the paginated listing.
    func listResolvableAliases(
        userID: String, query: [String: String], caller: DevDirectory.Caller, now: Double, fields: inout LogFields
    ) -> Result<JSONValue, DevAPIError> {
        guard userID.hasPrefix("u_"), userID != "u_recovery" else {
            return .failure(
                .invalidArgument("Invalid formatted identifier.", fields: ["id": "Invalid formatted identifier."]))
        }
        guard case .user(let me, _) = caller else { return .failure(.unauthenticated) }
        guard let owner = directory.user(id: userID) else {
            return .failure(me.isAdmin ? .resourceNotFound : .forbidden)
        }
        guard (me.id == owner.id && owner.mayListAliases) || me.isAdmin else { return .failure(.forbidden) }
        var pageSize = 0
        if let text = query["page_size"], !text.isEmpty {
            guard let n = UInt32(text) else {
                return .failure(.invalidArgument("Invalid argument for page_size."))
            }
            pageSize = Int(n)
        }
        let listToken = query["list_token"]
        fields["list_token_sent"] = .bool(!(listToken ?? "").isEmpty)
        if pageSize > 0 { fields["page_size"] = .int(Int64(pageSize)) }
        let result = directory.listResolvableAliases(userID: userID, listToken: listToken, pageSize: pageSize, now: now)
        if case .success(let page) = result {
            fields["items"] = .int(Int64(page.items.count))
            fields["removed"] = .int(Int64(page.removedIDs.count))
            fields["response_type"] = .string(page.responseType)
        }
        return result.map(\.protoJSON)
    }

    /// `POST /v1/targets/{id}:authorize-session` (`targets/target_service.go`, `internal/alias`):
    /// alias values (no `_`, no scope in the body) resolve through the alias table; the caller
    /// must be a real user (anonymous → 401) with the grant (403); every call makes a new pending
    /// session with its own certificate and key.
    func authorizeSession(
        target rawTarget: String, body: [UInt8], caller: DevDirectory.Caller, now: Double, fields: inout LogFields
    ) -> Result<JSONValue, DevAPIError> {
        let json: JSONValue
        switch DevAPIRouter.parseBody(body) {
        case .success(let j): json = j
        case .failure(let e): return .failure(e)
        }
        let scopeID = json["scope_id"]?.stringValue ?? ""
        let scopeName = json["scope_name"]?.stringValue ?? ""
        let requestedHost = json["host_id"]?.stringValue ?? ""
        var alias: DevControllerConfig.Alias?
        let target: DevControllerConfig.Target
        if !rawTarget.contains("_") && scopeID.isEmpty && scopeName.isEmpty {
            fields["alias"] = .string(rawTarget)
            guard let found = directory.alias(value: rawTarget) else {
                return .failure(.notFound("resource alias not found with value \"\(rawTarget)\""))
            }
            guard !found.destinationID.isEmpty, let t = directory.target(id: found.destinationID) else {
                return .failure(.notFound("resource not found for alias value \"\(rawTarget)\""))
            }
            alias = found
            target = t
        } else if rawTarget.hasPrefix("ttcp_") {
            guard let t = directory.target(id: rawTarget) else { return .failure(.resourceNotFound) }
            target = t
        } else {
            guard !scopeID.isEmpty || !scopeName.isEmpty else {
                return .failure(
                    .invalidArgument(
                        "Invalid formatted identifier.",
                        fields: ["name": "Target name must be specified with scope_id or scope_name."]))
            }
            guard let t = directory.target(name: rawTarget) else {
                return .failure(.notFound("Target \"\(rawTarget)\" not found."))
            }
            target = t
        }
        fields["target_id"] = .string(target.id)
        guard case .user(let user, let token) = caller else { return .failure(.unauthenticated) }
        guard user.mayAuthorize(targetID: target.id) else { return .failure(.forbidden) }
        if let pinned = alias?.hostID, !pinned.isEmpty, !requestedHost.isEmpty, requestedHost != pinned {
            return .failure(
                .invalidArgument(
                    "The host id specified in the request does not match the one provided by the alias.",
                    fields: [
                        "host_id": "The host id specified in the request does not match the one provided by the alias."
                    ]))
        }
        if !requestedHost.isEmpty && alias?.hostID != requestedHost {
            // Address targets have no host sources, so no host id is ever available.
            return .failure(
                .invalidArgument(
                    "Error in provided request.", fields: ["host_id": "The requested host id is not available."]))
        }
        guard target.port > 0 else {
            return .failure(.failedPrecondition("Target does not have default port defined."))
        }
        let workers = workerAddresses()
        guard !workers.isEmpty else {
            return .failure(.failedPrecondition("No workers are available to handle this session."))
        }

        let sessionID = "s_" + DevIDs.random(count: 10)
        let expiration = now + Double(target.effectiveMaxSeconds)
        let material: SessionCertificateFactory.Material
        do {
            material = try SessionCertificateFactory.make(
                sessionID: sessionID, workerAddresses: workers, expiration: expiration, now: now)
        } catch {
            return .failure(.internal("targets.(Service).AuthorizeSession: \(error)"))
        }
        sessions.insert(
            DevSessionStore.Session(
                id: sessionID, userID: user.id, authTokenID: token.id, targetID: target.id,
                scopeID: DevControllerConfig.projectScope.id, endpointHost: target.address, endpointPort: target.port,
                createdTime: now, updatedTime: now, expiration: expiration, certificateDER: material.certificateDER,
                privateKey: material.privateKey, connectionLimit: target.connectionLimit))
        fields["session_id"] = .string(sessionID)

        let endpoint = "tcp://\(DevAPIRouter.hostPort(target.address, target.port))"
        let data = SessionAuthorizationData(
            sessionID: sessionID, targetID: target.id, scope: DevControllerConfig.projectScope,
            createdTime: DevAPIRouter.timestamp(now), type: "tcp", connectionLimit: target.connectionLimit,
            endpointPort: UInt32(target.port), expiration: DevAPIRouter.timestamp(expiration),
            certificate: material.certificateDER, privateKey: material.privateKey, hostID: target.id,
            endpoint: endpoint,
            workerInfo: workers.map { .init(address: $0) })
        let authorization = SessionAuthorization(
            sessionID: sessionID, targetID: target.id, scope: DevControllerConfig.projectScope,
            createdTime: data.createdTime, userID: user.id, hostID: target.id, type: "tcp",
            authorizationToken: data.authorizationToken, connectionLimit: target.connectionLimit, endpoint: endpoint,
            endpointPort: UInt32(target.port), expiration: data.expiration,
            credentials: target.credentials.map {
                SessionCredential.brokered(
                    $0.kind, sourceID: $0.id, storeID: $0.storeID, name: $0.name, sourceType: $0.sourceType)
            })
        return .success(authorization.protoJSON)
    }

    /// `GET /v1/sessions/{id}` (`sessions/session_service.go`): lookup first (unknown → 404), then
    /// anonymous → 401, then someone else's session without admin → 403.
    func readSession(id: String, caller: DevDirectory.Caller, now: Double) -> Result<JSONValue, DevAPIError> {
        guard id.hasPrefix("s_") else {
            return .failure(
                .invalidArgument("Invalid formatted identifier.", fields: ["id": "Invalid formatted identifier."]))
        }
        guard let session = sessions.session(id: id) else { return .failure(.resourceNotFound) }
        guard case .user(let user, _) = caller else { return .failure(.unauthenticated) }
        guard session.userID == user.id || user.isAdmin else { return .failure(.forbidden) }
        return .success(sessionResource(session, viewer: user, now: now).protoJSON)
    }

    /// `POST /v1/sessions/{id}:cancel` with `{"version": N}`: N required and non-zero (400);
    /// lookup (404), anonymous (401), owner or admin (403); a canceling or terminated session is
    /// returned unchanged; otherwise N must be the current version, and a stale one fails the
    /// update with a 500 as upstream's optimistic lock does.
    func cancelSession(id: String, body: [UInt8], caller: DevDirectory.Caller, now: Double)
        -> Result<JSONValue, DevAPIError>
    {
        let json: JSONValue
        switch DevAPIRouter.parseBody(body) {
        case .success(let j): json = j
        case .failure(let e): return .failure(e)
        }
        var bad: [String: String] = [:]
        if !id.hasPrefix("s_") { bad["id"] = "Improperly formatted identifier." }
        let version = json["version"]?.int64Value ?? 0
        if version == 0 { bad["version"] = "Required field." }
        guard bad.isEmpty else { return .failure(.invalidArgument("Improperly formatted identifier.", fields: bad)) }
        guard let requested = UInt32(exactly: version) else {
            return .failure(.invalidArgument("Invalid argument for version."))
        }
        guard let session = sessions.session(id: id) else { return .failure(.resourceNotFound) }
        guard case .user(let user, _) = caller else { return .failure(.unauthenticated) }
        guard session.userID == user.id || user.isAdmin else { return .failure(.forbidden) }
        guard session.isLive(at: now) else {
            return .success(sessionResource(session, viewer: user, now: now).protoJSON)
        }
        switch sessions.cancel(id: id, version: requested, reason: "canceled", now: now) {
        case .canceled(let updated):
            return .success(sessionResource(updated, viewer: user, now: now).protoJSON)
        case .versionMismatch:
            return .failure(
                .internal(
                    "sessions.(Service).CancelSession: unable to update session: session.(Repository).CancelSession: "
                        + "session.(Repository).updateState: error creating new state: updated session and 0 rows updated: "
                        + "db.MultipleRecords"))
        case .notFound:
            return .failure(.resourceNotFound)
        }
    }

    /// The Session resource (`sessions.toProto`). A pending or active session past its expiry is
    /// shown as terminated ("timed out"), as the controller's expiry job would have made it.
    func sessionResource(_ s: DevSessionStore.Session, viewer: DevControllerConfig.User, now: Double) -> Session {
        var status = s.status.rawValue
        var reason = s.terminationReason ?? ""
        if s.isLive(at: now) == false, s.status == .pending || s.status == .active {
            status = Session.statusTerminated
            reason = "timed out"
        }
        var states = [Session.State(status: status, startTime: DevAPIRouter.timestamp(s.updatedTime))]
        if status != Session.statusPending {
            states.append(
                Session.State(
                    status: Session.statusPending, startTime: DevAPIRouter.timestamp(s.createdTime),
                    endTime: DevAPIRouter.timestamp(s.updatedTime)))
        }
        let owner = s.userID == viewer.id
        return Session(
            id: s.id, targetID: s.targetID, scope: DevControllerConfig.projectScope,
            createdTime: DevAPIRouter.timestamp(s.createdTime),
            updatedTime: DevAPIRouter.timestamp(s.updatedTime), version: s.version, type: s.type,
            expirationTime: DevAPIRouter.timestamp(s.expiration), authTokenID: s.authTokenID, userID: s.userID,
            hostID: s.targetID, scopeID: s.scopeID,
            endpoint: "tcp://\(DevAPIRouter.hostPort(s.endpointHost, s.endpointPort))", states: states, status: status,
            certificate: s.certificateDER, terminationReason: reason,
            authorizedActions: owner ? ["read:self", "cancel:self"] : ["read", "cancel"],
            connections: s.connections.map { c in
                Session.Connection(
                    clientTCPAddress: c.clientAddress, clientTCPPort: UInt32(clamping: c.clientPort),
                    endpointTCPAddress: s.endpointHost, endpointTCPPort: UInt32(clamping: s.endpointPort),
                    bytesUp: c.bytesUp, bytesDown: c.bytesDown, closedReason: c.closedReason ?? "")
            })
    }

    static func hostPort(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
