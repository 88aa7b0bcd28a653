import NIOCore

/// Why the worker would not carry a connection on a session (the data plane's typed close reasons).
public enum ConnectionSetupFailure: Equatable, Sendable, CustomStringConvertible {
    /// Close 1011 "unable to authorize connection": the connection limit is reached.
    case noConnectionsLeft
    /// Close 1008 "tofu token not allowed": someone else holds the session.
    case inUse
    /// TLS refused (unknown, expired or cancelled session) or "refusing to activate session".
    case sessionGone(String)
    /// Network or protocol failure to the worker, or the worker could not reach the target.
    case other(String)

    public var description: String {
        switch self {
        case .noConnectionsLeft: return "no connections left in the session"
        case .inUse: return "the session is in use by another client"
        case .sessionGone(let m): return "the session is no longer valid: \(m)"
        case .other(let m): return m
        }
    }
}

/// The sessions of one (uid, alias): the one new connections use, the ones still carrying
/// connections after being replaced, the authorize-session under way and the connections waiting
/// for it. A pure state machine (STYLE §4): every event returns the actions to carry out.
///
/// Rules (boundary-protocol.md §3.5, §6.14): a session is reused while it is unexpired, usable and
/// has connections left; a new one is authorized when it is exhausted (by our count or the worker's
/// word), refused or about to expire; one authorize-session at a time; a session nobody used for
/// `idleTimeout` is cancelled; a failed authorize makes connects fail fast for a while.
public struct SessionState<Grant: Sendable>: Sendable {
    public enum Action: Sendable {
        /// Call authorize-session; report with `authorized(generation:…)`.
        case authorize(generation: UInt64)
        /// Carry `connection` on `session` (a reservation is held: report `established` or
        /// `setupFailed`, then `closed`).
        case use(connection: UInt64, session: SessionRecord<Grant>)
        /// Refuse `connection`.
        case fail(connection: UInt64, reason: String)
        /// End the session at the controller (SESSION_CANCEL through the worker, or `:cancel`).
        case cancel(SessionRecord<Grant>)
    }

    public let uid: UInt32
    public let alias: String
    /// The session new connections use.
    public private(set) var current: SessionRecord<Grant>?
    /// Replaced sessions that still carry connections.
    public private(set) var retired: [SessionRecord<Grant>] = []
    public private(set) var authorizing: UInt64?
    public private(set) var waiters: [UInt64] = []
    private var nextGeneration: UInt64 = 1
    private var backoffUntil: NIODeadline?
    private var lastFailure: ControllerFailure?

    public init(uid: UInt32, alias: String) {
        self.uid = uid
        self.alias = alias
    }

    /// Nothing left: the entry can be dropped.
    public var isEmpty: Bool { current == nil && retired.isEmpty && authorizing == nil && waiters.isEmpty }

    /// Every session that is still live at the controller as far as we know (for `GET /v1/sessions`).
    public func liveSessions(at now: NIODeadline) -> [SessionRecord<Grant>] {
        ([current].compactMap { $0 } + retired).filter { !$0.isExpired(at: now) }
    }

    public var openConnections: Int {
        (current.map { $0.open + $0.reserved } ?? 0) + retired.reduce(0) { $0 + $1.open + $1.reserved }
    }

    /// The DNS worker saw this user ask for the alias: authorize now, so the connect does not wait.
    public mutating func queried(at now: NIODeadline) -> [Action] {
        if let current, current.canServe(at: now) { return [] }
        guard authorizing == nil, !inBackoff(at: now) else { return [] }
        return startAuthorizing()
    }

    /// A client connected to the alias's address.
    public mutating func connect(_ connection: UInt64, at now: NIODeadline) -> [Action] {
        if let session = reserveCurrent(at: now) {
            return [.use(connection: connection, session: session)]
        }
        if authorizing != nil {
            waiters.append(connection)
            return []
        }
        if inBackoff(at: now), let lastFailure {
            return [.fail(connection: connection, reason: "authorize-session failed recently: \(lastFailure)")]
        }
        waiters.append(connection)
        return startAuthorizing()
    }

    /// The authorize-session for `generation` ended.
    public mutating func authorized(
        generation: UInt64, _ result: Result<SessionRecord<Grant>, ControllerFailure>, at now: NIODeadline
    ) -> [Action] {
        guard generation == authorizing else {
            // Superseded (sign-out, pause): the session nobody will use is ended at once.
            if case .success(let orphan) = result { return [.cancel(orphan)] }
            return []
        }
        authorizing = nil
        switch result {
        case .failure(let failure):
            lastFailure = failure
            backoffUntil = now + failure.backoff
            let failed = waiters.map { Action.fail(connection: $0, reason: "authorize-session failed: \(failure)") }
            waiters.removeAll()
            return failed
        case .success(let session):
            lastFailure = nil
            backoffUntil = nil
            var actions = replaceCurrent(with: session, at: now)
            var served = 0
            while !waiters.isEmpty, let reserved = reserveCurrent(at: now) {
                actions.append(.use(connection: waiters.removeFirst(), session: reserved))
                served += 1
            }
            if !waiters.isEmpty {
                if served == 0 {
                    // A brand-new session that cannot take one connection: asking again would loop.
                    actions += waiters.map { .fail(connection: $0, reason: "the new session allows no connections") }
                    waiters.removeAll()
                } else {
                    actions += startAuthorizing()
                }
            }
            return actions
        }
    }

