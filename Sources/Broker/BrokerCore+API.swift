import AgentAPI
import JSON
import NIOCore

extension BrokerCore {
    /// `GET /v1/status` for `uid`: their token, their pause state, global and their own errors.
    public func status(uid: UInt32) -> StatusResponse {
        loop.preconditionInEventLoop()
        let user = users[uid]
        let token = user?.token
        let paused = agentPause != nil || user?.paused == true
        let scope: PauseScope? = agentPause != nil ? .agent : (user?.paused == true ? .user : nil)
        var listing: String?
        if let user, token != nil {
            listing = user.listingForbidden ? "forbidden" : (user.lastRefreshed == nil ? "pending" : "ok")
        }
        let now = NIODeadline.now()
        let sessionCount = sessions.filter { $0.key.uid == uid }.reduce(0) { $0 + $1.value.liveSessions(at: now).count }
        return StatusResponse(
            boundaryAddr: token?.controllerAddress, authTokenID: token?.tokenID, authTokenExpiry: token?.expiration,
            version: settings.version, status: paused ? .paused : .running,
            errors: statusLog.visible(to: uid, level: .error), warnings: statusLog.visible(to: uid, level: .warning),
            uid: uid, userID: token?.userID, pauseScope: scope,
            pauseReason: agentPause ?? (user?.paused == true ? "paused by uid \(uid)" : nil),
            aliasCount: token == nil ? nil : pushedViews[uid]?.count ?? 0, aliasListing: listing,
            sessionCount: sessionCount, events: events[uid] ?? [], dns: dnsCounters)
    }

    /// `GET /v1/sessions`: the caller's own live sessions, with their brokered credentials.
    public func sessionList(uid: UInt32) -> SessionsResponse {
        loop.preconditionInEventLoop()
        let now = NIODeadline.now()
        var items: [SessionItem] = []
        for (key, state) in sessions where key.uid == uid {
            for session in state.liveSessions(at: now) {
                items.append(
                    SessionItem(
                        alias: key.alias, sessionAuthorization: session.info,
                        connections: session.open + session.reserved))
            }
        }
        items.sort { ($0.alias, $0.sessionAuthorization.sessionID) < ($1.alias, $1.sessionAuthorization.sessionID) }
        return SessionsResponse(items: items)
    }

    /// `GET /v1/explain?name=N`: the checks that decide whether N resolves to an alias for `uid`.
    public func explain(uid: UInt32, name: String) -> ExplainResponse {
        loop.preconditionInEventLoop()
        let alias = AliasName.normalize(name)
        let now = NIODeadline.now()
        let user = users[uid]
        var checks: [ExplainResponse.Check] = []
        var ok = true
        func check(_ name: String, _ passed: Bool, _ detail: String) {
            checks.append(.init(check: name, ok: passed, detail: detail))
            ok = ok && passed
        }

        check("agent", agentPause == nil, agentPause.map { "paused for everyone: \($0)" } ?? "running")
        check("user", user?.paused != true, user?.paused == true ? "you paused the agent for yourself" : "running")
        if let token = user?.token {
            var detail = "token \(token.tokenID) for \(token.userID) at \(token.controllerAddress)"
            if let expiration = token.expiration { detail += ", expires \(expiration)" }
            check("signed_in", true, detail)
        } else {
            check("signed_in", false, "no Boundary token: run `boundary-agent login` or `boundary-agent token add`")
        }

        var source: String?
        if let user, user.token != nil {
            if user.listingForbidden {
                check(
                    "alias_listing", true,
                    "listing aliases is forbidden for you: unknown names are tried with authorize-session")
            } else if let last = user.lastRefreshed {
                let age = (now - last).nanoseconds / 1_000_000_000
                check("alias_listing", true, "\(user.listed.count) aliases, listed \(age)s ago")
            } else {
                check("alias_listing", false, "the first listing of your aliases has not finished")
            }
            if let listed = user.listed.alias(value: alias) {
                source = "listed"
                let target = listed.destinationID.map { " → \($0)" } ?? ""
                check("alias", true, "\(alias) is alias \(listed.id)\(target) in your view")
            } else if user.learned.contains(alias) {
                source = "learned"
                check("alias", true, "\(alias) was found with authorize-session (listing is forbidden)")
            } else if fallback.isNegative(uid: uid, name: alias, at: now) {
                check("alias", false, "the controller said \(alias) is not an alias for you; it resolves normally")
            } else {
                check("alias", false, "\(alias) is not one of your aliases; it resolves normally")
            }
        }

        var ipv4: String?
        var ipv6: String?
        if source != nil {
            if let addresses = allocator.addresses(of: alias), pushedViewHolds(uid: uid, alias: alias) {
                ipv4 = IPText.v4(addresses.v4)
                ipv6 = IPText.v6(addresses.v6)
                check("address", true, "\(ipv4!) and \(ipv6!)")
            } else {
                check("address", false, "no address: the alias pool is full or the view is not pushed yet")
            }
        }

        var sessionID: String?
        if source != nil, let state = sessions[SessionKey(uid: uid, alias: alias)] {
            if let current = state.current {
                sessionID = current.id
                checks.append(
                    .init(
                        check: "session", ok: true,
                        detail: "session \(current.id), \(current.open) connections open, expires "
                            + (current.info.expiration ?? "unknown")))
            } else if state.authorizing != nil {
                checks.append(.init(check: "session", ok: true, detail: "authorize-session under way"))
            }
        } else if source != nil {
            checks.append(
                .init(check: "session", ok: true, detail: "none yet: one is authorized at the first lookup or connect"))
        }

        let summary: String
        if ok, let ipv4, let ipv6 {
            summary = "\(alias) is a Boundary alias for you: \(ipv4), \(ipv6)"
        } else if let failed = checks.first(where: { !$0.ok }) {
            summary = "\(alias) does not resolve to a Boundary alias for you: \(failed.detail)"
        } else {
            summary = "\(alias) does not resolve to a Boundary alias for you"
        }
        return ExplainResponse(
            name: name, alias: alias, resolves: ok && ipv4 != nil, ipv4: ipv4, ipv6: ipv6, source: source,
            sessionID: sessionID, summary: summary, checks: checks)
    }
}

extension BrokerCore: LocalAPIBackend {
    public func handle(_ route: LocalAPIRoute, uid: UInt32) -> EventLoopFuture<JSONValue> {
        loop.flatSubmit {
            switch route {
            case .status:
                return self.loop.makeSucceededFuture(self.status(uid: uid).json)
            case .sessions:
                return self.loop.makeSucceededFuture(self.sessionList(uid: uid).json)
            case .explain(let name):
                return self.loop.makeSucceededFuture(self.explain(uid: uid, name: name).json)
            case .pause(let scope):
                return self.pause(uid: uid, scope: scope).map(\.json)
            case .resume(let scope):
                return self.resume(uid: uid, scope: scope).map(\.json)
            case .addToken(let request):
                return self.addToken(uid: uid, request).map(\.json)
            case .removeToken:
                return self.loop.makeSucceededFuture(self.removeToken(uid: uid).json)
            }
        }
    }
}
