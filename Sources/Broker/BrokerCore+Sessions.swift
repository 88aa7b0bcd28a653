import AgentAPI
import Logging
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

extension BrokerCore {
    // MARK: - DNS worker events

    /// dns → broker `aliasQueried(uid, alias)`: authorize ahead so the connect does not wait.
    public func aliasQueried(uid: UInt32, alias rawAlias: String) {
        loop.preconditionInEventLoop()
        let alias = AliasName.normalize(rawAlias)
        guard uid != UInt32.max, agentPause == nil, !shuttingDown, let user = users[uid], user.token != nil,
            user.viewContains(alias)
        else { return }
        let key = SessionKey(uid: uid, alias: alias)
        _ = apply(withSession(key) { $0.queried(at: .now()) }, key: key)
    }

    /// dns → broker `resolveRequest(requestID, uid, name)` for a user whose listing is forbidden:
    /// try the name as an alias (authorize-session by value), within the fallback gate's limits.
    /// Always answered with `resolveResult`.
    public func resolveRequest(requestID: UInt64, uid: UInt32, name rawName: String) {
        loop.preconditionInEventLoop()
        let name = AliasName.normalize(rawName)
        func answer(_ addresses: AliasAddresses?) {
            dns?.resolveResult(requestID: requestID, uid: uid, name: rawName, addresses: addresses)
        }
        guard agentPause == nil, !shuttingDown, let user = users[uid], user.usesFallback else { return answer(nil) }
        if user.viewContains(name) { return answer(allocator.addresses(of: name)) }
        let now = NIODeadline.now()
        switch fallback.request(uid: uid, name: name, requestID: requestID, at: now) {
        case .negative, .rateLimited, .notACandidate:
            return answer(nil)
        case .joined:
            return
        case .ask:
            break
        }
        let key = SessionKey(uid: uid, alias: name)
        let actions = withSession(key) { $0.queried(at: now) }
        guard case .authorize(let generation)? = actions.first, actions.count == 1 else {
            // A session state without an authorize to start cannot happen for a name outside the
            // view; answer "no alias" rather than wait.
            finishFallback(uid: uid, name: name, isAlias: nil, rawName: rawName)
            return
        }
        logger.debug("fallback lookup", metadata: ["uid": "\(uid)", "alias": "\(name)"])
        authorize(key: key, generation: generation, fallbackName: rawName)
    }

    func finishFallback(uid: UInt32, name: String, isAlias: Bool?, rawName: String) {
        let waiting = fallback.finish(uid: uid, name: name, isAlias: isAlias, at: .now())
        let addresses = isAlias == true ? allocator.addresses(of: name) : nil
        for requestID in waiting {
            dns?.resolveResult(requestID: requestID, uid: uid, name: rawName, addresses: addresses)
        }
    }

    // MARK: - Connections

    /// A client connected to an alias address; `uid` owns the client's socket (sock_diag) and
    /// `destination` is the original destination (SO_ORIGINAL_DST). Refuses (reset) unless the
    /// user has a token whose view holds the alias at that address, and they are under their
    /// connection cap; otherwise carries it through a session. The channel must not be reading.
    public func accept(channel: Channel, uid: UInt32, destination: SocketAddress, peer: String) {
        loop.preconditionInEventLoop()
        let alias: String?
        switch destination {
        case .v4(let address):
            alias = allocator.alias(atV4: UInt32(bigEndian: address.address.sin_addr.s_addr))
        case .v6(let address):
            alias = allocator.alias(atV6: Self.uint128(address.address.sin6_addr))
        case .unixDomainSocket:
            alias = nil
        }
        guard let alias else {
            return refuse(
                channel, uid: uid, alias: "-", peer: peer,
                reason: "no alias has address \(IPText.endpoint(destination))")
        }
        if let reason = refusal(uid: uid, alias: alias) {
            return refuse(channel, uid: uid, alias: alias, peer: peer, reason: reason)
        }
        guard connections.count < settings.maxConnectionsTotal else {
            return refuse(
                channel, uid: uid, alias: alias, peer: peer,
                reason: "the agent carries \(connections.count) connections, as many as its open file limit allows")
        }
        let count = connectionsPerUser[uid] ?? 0
        guard count < settings.maxConnectionsPerUser else {
            return refuse(
                channel, uid: uid, alias: alias, peer: peer,
                reason: "the user has \(count) connections open (max_connections_per_user)")
        }
        connectionsPerUser[uid] = count + 1
        let id = nextConnectionID
        nextConnectionID += 1
        let key = SessionKey(uid: uid, alias: alias)
        connections[id] = Connection(channel: channel, key: key, peer: peer, phase: .pending(attempts: 0))
        channel.closeFuture.hop(to: loop).whenComplete { _ in self.clientClosed(id) }
        logger.debug("connection accepted", metadata: ["uid": "\(uid)", "alias": "\(alias)", "peer": "\(peer)"])
        _ = apply(withSession(key) { $0.connect(id, at: .now()) }, key: key)
    }

