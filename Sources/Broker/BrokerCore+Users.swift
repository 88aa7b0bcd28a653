import AgentAPI
import Logging
import NIOCore
import PrivSep

extension BrokerCore {
    // MARK: - Tokens

    /// `POST /v1/tokens` by `uid`: the token is read back from the controller with itself
    /// (`GET /v1/auth-tokens/{id}`) before it is accepted. Completes on `loop`.
    public func addToken(uid: UInt32, _ request: TokenRequest) -> EventLoopFuture<StatusResponse> {
        loop.preconditionInEventLoop()
        guard let tokenID = request.tokenID else {
            return loop.makeFailedFuture(
                APIError.invalidArgument("token must be a Boundary auth token of the form at_<id>_<secret>"))
        }
        let address = ControllerAddress.normalize(request.boundaryAddr)
        guard address.hasPrefix("http://") || address.hasPrefix("https://"), address.utf8.count <= 2048,
            address.count > "https://".count
        else {
            return loop.makeFailedFuture(
                APIError.invalidArgument("boundary_addr must be the controller's http:// or https:// address"))
        }
        let sequence = nextTokenRequest
        nextTokenRequest += 1
        tokenRequests[uid] = sequence
        let token = request.token
        return controller.readAuthToken(controller: address, token: token, tokenID: tokenID)
            .hop(to: loop)
            .flatMapErrorThrowing { error in
                throw self.tokenValidationError(error, uid: uid)
            }
            .flatMapThrowing { info -> StatusResponse in
                guard self.tokenRequests[uid] == sequence else {
                    throw APIError(
                        status: 409, kind: "Aborted", message: "a newer token request for this user replaced this one")
                }
                guard info.id == tokenID, info.userID.hasPrefix("u_") else {
                    throw APIError.invalidArgument("the controller returned another token than the one sent")
                }
                let now = NIODeadline.now()
                let expiresAt = info.expirationTime.flatMap { Self.deadline(fromRFC3339: $0, now: now) }
                if let expiresAt, expiresAt <= now {
                    throw APIError.unauthenticated("the auth token has expired")
                }
                let record = TokenRecord(
                    controllerAddress: address, token: token, tokenID: tokenID, userID: info.userID,
                    expiration: info.expirationTime, expiresAt: expiresAt)
                self.fallback.forget(uid: uid)
                let actions = self.withUser(uid) { $0.tokenAccepted(record, at: now) }
                self.logger.info(
                    "token added",
                    metadata: [
                        "uid": "\(uid)", "token_id": "\(tokenID)", "user_id": "\(info.userID)",
                        "controller": "\(address)",
                    ])
                self.apply(actions, uid: uid)
                return self.status(uid: uid)
            }
    }

    /// `DELETE /v1/tokens`: sign-out. Sessions end, the view empties, the token is forgotten
    /// (not revoked at the controller: the `boundary` CLI may share it).
    public func removeToken(uid: UInt32) -> StatusResponse {
        loop.preconditionInEventLoop()
        tokenRequests[uid] = nextTokenRequest
        nextTokenRequest += 1
        fallback.forget(uid: uid)
        let actions = withUser(uid) { $0.tokenRemoved(reason: "signed out") }
        if !actions.isEmpty { logger.info("signed out", metadata: ["uid": "\(uid)"]) }
        apply(actions, uid: uid)
        return status(uid: uid)
    }

    func tokenValidationError(_ error: Error, uid: UInt32) -> APIError {
        guard let failure = error as? ControllerFailure else {
            return .badGateway("checking the token with the controller failed: \(error)")
        }
        switch failure {
        case .unauthenticated, .notFound:
            return .unauthenticated("the controller does not accept this token (expired, revoked or unknown)")
        case .forbidden:
            return .permissionDenied("the token may not read itself (grant auth-token read:self)")
        case .network(let message):
            recordNetworkFailure()
            return .badGateway("the controller could not be reached: \(message)")
        case .invalidListToken, .other:
            return .badGateway("checking the token with the controller failed: \(failure)")
        }
    }

