import AgentAPI
import Logging
import NIOCore

/// The session broker: every OS user's token, aliases, sessions and connections, the address
/// allocator, status and pause. The state types (`UserState`, `SessionState`, `AddressAllocator`,
/// `FallbackGate`, `FailureWindow`, `StatusLog`) decide; this class carries out their actions
/// through the ports (controller, data plane, DNS worker, helper).
///
/// Concurrency (STYLE rule 14): all state belongs to `loop`. Every entry point must run on it
/// (`preconditionInEventLoop`); results of other loops' work hop back to it first. That is what
/// makes `@unchecked Sendable` sound here.
public final class BrokerCore<Controller: ControllerPort, DataPlane: DataPlanePort>: @unchecked Sendable
where Controller.Grant == DataPlane.Grant {
    public typealias Grant = Controller.Grant

    struct SessionKey: Hashable, Sendable {
        var uid: UInt32
        var alias: String
    }

    enum ConnectionPhase {
        /// Waiting for a session, or for the worker's handshake.
        case pending(attempts: Int)
        /// Bytes flow on `sessionID`.
        case carried(sessionID: String)
    }

    struct Connection {
        var channel: Channel
        var key: SessionKey
        var peer: String
        var phase: ConnectionPhase
    }

    /// Housekeeping period: token expiry, due refreshes, idle and expired sessions.
    public static var tickInterval: TimeAmount { .seconds(1) }
    /// Bound on the notices kept per user.
    static var maximumEvents: Int { 20 }

    public let loop: EventLoop
    let controller: Controller
    let dataPlane: DataPlane
    let helper: HelperPort?
    let journal: StatusJournal?
    var dns: DNSWorkerPort?
    var logger: Logger
    public private(set) var settings: BrokerSettings

    var users: [UInt32: UserState] = [:]
    var sessions: [SessionKey: SessionState<Grant>] = [:]
    var allocator: AddressAllocator
    /// Every alias name the users' listings and the allocator hold, each once (`collectNames`).
    let names: NameTable
    var statusLog = StatusLog()
    var failures: FailureWindow
    var fallback: FallbackGate
    /// Set while the whole agent is paused: the reason.
    var agentPause: String?
    var connections: [UInt64: Connection] = [:]
    var connectionsPerUser: [UInt32: Int] = [:]
    var nextConnectionID: UInt64 = 1
    /// The allocator records each user's DNS view holds as last pushed (`pushView`).
    var pushedViews: [UInt32: NumberSet] = [:]
    var events: [UInt32: [String]] = [:]
    /// The newest `POST /v1/tokens` per uid: an older one that finishes later loses.
    var tokenRequests: [UInt32: UInt64] = [:]
    var nextTokenRequest: UInt64 = 1
    var tickTask: RepeatedTask?
    var helperPoll: Scheduled<Void>?
    var resolverOverwritten = false
    /// The DNS worker's latest counters (`status`); nil until the current DNS worker reported.
    var dnsCounters: DNSStatus?
    var shuttingDown = false
    /// A `Posix.releaseFreeMemory` is scheduled (`scheduleMemoryTrim`).
    var trimScheduled = false
    /// The scheduled trim also drops code pages (after a first listing).
    var trimDropsCode = false
    /// Cancels under way, so shutdown waits for them (bounded) instead of cutting them off.
    var cancelsInFlight: [UInt64: EventLoopFuture<Void>] = [:]
    var nextCancelID: UInt64 = 1

    public init(
        loop: EventLoop, settings: BrokerSettings, controller: Controller, dataPlane: DataPlane,
        dns: DNSWorkerPort?, helper: HelperPort?, journal: StatusJournal? = nil, logger: Logger
    ) {
        self.loop = loop
        self.settings = settings
        self.controller = controller
        self.dataPlane = dataPlane
        self.dns = dns
        self.helper = helper
        self.journal = journal
        self.logger = logger
        let names = NameTable()
        self.names = names
        self.allocator = AddressAllocator(
            v4Base: settings.v4Base, v4PrefixLength: settings.v4PrefixLength, v6Base: settings.v6Base,
            v6PrefixLength: settings.v6PrefixLength, quarantine: AddressAllocator.defaultQuarantine, names: names)
        self.failures = FailureWindow(threshold: settings.autoPauseFailures, window: settings.autoPauseWindow)
        self.fallback = FallbackGate(negativeTTL: settings.aliasRefreshInterval)
    }

    // MARK: - Lifecycle

    /// Starts the housekeeping tick. Call once, on `loop`.
    public func start() {
        loop.preconditionInEventLoop()
        guard tickTask == nil else { return }
        tickTask = loop.scheduleRepeatedTask(initialDelay: Self.tickInterval, delay: Self.tickInterval) {
            [weak self] _ in
            self?.tick(at: .now())
        }
        pollHelper(first: true)
    }

    /// Entries persisted by an earlier run (the journal), oldest first.
    public func restoreStatus(_ entries: [StatusLog.Entry]) {
        loop.preconditionInEventLoop()
        statusLog.restore(entries)
    }

    /// The helper started us paused (operational state survives restarts): no IPC back.
    public func startPaused(reason: String) {
        loop.preconditionInEventLoop()
        agentPause = reason
    }

    /// A (new) DNS worker is on the other end of the link: it knows nothing, so push everything.
    public func dnsWorkerConnected(_ port: DNSWorkerPort) {
        loop.preconditionInEventLoop()
        dns = port
        dnsCounters = nil
        port.flushCache()
        for uid in users.keys { pushView(uid: uid, force: true) }
        pushFallbackUsers()
    }

    /// SIGHUP: new settings. Sessions and tokens the change does not touch stay; new prefixes
    /// re-address every alias (views are pushed again, connections in flight keep going).
    public func apply(settings new: BrokerSettings) {
        loop.preconditionInEventLoop()
        let old = settings
        settings = new
        failures.threshold = new.autoPauseFailures
        failures.window = new.autoPauseWindow
        fallback.negativeTTL = new.aliasRefreshInterval
        if old.v4Base != new.v4Base || old.v4PrefixLength != new.v4PrefixLength || old.v6Base != new.v6Base
            || old.v6PrefixLength != new.v6PrefixLength
        {
            allocator = AddressAllocator(
                v4Base: new.v4Base, v4PrefixLength: new.v4PrefixLength, v6Base: new.v6Base,
                v6PrefixLength: new.v6PrefixLength, quarantine: AddressAllocator.defaultQuarantine, names: names)
            names.noteDropped(names.count)
            pushedViews.removeAll()
            dns?.flushCache()
            for uid in users.keys { pushView(uid: uid, force: true) }
        }
        logger.info("configuration reloaded")
    }

    /// Shutdown: cancel every session (bounded by `timeout`), stop the tick. Completes on `loop`.
    public func shutdown(timeout: TimeAmount = .seconds(3)) -> EventLoopFuture<Void> {
        loop.preconditionInEventLoop()
        shuttingDown = true
        tickTask?.cancel()
        tickTask = nil
        helperPoll?.cancel()
        helperPoll = nil
        var cancels: [EventLoopFuture<Void>] = []
        for key in sessions.keys.sorted(by: { ($0.uid, $0.alias) < ($1.uid, $1.alias) }) {
            guard var state = sessions[key] else { continue }
            let actions = state.endAll(reason: "the agent is stopping", at: .now())
            sessions[key] = state
            cancels += apply(actions, key: key)
        }
        sessions.removeAll()
        cancels += cancelsInFlight.values
        // Whichever comes first: every cancel answered, or the timeout (a second completion of a
        // promise is ignored by NIO).
        let done = loop.makePromise(of: Void.self)
        EventLoopFuture.andAllComplete(cancels, on: loop).whenComplete { _ in done.succeed() }
        loop.scheduleTask(in: timeout) { done.succeed() }
        return done.futureResult
    }

    // MARK: - Tick

    func tick(at now: NIODeadline) {
        loop.preconditionInEventLoop()
        guard !shuttingDown else { return }
        for uid in Array(users.keys) {
            guard var user = users[uid] else { continue }
            let actions = user.tick(at: now, refreshAllowed: agentPause == nil)
            users[uid] = user
            apply(actions, uid: uid)
        }
        for key in Array(sessions.keys) {
            guard var state = sessions[key] else { continue }
            let actions = state.sweep(at: now, idleTimeout: settings.sessionIdleTimeout)
            sessions[key] = state
            _ = apply(actions, key: key)
            if sessions[key]?.isEmpty == true { sessions.removeValue(forKey: key) }
        }
        for (uid, user) in users where user.isEmpty && pushedViews[uid] == nil {
            users.removeValue(forKey: uid)
        }
        collectNamesIfDue()
    }

    /// Frees the names no listing and no allocator record uses any more, once enough were let go. Only
    /// here, between events: `withUser` takes a user out of `users` while it changes, and a collection then
    /// would miss that user's names.
    func collectNamesIfDue() {
        guard names.collectionDue else { return }
        var marks = NameTable.Marks(capacity: names.numberLimit)
        for user in users.values { user.listed.markNames(&marks) }
        allocator.markNames(&marks)
        names.collect(keeping: marks)
    }

    // MARK: - Status entries and events

    func addStatus(_ level: StatusLog.Level, _ text: String, uid: UInt32? = nil) {
        let entry = statusLog.add(level, text, uid: uid, time: RFC3339Time.now())
        journal?.append(entry)
        if uid == nil, level == .error, entry.count == 1 { helper?.reportError(text) }
        var metadata: Logger.Metadata = [:]
        if let uid { metadata["uid"] = "\(uid)" }
        if level == .error {
            logger.error("\(text)", metadata: metadata)
        } else {
            logger.warning("\(text)", metadata: metadata)
        }
    }

    func addEvent(_ text: String, uid: UInt32) {
        var list = events[uid] ?? []
        list.insert("\(RFC3339Time.format(secondsSinceEpoch: RFC3339Time.now())): \(text)", at: 0)
        if list.count > Self.maximumEvents { list.removeLast(list.count - Self.maximumEvents) }
        events[uid] = list
    }

    /// A controller call failed for want of a network: auto-pause after too many in the window.
    func recordNetworkFailure() {
        guard agentPause == nil, failures.record(at: .now()) else { return }
        let reason =
            "auto-paused after \(failures.threshold) failures to reach the controller within "
            + "\(Self.describe(failures.window)); resume with `boundary-agent resume` as root or a member of the "
            + "admin group"
        addStatus(.error, reason)
        _ = pauseAgent(reason: reason)
    }

    static func describe(_ amount: TimeAmount) -> String {
        let seconds = amount.nanoseconds / 1_000_000_000
        if seconds % 3600 == 0, seconds > 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0, seconds > 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}
