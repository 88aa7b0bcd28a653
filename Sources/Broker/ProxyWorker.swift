import AgentAPI
import AgentConfig
import BoundaryAPI
import Logging
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The proxy worker's serving part: what `Sources/proxy-worker/main.swift` calls after its
/// bootstrap. Two phases, around the sandbox:
///
/// ```swift
/// // 1. Before the sandbox (files and NSS allowed): CA bundle, admin group, status journal.
/// let prepared = try ProxyWorker.prepare(configuration: config, statusJournalFD: fds.statusJournal, logger: logger)
/// // … drop privileges, load seccomp …
/// // 2. After: serve on the passed fds until shutdown.
/// let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
/// let worker = try ProxyWorker(prepared: prepared, configuration: config, version: version, group: group,
///                              helper: helperAdapter, logger: logger)
/// try worker.start(ProxyWorker.Listeners(proxyV4: …, proxyV6: …, apiUnix: …, apiTCP: …)).wait()
/// worker.dnsWorkerConnected(dnsLink)       // the dns↔broker pair is up (again after a DNS worker restart)
/// // dns → broker messages:
/// worker.aliasQueried(uid: u, alias: a); worker.resolveRequest(requestID: r, uid: u, name: n)
/// // helper → worker: worker.reload(configuration: new); worker.startPaused(reason:) at start when the
/// // operational state says paused; on shutdown: worker.shutdown().whenComplete { exit(0) }
/// ```
/// Every method may be called from any thread: it hops to the broker's loop.
public final class ProxyWorker: Sendable {
    /// What phase 1 produced.
    public struct Prepared: Sendable {
        public var trust: HTTPTrust
        public var admin: AdminPolicy
        public var journal: StatusJournalFile?
        public var previousStatus: [StatusLog.Entry]
        /// RLIMIT_NOFILE after raising the soft limit to the hard one.
        public var openFileLimit: Int
    }

    /// The listening sockets the helper passed (`Listeners`); nil ones are not served.
    public struct Listeners: Sendable {
        public var proxyV4: CInt?
        public var proxyV6: CInt?
        public var apiUnix: CInt?
        public var apiTCP: CInt?

        public init(proxyV4: CInt?, proxyV6: CInt?, apiUnix: CInt?, apiTCP: CInt?) {
            self.proxyV4 = proxyV4
            self.proxyV6 = proxyV6
            self.apiUnix = apiUnix
            self.apiTCP = apiTCP
        }
    }

    public typealias Core = BrokerCore<ControllerAdapter, DataPlaneAdapter>

    public let core: Core
    let group: EventLoopGroup
    let owners: SocketOwnerLookup
    let logger: Logger
    private let channels = Mutex<[Channel]>([])

    /// Phase 1, before the sandbox: loads the controller trust roots (`tls_ca_file` or the system
    /// bundle, or none with `tls_insecure`), resolves `admin_group`, reads the status journal.
    public static func prepare(configuration: AgentConfiguration, statusJournalFD: CInt?, logger: Logger) throws
        -> Prepared
    {
        let trust = try HTTPTrust.load(caFile: configuration.tlsCAFile, insecure: configuration.tlsInsecure)
        if configuration.tlsInsecure {
            logger.warning("tls_insecure is set: controller certificates are not checked")
        }
        let admin = AdminPolicy.resolve(groupName: configuration.adminGroup)
        let journal = statusJournalFD.map { StatusJournalFile(fd: $0) }
        let previous = journal?.load() ?? []
        let files = raiseOpenFileLimit()
        logger.info("open file limit", metadata: ["limit": "\(files)"])
        return Prepared(
            trust: trust, admin: admin, journal: journal, previousStatus: previous, openFileLimit: files)
    }