    /// A monotonic deadline for an RFC 3339 wall-clock time.
    static func deadline(fromRFC3339 text: String, now: NIODeadline) -> NIODeadline? {
        guard let nanos = RFC3339Time.parseNanoseconds(text) else { return nil }
        return deadline(fromWallNanoseconds: nanos, now: now)
    }

    static func deadline(fromWallNanoseconds nanos: Int64, now: NIODeadline) -> NIODeadline {
        let remaining = nanos.subtractingReportingOverflow(RFC3339Time.nowNanoseconds())
        guard !remaining.overflow else { return remaining.partialValue < 0 ? .distantFuture : now }
        if remaining.partialValue <= 0 { return now }
        return now + .nanoseconds(remaining.partialValue)
    }

    // MARK: - Users

    func withUser<T>(_ uid: UInt32, _ body: (inout UserState) -> T) -> T {
        // Taken out of the table first, so the body mutates the only copy: a 100,000-alias `listed`
        // would otherwise be copied whole on every change.
        var user = users.removeValue(forKey: uid) ?? UserState(uid: uid, names: names)
        let result = body(&user)
        users[uid] = user
        return result
    }

    func apply(_ actions: [UserState.Action], uid: UInt32) {
        for action in actions {
            switch action {
            case .endSessions(let reason):
                endSessions(uid: uid, reason: reason)
            case .endAliasSessions(let aliases, let reason):
                for alias in aliases { endSessions(key: SessionKey(uid: uid, alias: alias), reason: reason) }
            case .refresh(let generation, let listToken):
                startRefresh(uid: uid, generation: generation, listToken: listToken)
            case .viewChanged:
                pushView(uid: uid)
            case .fallbackChanged:
                pushFallbackUsers()
            case .statusError(let text):
                addStatus(.error, text, uid: uid)
            case .statusWarning(let text):
                addStatus(.warning, text, uid: uid)
            }
        }
    }

    func startRefresh(uid: UInt32, generation: UInt64, listToken: String?) {
        guard agentPause == nil, !shuttingDown, let token = users[uid]?.token else {
            users[uid]?.refreshCancelled(generation: generation, at: .now())
            return
        }
        logger.debug("refreshing aliases", metadata: ["uid": "\(uid)", "delta": "\(listToken != nil)"])
        controller.listResolvableAliases(
            controller: token.controllerAddress, token: token.token, userID: token.userID, listToken: listToken
        ).hop(to: loop).whenComplete { result in
            let now = NIODeadline.now()
            let interval = self.settings.aliasRefreshInterval
            switch result {
            case .success(let listing):
                let actions = self.withUser(uid) {
                    $0.refreshSucceeded(generation: generation, listing, at: now, interval: interval)
                }
                self.apply(actions, uid: uid)
                // A first listing (sign-in) ran much code a refresh does not (authentication, the
                // controller client's first requests): like start-up, its pages go once it is done.
                if listing.itemCount >= Self.trimAfterItems || listToken == nil {
                    self.scheduleMemoryTrim(dropCode: listToken == nil)
                }
            case .failure(let error):
                let failure = (error as? ControllerFailure) ?? .other("\(error)")
                let actions = self.withUser(uid) {
                    $0.refreshFailed(generation: generation, failure, at: now, interval: interval)
                }
                self.apply(actions, uid: uid)
                // After the user's own error, so an auto-pause is the newest status line.
                if failure.isNetwork { self.recordNetworkFailure() }
            }
        }
    }