    /// Why `uid` may not connect to `alias` now; nil when they may.
    func refusal(uid: UInt32, alias: String) -> String? {
        if shuttingDown { return "the agent is stopping" }
        if let agentPause { return "the agent is paused (\(agentPause))" }
        guard let user = users[uid], user.token != nil else { return "the user has no Boundary token" }
        if user.paused { return "the user paused the agent for themselves" }
        guard user.viewContains(alias) else { return "the alias is not in the user's view" }
        return nil
    }

    /// Resets the client (SO_LINGER 0, then close) and logs why.
    func refuse(_ channel: Channel, uid: UInt32, alias: String, peer: String, reason: String) {
        logger.notice(
            "connection refused: \(reason)", metadata: ["uid": "\(uid)", "alias": "\(alias)", "peer": "\(peer)"])
        Self.reset(channel)
    }

    static func reset(_ channel: Channel) {
        // SO_LINGER {on, 0 s}: close() sends RST instead of FIN, so the client sees "connection
        // reset" at once rather than an empty answer.
        guard let provider = channel as? SocketOptionProvider else { return channel.close(promise: nil) }
        provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
    }

    /// The client's channel closed (for any reason): forget the connection.
    func clientClosed(_ id: UInt64) {
        guard let connection = connections.removeValue(forKey: id) else { return }
        let uid = connection.key.uid
        connectionsPerUser[uid] = max(0, (connectionsPerUser[uid] ?? 1) - 1)
        if connectionsPerUser[uid] == 0 { connectionsPerUser.removeValue(forKey: uid) }
        if case .carried(let sessionID) = connection.phase {
            if sessions[connection.key] != nil {
                apply(withSession(connection.key) { $0.closed(sessionID: sessionID, at: .now()) }, key: connection.key)
            }
        }
    }