    /// Every carried connection holds two fds (the client's and the worker's): raise the soft
    /// RLIMIT_NOFILE to the hard limit (at most 1 Mi) while setrlimit is still allowed.
    static func raiseOpenFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        let wanted = min(limit.rlim_max, rlim_t(1 << 20))
        if limit.rlim_cur < wanted {
            var raised = limit
            raised.rlim_cur = wanted
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// Phase 2, inside the sandbox: builds the broker and its clients. Host names of controllers and
    /// workers are resolved through the DNS worker (`DNSHostResolver`).
    public init(
        prepared: Prepared, configuration: AgentConfiguration, version: String, group: EventLoopGroup,
        helper: HelperPort?, owners: SocketOwnerLookup = KernelSocketOwners(), logger: Logger
    ) throws {
        let dnsServer = try SocketAddress(ipAddress: configuration.dnsListenV4.description, port: 53)
        let resolver = DNSHostResolver(server: dnsServer, timeout: TimeAmount(configuration.dnsRequestTimeout))
        let http = try HTTPClient(
            group: group, resolver: resolver,
            configuration: HTTPClientConfiguration(
                trust: prepared.trust, userAgent: ControllerClient.userAgent(version: version)))
        let loop = group.next()
        var settings = BrokerSettings(configuration: configuration, version: version, admin: prepared.admin)
        settings.maxConnectionsTotal = BrokerSettings.connectionBudget(openFileLimit: prepared.openFileLimit)
        core = Core(
            loop: loop, settings: settings, controller: ControllerAdapter(http: http, logger: logger),
            dataPlane: DataPlaneAdapter(resolver: resolver, logger: logger), dns: nil, helper: helper,
            journal: prepared.journal, logger: logger)
        self.group = group
        self.owners = owners
        self.logger = logger
        let previous = prepared.previousStatus
        let core = self.core
        try loop.submit {
            core.restoreStatus(previous)
            core.start()
        }.wait()
    }

    /// Serves the listeners. Fails when one of them cannot be served.
    public func start(_ listeners: Listeners) -> EventLoopFuture<Void> {
        let proxy = TransparentProxy(sink: core, owners: owners, logger: logger)
        let api = LocalAPIServer(backend: core, owners: owners, logger: logger)
        var futures: [EventLoopFuture<Channel>] = []
        if let fd = listeners.proxyV4 { futures.append(proxy.serve(listeningSocket: fd, group: group)) }
        if let fd = listeners.proxyV6 { futures.append(proxy.serve(listeningSocket: fd, group: group)) }
        if let fd = listeners.apiUnix { futures.append(api.serve(listeningSocket: fd, transport: .unix, group: group)) }
        if let fd = listeners.apiTCP { futures.append(api.serve(listeningSocket: fd, transport: .tcp, group: group)) }
        return EventLoopFuture.whenAllSucceed(futures, on: core.loop).map { served in
            self.channels.withLock { $0 += served }
        }
    }

    public func dnsWorkerConnected(_ port: DNSWorkerPort) {
        let core = self.core
        core.loop.execute { core.dnsWorkerConnected(port) }
    }

    public func aliasQueried(uid: UInt32, alias: String) {
        let core = self.core
        core.loop.execute { core.aliasQueried(uid: uid, alias: alias) }
    }

    public func resolveRequest(requestID: UInt64, uid: UInt32, name: String) {
        let core = self.core
        core.loop.execute { core.resolveRequest(requestID: requestID, uid: uid, name: name) }
    }

    /// The DNS worker's counters, kept for `status`.
    public func dnsCounters(_ counters: DNSStatus) {
        let core = self.core
        core.loop.execute { core.dnsCounters = counters }
    }

    /// The agent starts paused (operational state): no helper call back.
    public func startPaused(reason: String) {
        let core = self.core
        core.loop.execute { core.startPaused(reason: reason) }
    }

    /// SIGHUP. `admin_group` membership is resolved only at start (NSS is outside the sandbox).
    public func reload(configuration: AgentConfiguration) {
        let core = self.core
        core.loop.execute {
            var settings = BrokerSettings(
                configuration: configuration, version: core.settings.version, admin: core.settings.admin)
            settings.maxConnectionsTotal = core.settings.maxConnectionsTotal
            core.apply(settings: settings)
        }
    }

    /// Stops accepting, cancels every session (bounded), closes the listeners. Close the process
    /// afterwards with `exit` (no `syncShutdownGracefully` in the sandbox).
    public func shutdown() -> EventLoopFuture<Void> {
        let core = self.core
        let channels = self.channels.withLock { $0 }
        for channel in channels { channel.close(promise: nil) }
        return core.loop.flatSubmit { core.shutdown() }
    }
}