    /// Sends `uid`'s view to the DNS worker (allocating addresses for new aliases) when it changed,
    /// and releases the addresses no view holds any more. A pushed view is kept as the set of allocator
    /// records it holds (a `NumberSet`: well under a byte an alias).
    func pushView(uid: UInt32, force: Bool = false) {
        let now = NIODeadline.now()
        var held: [UInt32] = []
        if agentPause == nil, let user = users[uid] {
            var values: [UInt32] = []
            values.reserveCapacity(user.listed.count + user.learned.count)
            user.forEachViewName { values.append($0) }
            let (records, failure) = allocator.allocateRecords(names: values, at: now)
            held = records
            if let failure {
                addStatus(.error, "\(failure): some aliases get no address (use a larger v4_prefix/v6_prefix)")
            }
        }
        let old = pushedViews[uid]?.sorted ?? []
        guard force || held != old else { return }
        // Both sorted: one merge finds what this view gained and lost.
        var i = 0
        var j = 0
        var released: [UInt32] = []
        while i < held.count || j < old.count {
            if j == old.count || (i < held.count && held[i] < old[j]) {
                allocator.hold(held[i])
                i += 1
            } else if i == held.count || old[j] < held[i] {
                released.append(old[j])
                j += 1
            } else {
                i += 1
                j += 1
            }
        }
        for record in released { allocator.unhold(record, at: now) }
        pushedViews[uid] = held.isEmpty ? nil : NumberSet(sorted: held)
        // In record order (not sorted by name: sorting 100,000 names cost ~0.1 s a push, and the DNS
        // worker does not care).
        let entries = held.map {
            ViewEntry(alias: allocator.name(ofRecord: $0), addresses: allocator.addresses(ofRecord: $0))
        }
        logger.debug("view pushed", metadata: ["uid": "\(uid)", "aliases": "\(entries.count)"])
        dns?.setView(uid: uid, entries: entries)
        if entries.count >= Self.trimAfterItems { scheduleMemoryTrim() }
    }

    /// Whether the view pushed for `uid` holds `alias`.
    func pushedViewHolds(uid: UInt32, alias: String) -> Bool {
        guard let view = pushedViews[uid], let record = allocator.record(of: alias) else { return false }
        return view.contains(record)
    }

    /// A listing or view at least this large returns the freed heap pages to the kernel afterwards.
    static var trimAfterItems: Int { 10_000 }

    /// Soon (once the listing's pages, JSON and intermediate arrays are released), returns free heap
    /// pages to the kernel; several big refreshes in a row trim once.
    /// With `dropCode`, the code pages mapped since start-up go too (`StartupPages`).
    func scheduleMemoryTrim(dropCode: Bool = false) {
        trimDropsCode = trimDropsCode || dropCode
        guard !trimScheduled else { return }
        trimScheduled = true
        loop.scheduleTask(in: .milliseconds(200)) {
            self.trimScheduled = false
            StartupPages.release(code: self.trimDropsCode)
            self.trimDropsCode = false
        }
    }

    func pushFallbackUsers() {
        let uids = agentPause == nil ? users.values.filter(\.usesFallback).map(\.uid).sorted() : []
        dns?.setFallbackUsers(uids)
    }

    // MARK: - Pause

    /// `POST /v1/pause`. Non-admins pause themselves; root and `admin_group` members pause the
    /// whole agent unless they ask for `scope == .user`. Completes on `loop`.
    public func pause(uid: UInt32, scope requested: PauseScope?) -> EventLoopFuture<PauseResponse> {
        loop.preconditionInEventLoop()
        let admin = settings.admin.isAdmin(uid)
        let scope = requested ?? (admin ? .agent : .user)
        switch scope {
        case .user:
            let actions = withUser(uid) { $0.setPaused(true, at: .now()) }
            if !actions.isEmpty { logger.info("user paused", metadata: ["uid": "\(uid)"]) }
            apply(actions, uid: uid)
            return loop.makeSucceededFuture(PauseResponse(status: .paused, scope: .user))
        case .agent:
            guard admin else {
                return loop.makeFailedFuture(APIError.permissionDenied(adminOnlyMessage("pause")))
            }
            logger.notice("agent paused", metadata: ["uid": "\(uid)"])
            return pauseAgent(reason: "paused by uid \(uid)").map { PauseResponse(status: .paused, scope: .agent) }
        }
    }

    /// `POST /v1/resume`: admins resume the whole agent (and themselves); everyone else resumes
    /// themselves. The answer's `status` is the caller's state afterwards (still `paused` when the
    /// agent as a whole stays paused).
    public func resume(uid: UInt32, scope requested: PauseScope?) -> EventLoopFuture<PauseResponse> {
        loop.preconditionInEventLoop()
        let admin = settings.admin.isAdmin(uid)
        let scope = requested ?? (admin && agentPause != nil ? .agent : .user)
        let actions = withUser(uid) { $0.setPaused(false, at: .now()) }
        if !actions.isEmpty { logger.info("user resumed", metadata: ["uid": "\(uid)"]) }
        apply(actions, uid: uid)
        switch scope {
        case .user:
            return loop.makeSucceededFuture(PauseResponse(status: agentPause == nil ? .running : .paused, scope: .user))
        case .agent:
            guard admin else {
                return loop.makeFailedFuture(APIError.permissionDenied(adminOnlyMessage("resume")))
            }
            logger.notice("agent resumed", metadata: ["uid": "\(uid)"])
            return resumeAgent().map { PauseResponse(status: .running, scope: .agent) }
        }
    }