    /// The worker accepted a connection on `sessionID`; `connectionsLeft` is its count after this
    /// one (-1 = unlimited).
    public mutating func established(sessionID: String, connectionsLeft: Int32, at now: NIODeadline) {
        update(sessionID) { session in
            let othersPending = max(0, session.reserved - 1)
            session.reserved = max(0, session.reserved - 1)
            session.open += 1
            session.lastUsed = now
            if connectionsLeft < 0 {
                session.limitLeft = nil
            } else {
                session.limitLeft = min(session.limitLeft ?? Int.max, Int(connectionsLeft) - othersPending)
            }
        }
    }

    /// The worker refused a connection on `sessionID` before it carried bytes. `retry`: whether the
    /// connection should be tried once more (on a new session): true for "no connections left",
    /// "in use" and "gone", where a fresh session fixes it.
    public mutating func setupFailed(sessionID: String, _ failure: ConnectionSetupFailure, at now: NIODeadline)
        -> (retry: Bool, actions: [Action])
    {
        var retry = false
        update(sessionID) { session in
            session.reserved = max(0, session.reserved - 1)
            session.lastUsed = now
            switch failure {
            case .noConnectionsLeft:
                session.limitLeft = 0
                retry = true
            case .inUse, .sessionGone:
                session.usable = false
                retry = true
            case .other:
                // Give the reservation back: the controller did not count it.
                if let left = session.limitLeft { session.limitLeft = left + 1 }
            }
        }
        return (retry, finishAbandoned(at: now))
    }

    /// A connection that was `established` on `sessionID` ended.
    public mutating func closed(sessionID: String, at now: NIODeadline) -> [Action] {
        update(sessionID) { session in
            session.open = max(0, session.open - 1)
            session.lastUsed = now
        }
        return finishAbandoned(at: now)
    }

    /// Periodic housekeeping: drops expired sessions and cancels the idle one.
    public mutating func sweep(at now: NIODeadline, idleTimeout: TimeAmount) -> [Action] {
        var actions: [Action] = []
        if let session = current {
            if session.isExpired(at: now) {
                current = nil
            } else if !session.busy, session.lastUsed + idleTimeout <= now {
                current = nil
                actions.append(.cancel(session))
            }
        }
        retired.removeAll { $0.isExpired(at: now) }
        actions += finishAbandoned(at: now)
        if let until = backoffUntil, until <= now { backoffUntil = nil }
        return actions
    }

    /// Sign-out, pause, token change, shutdown: fail the waiters, forget the authorize under way,
    /// cancel every live session (the worker then cuts their connections).
    public mutating func endAll(reason: String, at now: NIODeadline) -> [Action] {
        var actions = waiters.map { Action.fail(connection: $0, reason: reason) }
        waiters.removeAll()
        authorizing = nil
        for session in [current].compactMap({ $0 }) + retired where !session.isExpired(at: now) {
            actions.append(.cancel(session))
        }
        current = nil
        retired.removeAll()
        backoffUntil = nil
        lastFailure = nil
        return actions
    }

    // MARK: - Internals

    private func inBackoff(at now: NIODeadline) -> Bool { backoffUntil.map { now < $0 } ?? false }

    private mutating func startAuthorizing() -> [Action] {
        let generation = nextGeneration
        nextGeneration += 1
        authorizing = generation
        return [.authorize(generation: generation)]
    }

    private mutating func reserveCurrent(at now: NIODeadline) -> SessionRecord<Grant>? {
        guard var session = current, session.canServe(at: now) else { return nil }
        session.reserved += 1
        session.lastUsed = now
        if let left = session.limitLeft { session.limitLeft = left - 1 }
        current = session
        return session
    }

    private mutating func replaceCurrent(with session: SessionRecord<Grant>, at now: NIODeadline) -> [Action] {
        var actions: [Action] = []
        if let old = current {
            if old.busy {
                retired.append(old)
            } else if let cancel = abandon(old, at: now) {
                actions.append(cancel)
            }
        }
        current = session
        return actions
    }

    private mutating func update(_ sessionID: String, _ body: (inout SessionRecord<Grant>) -> Void) {
        if current?.id == sessionID {
            body(&current!)
        } else if let i = retired.firstIndex(where: { $0.id == sessionID }) {
            body(&retired[i])
        }
    }

    /// Sessions nobody will use again, once their last connection ended: a replaced one, or the
    /// current one when it has no connections left. They are cancelled rather than left to the
    /// controller (boundary-protocol.md §6.14): whether it terminates a session whose limit is
    /// reached depends on its version and jobs, and a cancel costs one worker connection.
    private mutating func finishAbandoned(at now: NIODeadline) -> [Action] {
        var actions: [Action] = []
        if let session = current, session.exhausted, !session.busy {
            current = nil
            if let cancel = abandon(session, at: now) { actions.append(cancel) }
        }
        let done = retired.filter { !$0.busy }
        retired.removeAll { !$0.busy }
        actions += done.compactMap { abandon($0, at: now) }
        return actions
    }

    /// The cancel for a session we stop using; nil when there is nothing to cancel: it expired, or
    /// the worker said it is gone or someone else's.
    private func abandon(_ session: SessionRecord<Grant>, at now: NIODeadline) -> Action? {
        guard !session.isExpired(at: now), session.usable else { return nil }
        return .cancel(session)
    }
}
