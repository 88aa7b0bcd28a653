// boundary-dev-controller: a Boundary-compatible controller API and worker for the demo and the
// tests, with `boundary dev`'s defaults (boundary-protocol.md §5). Not part of the agent.
import ArgumentParser
import DevController
import Dispatch
import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

@available(macOS 10.15, *)
struct DevControllerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "boundary-dev-controller",
        abstract: "A Boundary dev controller and worker (API, auth, aliases, sessions, proxy) for tests and demos.",
        discussion: """
            Defaults mirror `boundary dev`: API on 127.0.0.1:9200, worker proxy on 127.0.0.1:9202, auth method \
            ampw_1234567890, users admin/password (u_1234567890) and user/password (u_0987654321), aliases \
            ssh.boundary.dev -> 127.0.0.1:22 and postgres.boundary.dev -> 127.0.0.1:5432 (brokered postgres/password).
            SIGUSR1 stops the API listener, SIGUSR2 starts it again; SIGTERM/SIGINT exit.
            """)

    @Option(
        name: .customLong("api-listen-address", withSingleDash: true), help: "API listener (host:port or /unix/path).")
    var apiListenAddress = "127.0.0.1:9200"

    @Option(name: .customLong("proxy-listen-address", withSingleDash: true), help: "Worker proxy listener (host:port).")
    var proxyListenAddress = "127.0.0.1:9202"

    @Flag(name: .customLong("disable-worker", withSingleDash: true), help: "Run the API without a worker.")
    var disableWorker = false

    @Option(
        name: .customLong("worker-public-address", withSingleDash: true),
        help: "Address put in worker_info instead of the proxy listener's (repeatable, in order).")
    var workerPublicAddresses: [String] = []

    @Option(
        name: .customLong("admin-listen-address", withSingleDash: true),
        help: "Admin listener for test knobs (faults, aliases, grants, API stop/start); off by default.")
    var adminListenAddress: String?

    @Option(name: .customLong("config", withSingleDash: true), help: "JSON file with users, targets, aliases, grants.")
    var config: String?

    @Option(name: .customLong("request-log", withSingleDash: true), help: "Append one JSON line per API call here.")
    var requestLog: String?

    @Option(
        name: .customLong("auth-token-time-to-live", withSingleDash: true),
        help: "Auth token lifetime (e.g. 7d, 30s); short values test expiry.")
    var authTokenTimeToLive: String?

    @Option(
        name: .customLong("auth-token-time-to-stale", withSingleDash: true), help: "Idle time after which a token dies."
    )
    var authTokenTimeToStale: String?

    @Option(name: .customLong("max-page-size", withSingleDash: true), help: "Largest list page (default 1000).")
    var maxPageSize: Int?

    @Option(
        name: .customLong("fault", withSingleDash: true),
        help: "ENDPOINT:latency=2s,error_rate=0.5,error_status=503,pad_bytes=N (repeatable; ENDPOINT may be *).")
    var faults: [String] = []

    @Option(
        name: .customLong("worker-poll-interval", withSingleDash: true),
        help: "How often the worker checks open streams for cancel/expiry (default 2s).")
    var workerPollInterval = "2s"

    @Option(name: .customLong("log-level", withSingleDash: true), help: "trace, debug, info, warning, error.")
    var logLevel = "info"

    func validate() throws {
        for text in [authTokenTimeToLive, authTokenTimeToStale, workerPollInterval].compactMap({ $0 })
        where DevControllerConfig.parseDuration(text) == nil {
            throw ValidationError("\(text) is not a duration (500ms, 5s, 10m, 2h, 7d)")
        }
        if let maxPageSize, maxPageSize < 1 { throw ValidationError("-max-page-size must be at least 1") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown -log-level \(logLevel)") }
    }

    func run() async throws {
        try await serve()
    }

    func serve() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "boundary-dev-controller")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info

        var configuration = DevControllerConfig.devDefaults
        if let path = config {
            configuration = try DevControllerConfig.parse(try readFile(path))
        }
        if let ttl = authTokenTimeToLive.flatMap(DevControllerConfig.parseDuration) {
            configuration.authTokenTimeToLive = ttl
        }
        if let stale = authTokenTimeToStale.flatMap(DevControllerConfig.parseDuration) {
            configuration.authTokenTimeToStale = stale
        }
        if let maxPageSize { configuration.maxPageSize = maxPageSize }
        if !workerPublicAddresses.isEmpty { configuration.workerAddresses = workerPublicAddresses }

        var options = DevController.Options()
        options.apiAddress = try DevListenAddress(parsing: apiListenAddress)
        options.proxyAddress = disableWorker ? nil : try DevListenAddress(parsing: proxyListenAddress)
        options.adminAddress = try adminListenAddress.map { try DevListenAddress(parsing: $0) }
        options.requestLogPath = requestLog
        let poll = DevControllerConfig.parseDuration(workerPollInterval) ?? 2
        options.workerPollInterval = .nanoseconds(Int64(poll * 1e9))

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let controller = try DevController(config: configuration, options: options, group: group, logger: logger)
        for spec in faults { try controller.faults.apply(flag: spec) }
        try await controller.start()

        // Machine-readable lines for scripts that pass port 0.
        if let url = controller.apiURL {
            print("api: \(url)")
        } else if case .unix(let path) = options.apiAddress {
            print("api: unix:\(path)")
        }
        for (name, address) in [("proxy", controller.proxyAddress), ("admin", controller.adminAddress)] {
            if let address, let ip = address.ipAddress, let port = address.port {
                print("\(name): \(ip.contains(":") ? "[\(ip)]" : ip):\(port)")
            }
        }
        fflush(nil)

        await waitForSignals(controller: controller, logger: logger)
        await controller.stop()
        Glibc.exit(0)
    }

    /// SIGUSR1/SIGUSR2 toggle the API listener; SIGTERM/SIGINT return.
    func waitForSignals(controller: DevController, logger: Logger) async {
        for s in [SIGUSR1, SIGUSR2, SIGTERM, SIGINT] { signal(s, SIG_IGN) }
        let queue = DispatchQueue(label: "signals")
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            var sources: [DispatchSourceSignal] = []
            let finished = Finished()
            for s in [SIGUSR1, SIGUSR2, SIGTERM, SIGINT] {
                let source = DispatchSource.makeSignalSource(signal: s, queue: queue)
                source.setEventHandler {
                    switch s {
                    case SIGUSR1: Task { await controller.stopAPI() }
                    case SIGUSR2:
                        Task {
                            do {
                                try await controller.startAPI()
                            } catch {
                                logger.error("cannot restart the API", metadata: ["error": "\(error)"])
                            }
                        }
                    default:
                        if finished.set() { done.resume() }
                    }
                }
                source.resume()
                sources.append(source)
            }
            // The sources must outlive this closure; the process exits after the signal anyway.
            Retain.keep(sources)
        }
    }

    func readFile(_ path: String) throws -> String {
        guard let f = fopen(path, "r") else { throw ValidationError("cannot open \(path)") }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n == 0 { break }
            bytes += chunk[0..<n]
            // Large enough for the benchmark's million aliases (bench/scale.sh: 65 MB of JSON).
            if bytes.count > 256 << 20 { throw ValidationError("\(path) is larger than 256 MiB") }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A one-shot flag shared by signal handlers.
final class Finished: @unchecked Sendable {
    // Only touched on the serial "signals" queue.
    private var done = false
    func set() -> Bool {
        defer { done = true }
        return !done
    }
}

enum Retain {
    nonisolated(unsafe) static var objects: [Any] = []
    static func keep(_ object: Any) { objects.append(object) }
}

// main.swift cannot hold `@main`, and a top-level `await Command.main()` picks ArgumentParser's
// synchronous overload; so parse and run here.
do {
    var command = try DevControllerCommand.parseAsRoot()
    if let devController = command as? DevControllerCommand {
        try await devController.serve()
    } else {
        try command.run()
    }
} catch {
    DevControllerCommand.exit(withError: error)
}