    func adminOnlyMessage(_ verb: String) -> String {
        let group = settings.admin.groupName.isEmpty ? "" : " or members of group \(settings.admin.groupName)"
        return "only root\(group) may \(verb) the whole agent; without a scope you \(verb) only yourself"
    }

    /// Pauses everything: sessions end, views empty, refreshes stop, the helper restores the
    /// system resolver. Completes when the helper answered.
    func pauseAgent(reason: String, askHelper: Bool = true) -> EventLoopFuture<Void> {
        guard agentPause == nil else { return loop.makeSucceededVoidFuture() }
        agentPause = reason
        failures.reset()
        for uid in Array(users.keys) { endSessions(uid: uid, reason: "the agent is paused") }
        for uid in Array(pushedViews.keys) { pushView(uid: uid) }
        pushFallbackUsers()
        guard askHelper, let helper else { return loop.makeSucceededVoidFuture() }
        return helper.pause(reason: reason).hop(to: loop).flatMapError { error in
            self.addStatus(.error, "the helper could not pause the agent: \(error)")
            return self.loop.makeFailedFuture(APIError.internalError("the helper could not pause the agent: \(error)"))
        }
    }

    func resumeAgent() -> EventLoopFuture<Void> {
        guard agentPause != nil else { return loop.makeSucceededVoidFuture() }
        agentPause = nil
        failures.reset()
        let resumed: EventLoopFuture<Void> =
            helper.map { $0.resume().hop(to: loop) } ?? loop.makeSucceededVoidFuture()
        for uid in Array(users.keys) {
            pushView(uid: uid)
            apply(withUser(uid) { $0.refreshNow() }, uid: uid)
        }
        pushFallbackUsers()
        return resumed.flatMapError { error in
            self.addStatus(.error, "the helper could not resume the agent: \(error)")
            return self.loop.makeFailedFuture(APIError.internalError("the helper could not resume the agent: \(error)"))
        }
    }
}

extension BrokerCore {
    /// How often the helper's state is read (paused across restarts, resolver overwritten).
    static var helperPollInterval: TimeAmount { .seconds(10) }

    /// Reads the helper's state now and then: the agent may start paused (the operational state
    /// survives restarts), and another program may overwrite the system resolver configuration.
    func pollHelper(first: Bool) {
        guard let helper, !shuttingDown else { return }
        helper.status().hop(to: loop).whenComplete { result in
            if case .success(let state) = result { self.helperState(state, first: first) }
            self.helperPoll = self.loop.scheduleTask(in: Self.helperPollInterval) { self.pollHelper(first: false) }
        }
    }

    func helperState(_ state: HelperState, first: Bool) {
        if first, !state.reportedErrors.isEmpty {
            // A restarted broker: the errors the previous one reported, unless a journal brought
            // them back already.
            let known = Set(statusLog.entries.map(\.text))
            statusLog.restore(
                state.reportedErrors.filter { !known.contains($0.text) }.map {
                    StatusLog.Entry(level: .error, uid: nil, text: $0.text, time: $0.time)
                })
        }
        if first, state.paused, agentPause == nil {
            logger.notice("the agent starts paused (as it was before it restarted)")
            _ = pauseAgent(reason: "paused before the agent restarted; resume to use aliases", askHelper: false)
        }
        if state.resolverOverwritten, !resolverOverwritten {
            addStatus(
                .warning,
                "another program overwrote the system resolver configuration: names may not reach the agent")
        }
        resolverOverwritten = state.resolverOverwritten
        for warning in state.warnings
        where !statusLog.entries.contains(where: { $0.level == .warning && $0.text == StatusLog.clip(warning) }) {
            addStatus(.warning, warning)
        }
    }
}