    static func uint128(_ address: in6_addr) -> UInt128 {
        withUnsafeBytes(of: address) { bytes in bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) } }
    }

    // MARK: - Sessions

    func withSession<T>(_ key: SessionKey, _ body: (inout SessionState<Grant>) -> T) -> T {
        var state = sessions[key] ?? SessionState(uid: key.uid, alias: key.alias)
        let result = body(&state)
        sessions[key] = state
        return result
    }

    /// Carries out a session state's actions; returns the futures of the cancels it started.
    @discardableResult
    func apply(_ actions: [SessionState<Grant>.Action], key: SessionKey) -> [EventLoopFuture<Void>] {
        var cancels: [EventLoopFuture<Void>] = []
        for action in actions {
            switch action {
            case .authorize(let generation):
                authorize(key: key, generation: generation, fallbackName: nil)
            case .use(let connection, let session):
                carry(connection, on: session, key: key)
            case .fail(let connection, let reason):
                if let c = connections[connection] {
                    refuse(c.channel, uid: key.uid, alias: key.alias, peer: c.peer, reason: reason)
                }
            case .cancel(let session):
                cancels.append(cancel(session, uid: key.uid, alias: key.alias))
            }
        }
        return cancels
    }

    func endSessions(uid: UInt32, reason: String) {
        for key in sessions.keys where key.uid == uid { endSessions(key: key, reason: reason) }
        for (_, connection) in connections where connection.key.uid == uid {
            // Cut our side at once; the worker cuts its side after the cancel.
            connection.channel.close(promise: nil)
        }
    }

    func endSessions(key: SessionKey, reason: String) {
        guard var state = sessions[key] else { return }
        let actions = state.endAll(reason: reason, at: .now())
        sessions[key] = state
        apply(actions, key: key)
        for (_, connection) in connections where connection.key == key { connection.channel.close(promise: nil) }
    }

    func authorize(key: SessionKey, generation: UInt64, fallbackName: String?) {
        guard let token = users[key.uid]?.token else {
            let actions = withSession(key) {
                $0.authorized(generation: generation, .failure(.unauthenticated("signed out")), at: .now())
            }
            apply(actions, key: key)
            if let fallbackName { finishFallback(uid: key.uid, name: key.alias, isAlias: nil, rawName: fallbackName) }
            return
        }
        controller.authorizeSession(controller: token.controllerAddress, token: token.token, alias: key.alias)
            .hop(to: loop)
            .whenComplete { result in
                self.authorized(key: key, generation: generation, result, token: token, fallbackName: fallbackName)
            }
    }

    func authorized(
        key: SessionKey, generation: UInt64, _ result: Result<AuthorizedGrant<Grant>, Error>, token: TokenRecord,
        fallbackName: String?
    ) {
        let now = NIODeadline.now()
        let mapped: Result<SessionRecord<Grant>, ControllerFailure>
        switch result {
        case .success(let authorized):
            let record = SessionRecord(
                id: authorized.info.sessionID, grant: authorized.grant, tofuToken: authorized.tofuToken,
                info: authorized.info,
                expiresAt: Self.deadline(fromWallNanoseconds: authorized.expirationNanoseconds, now: now),
                connectionLimit: authorized.connectionLimit, now: now, controllerAddress: token.controllerAddress)
            mapped = .success(record)
            let stale = users[key.uid]?.token?.tokenID != token.tokenID
            var metadata: Logger.Metadata = [
                "uid": "\(key.uid)", "alias": "\(key.alias)", "session": "\(record.id)",
            ]
            if stale { metadata["stale"] = "true" }
            logger.info("session authorized", metadata: metadata)
            if !authorized.info.credentials.isEmpty && !stale {
                logger.info("session established with brokered credentials", metadata: metadata)
                addEvent(
                    "session \(record.id) for \(key.alias) has brokered credentials: see `boundary-agent sessions`",
                    uid: key.uid)
            }
        case .failure(let error):
            let failure = (error as? ControllerFailure) ?? .other("\(error)")
            mapped = .failure(failure)
            logger.notice(
                "authorize-session failed: \(failure)", metadata: ["uid": "\(key.uid)", "alias": "\(key.alias)"])
        }

        let actions = withSession(key) { $0.authorized(generation: generation, mapped, at: now) }

        if case .success = mapped, let fallbackName {
            if users[key.uid]?.token?.tokenID == token.tokenID, users[key.uid]?.usesFallback == true {
                apply(withUser(key.uid) { $0.learn(key.alias) }, uid: key.uid)
                finishFallback(uid: key.uid, name: key.alias, isAlias: true, rawName: fallbackName)
            } else {
                // The user signed out, changed tokens or paused meanwhile: the answer is not theirs now
                // (the session state already cancelled the orphaned session).
                finishFallback(uid: key.uid, name: key.alias, isAlias: nil, rawName: fallbackName)
            }
        }
        apply(actions, key: key)

        guard case .failure(let failure) = mapped else { return }
        switch failure {
        case .network:
            recordNetworkFailure()
            if let fallbackName { finishFallback(uid: key.uid, name: key.alias, isAlias: nil, rawName: fallbackName) }
        case .unauthenticated:
            if let fallbackName { finishFallback(uid: key.uid, name: key.alias, isAlias: nil, rawName: fallbackName) }
            if users[key.uid]?.token?.tokenID == token.tokenID {
                var actions = withUser(key.uid) {
                    $0.tokenRemoved(reason: "the controller rejected auth token \(token.tokenID)")
                }
                actions.append(.statusError("the controller rejected auth token \(token.tokenID) (401); sign in again"))
                apply(actions, uid: key.uid)
            }
        case .notFound, .forbidden:
            if let fallbackName {
                finishFallback(uid: key.uid, name: key.alias, isAlias: false, rawName: fallbackName)
            } else {
                addStatus(.error, "authorize-session for \(key.alias) failed: \(failure)", uid: key.uid)
                if users[key.uid]?.learned.contains(key.alias) == true {
                    // A learned alias the controller no longer knows leaves the view.
                    apply(withUser(key.uid) { $0.unlearn(key.alias) }, uid: key.uid)
                } else {
                    apply(withUser(key.uid) { $0.refreshNow() }, uid: key.uid)
                }
            }
        case .invalidListToken, .other:
            if let fallbackName { finishFallback(uid: key.uid, name: key.alias, isAlias: nil, rawName: fallbackName) }
            addStatus(.error, "authorize-session for \(key.alias) failed: \(failure)", uid: key.uid)
        }
    }

    func carry(_ id: UInt64, on session: SessionRecord<Grant>, key: SessionKey) {
        guard let connection = connections[id] else {
            // The client gave up while it waited: give the reservation back.
            let (_, actions) = withSession(key) {
                $0.setupFailed(sessionID: session.id, .other("client gone"), at: .now())
            }
            apply(actions, key: key)
            return
        }
        dataPlane.carry(client: connection.channel, grant: session.grant, tofuToken: session.tofuToken)
            .hop(to: loop)
            .whenComplete { result in
                let now = NIODeadline.now()
                switch result {
                case .success(let carried):
                    self.withSession(key) {
                        $0.established(sessionID: session.id, connectionsLeft: carried.connectionsLeft, at: now)
                    }
                    if self.connections[id] != nil {
                        self.connections[id]?.phase = .carried(sessionID: session.id)
                    } else {
                        // The client closed during the handshake.
                        self.apply(self.withSession(key) { $0.closed(sessionID: session.id, at: now) }, key: key)
                    }
                    self.logger.debug(
                        "connection carried",
                        metadata: ["uid": "\(key.uid)", "alias": "\(key.alias)", "session": "\(session.id)"])
                case .failure(let error):
                    let failure = (error as? ConnectionSetupFailureError)?.failure ?? .other("\(error)")
                    let (retry, actions) = self.withSession(key) {
                        $0.setupFailed(sessionID: session.id, failure, at: now)
                    }
                    self.apply(actions, key: key)
                    guard var connection = self.connections[id] else { return }
                    if retry, case .pending(let attempts) = connection.phase, attempts == 0,
                        self.refusal(uid: key.uid, alias: key.alias) == nil
                    {
                        connection.phase = .pending(attempts: 1)
                        self.connections[id] = connection
                        self.logger.info(
                            "the worker refused the session (\(failure)); trying a new one",
                            metadata: ["uid": "\(key.uid)", "alias": "\(key.alias)", "session": "\(session.id)"])
                        self.apply(self.withSession(key) { $0.connect(id, at: now) }, key: key)
                    } else {
                        self.refuse(
                            connection.channel, uid: key.uid, alias: key.alias, peer: connection.peer,
                            reason: "the worker did not carry the connection: \(failure)")
                    }
                }
            }
    }

    /// Ends a session at the controller: SESSION_CANCEL through its worker (needs no API token,
    /// so it works after sign-out and expiry), else `:cancel` with the token it was made with.
    func cancel(_ session: SessionRecord<Grant>, uid: UInt32, alias: String) -> EventLoopFuture<Void> {
        let id = nextCancelID
        nextCancelID += 1
        let done = attemptCancel(session, uid: uid, alias: alias)
        cancelsInFlight[id] = done
        done.whenComplete { _ in self.cancelsInFlight.removeValue(forKey: id) }
        return done
    }

    private func attemptCancel(_ session: SessionRecord<Grant>, uid: UInt32, alias: String) -> EventLoopFuture<Void> {
        logger.info("cancelling session", metadata: ["uid": "\(uid)", "alias": "\(alias)", "session": "\(session.id)"])
        return dataPlane.cancel(grant: session.grant, tofuToken: session.tofuToken, on: loop)
            .hop(to: loop)
            .flatMapError { error in
                guard let token = self.users[uid]?.token, token.controllerAddress == session.controllerAddress else {
                    return self.loop.makeFailedFuture(error)
                }
                return self.controller.cancelSession(
                    controller: token.controllerAddress, token: token.token, sessionID: session.id
                ).hop(to: self.loop)
            }
            .recover { error in
                self.logger.warning(
                    "could not cancel session: \(error)",
                    metadata: ["uid": "\(uid)", "alias": "\(alias)", "session": "\(session.id)"])
            }
    }
}
