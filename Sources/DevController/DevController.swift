import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The dev controller as one object: the API server, its admin server, the shared session store
/// and the worker (`DevWorker`). `boundary-dev-controller` and the tests start it the same way.
public final class DevController: Sendable {
    public struct Options: Sendable {
        /// `-api-listen-address` (`boundary dev` default `127.0.0.1:9200`; `/path` = unix socket).
        public var apiAddress: DevListenAddress = .tcp(host: "127.0.0.1", port: 9200)
        /// `-proxy-listen-address` (default `127.0.0.1:9202`); nil = no worker.
        public var proxyAddress: DevListenAddress? = .tcp(host: "127.0.0.1", port: 9202)
        /// `-admin-listen-address`: the fault/alias/grant knobs; nil = none.
        public var adminAddress: DevListenAddress?
        /// `-request-log`.
        public var requestLogPath: String?
        /// How often the worker checks open streams against the store (`SessionInfoInterval`).
        public var workerPollInterval: TimeAmount = .seconds(2)

        public init() {}
    }

    public let options: Options
    let group: any EventLoopGroup
    let logger: Logger
    let directory: DevDirectory
    public let sessions: DevSessionStore
    public let log: DevRequestLog
    public let faults: DevFaults
    let worker: DevWorker
    let api: DevHTTPServer
    let admin: DevHTTPServer
    private let bound = BoundAddresses()

    /// The addresses the listeners got (port 0 picks one); read by the router for `worker_info`.
    final class BoundAddresses: Sendable {
        private let addresses = Mutex<(api: SocketAddress?, proxy: SocketAddress?, admin: SocketAddress?)>(
            (nil, nil, nil))

        func withLock<T>(_ body: (inout (api: SocketAddress?, proxy: SocketAddress?, admin: SocketAddress?)) -> T) -> T
        {
            addresses.withLock { body(&$0) }
        }
    }

    public init(config: DevControllerConfig, options: Options, group: any EventLoopGroup, logger: Logger) throws {
        try config.validate()
        self.options = options
        self.group = group
        self.logger = logger
        directory = DevDirectory(config: config)
        sessions = DevSessionStore()
        log = DevRequestLog(path: options.requestLogPath)
        faults = DevFaults()
        worker = DevWorker(store: sessions, log: log, group: group, pollInterval: options.workerPollInterval)
        let configuredWorkers = config.workerAddresses
        let bound = self.bound
        let router = DevAPIRouter(
            directory: directory, sessions: sessions, log: log, faults: faults,
            workerAddresses: {
                if !configuredWorkers.isEmpty { return configuredWorkers }
                guard let proxy = bound.withLock({ $0.proxy }), let port = proxy.port, let ip = proxy.ipAddress else {
                    return []
                }
                return [DevAPIRouter.hostPort(ip, port)]
            })
        api = DevHTTPServer(name: "API", group: group) { request, eventLoop in router.serve(request, on: eventLoop) }
        let adminRouter = DevAdminRouter(directory: directory, sessions: sessions, faults: faults)
        admin = DevHTTPServer(name: "admin", group: group) { request, eventLoop in
            adminRouter.serve(request, on: eventLoop)
        }
        adminRouter.controller.withLock { $0.value = self }
    }

    /// Starts the worker (first, so its port can go into tokens), the API and the admin server.
    public func start() async throws {
        if let proxy = options.proxyAddress {
            guard case .tcp(let host, let port) = proxy else {
                throw DevControllerError.config("the proxy listener must be host:port")
            }
            // DevWorker (data plane): binds the proxy listener and serves TLS + WebSocket sessions.
            let address = try await worker.start(host: host, port: port)
            bound.withLock { $0.proxy = address }
            logger.info("worker proxy listening", metadata: ["address": "\(address)"])
        }
        let apiAddress = try await api.start(options.apiAddress)
        bound.withLock { $0.api = apiAddress }
        logger.info("controller API listening", metadata: ["address": "\(apiAddress)"])
        if let adminAddress = options.adminAddress {
            let address = try await admin.start(adminAddress)
            bound.withLock { $0.admin = address }
            logger.info("admin API listening", metadata: ["address": "\(address)"])
        }
    }

    public func stop() async {
        await admin.stop()
        await api.stop()
        await worker.stop()
    }

    /// The fault knob "controller down": the API listener closes (connections are refused) until
    /// `startAPI`; sessions, tokens and the worker are untouched.
    public func stopAPI() async {
        await api.stop()
        logger.info("controller API stopped")
    }

    public func startAPI() async throws {
        try await api.restart()
        logger.info("controller API started again")
    }

    public var isAPIRunning: Bool { api.isRunning }

    public var apiAddress: SocketAddress? { bound.withLock { $0.api } }
    public var proxyAddress: SocketAddress? { bound.withLock { $0.proxy } }
    public var adminAddress: SocketAddress? { bound.withLock { $0.admin } }

    /// `http://127.0.0.1:PORT` of the API (TCP listeners only).
    public var apiURL: String? {
        guard let a = apiAddress, let port = a.port, let ip = a.ipAddress else { return nil }
        return "http://\(DevAPIRouter.hostPort(ip, port))"
    }
}
