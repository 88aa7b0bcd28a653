import AgentConfig
import AgentIPC
import Logging
import NIOCore
import NIOPosix
import PrivSep
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The entry point of both workers: bootstrap (receive fds and configuration from the helper on
/// fd 3, drop privileges, sandbox), then hand a `WorkerContext` to the worker's serving code and run
/// the helper link on the main thread until `shutdown`.
///
/// A worker's main.swift is one call:
///
///     WorkerMain.runDNS(prepare: { preparation in … }, serve: { context, prepared in try MyDNSService(context) })
///
/// `prepare` runs before the sandbox; `serve` after it, on the main thread: it starts its channels on
/// `context.group` and returns the service object AgentCore drives (reload, peer link, shutdown).
public enum WorkerMain {
    /// The DNS worker: chroots to an empty directory, `SandboxProfile.dnsWorker`. `prepare` runs
    /// before the chroot and the sandbox (NSS lookups); its result goes to `serve` after them.
    public static func runDNS<Prepared>(
        arguments: [String] = CommandLine.arguments,
        prepare: (WorkerPreparation) throws -> Prepared,
        serve: (WorkerContext, Prepared) throws -> any DNSWorkerService
    ) -> Never {
        run(role: .dns, arguments: arguments, prepare: prepare) { context, prepared in
            let service = try serve(context, prepared)
            return (service, { fd, logger in service.peerLinkReplaced(try DNSPeerLink(fd: fd, logger: logger)) })
        }
    }

    /// The proxy worker: `prepare` runs before the sandbox with the parsed configuration and the
    /// status journal (load the CA bundle, certificates: anything from disk); its result goes to
    /// `serve` after the sandbox.
    public static func runProxy<Prepared>(
        arguments: [String] = CommandLine.arguments,
        prepare: (WorkerPreparation) throws -> Prepared,
        serve: (WorkerContext, Prepared) throws -> any ProxyWorkerService
    ) -> Never {
        run(role: .proxy, arguments: arguments, prepare: prepare) { context, prepared in
            let service = try serve(context, prepared)
            return (service, { fd, logger in service.peerLinkReplaced(try BrokerPeerLink(fd: fd, logger: logger)) })
        }
    }

    /// How long `shutdown` may take before the process exits anyway.
    static let shutdownGrace: TimeAmount = .seconds(3)

    typealias PeerAttach = @Sendable (Int32, Logger) throws -> Void

    static func run<Prepared>(
        role: WorkerRole, arguments: [String], prepare: (WorkerPreparation) throws -> Prepared,
        serve: (WorkerContext, Prepared) throws -> (any WorkerService, PeerAttach)
    ) -> Never {
        // Before any thread has a heap arena: the workers' big tables come and go in big blocks.
        Posix.mapLargeBlocksSeparately()
        do {
            let options = try WorkerOptions(arguments: arguments, role: role)
            let link = IPCLink(fd: WorkerOptions.controlFD, inbound: role.inbound)
            var bootstrap = try WorkerBootstrap.receive(role: role, link: link)
            let sink = LogSink(
                fd: bootstrap.logFD, toStdout: bootstrap.config.logToStdout,
                level: WorkerLog.level(bootstrap.config.logLevel))
            LoggingSystem.bootstrap { WorkerLogHandler(label: $0, sink: sink) }
            let logger = Logger(label: role.executableName)
            let prepared = try prepare(
                WorkerPreparation(config: bootstrap.config, statusJournalFD: bootstrap.statusJournalFD, logger: logger))
            let threads = try WorkerBootstrap.sandbox(role: role, config: bootstrap.config, options: options)
            logger.info(
                "sandboxed",
                metadata: ["user": "\(bootstrap.config.workerUser)", "seccomp": "\(options.sandboxMode)"])

            let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
            let control = group.next()
            let sender = try IPCSender(link: link) { error in
                logger.error("helper link failed, exiting: \(error)")
                _exit(1)
            }
            let helper = HelperClient(role: role) { sender.send($0) }
            let context = WorkerContext(
                role: role, config: bootstrap.config, configText: bootstrap.configText,
                systemUpstreams: bootstrap.upstreams, sockets: bootstrap.sockets, group: group, logger: logger,
                helper: helper, logSink: sink)
            let (service, attachPeer) = try serve(context, prepared)
            let peerFD = bootstrap.peerFD
            bootstrap.peerFD = -1
            try control.submit { try attachPeer(peerFD, logger) }.wait()
            try helper.ready()
            // The start-up code (bootstrap, configuration, sandbox) is done: give its pages back.
            if let bytes = StartupPages.release() {
                logger.debug("dropped the start-up code pages", metadata: ["kib": "\(bytes / 1024)"])
            }
            var loop = HelperLinkLoop(
                role: role, link: link, helper: helper, service: service, control: control, sink: sink,
                logger: logger, config: bootstrap.config, configText: bootstrap.configText,
                systemUpstreams: bootstrap.upstreams, attachPeer: attachPeer)
            loop.run()
        } catch {
            let line = "\(role.executableName): \(error)\n"
            WorkerLog.writeAll(2, Array(line.utf8))
            _exit(1)
        }
    }
}

/// What a worker's `prepare` hook gets: it runs before the chroot, the privilege drop and the
/// sandbox, so it may read files and ask NSS.
public struct WorkerPreparation {
    public let config: AgentConfiguration
    /// The broker's status journal (an open file in /run; proxy worker only).
    public let statusJournalFD: Int32?
    public let logger: Logger
}

/// Command-line flags of a worker (set by the helper, not by people).
struct WorkerOptions {
    /// The helper link: one end of a SEQPACKET socketpair, dup2'ed to fd 3 by posix_spawn.
    static let controlFD: Int32 = 3

    var sandboxMode: Sandbox.Mode = .enforce

    init(arguments: [String], role: WorkerRole) throws {
        for argument in arguments.dropFirst() {
            switch argument {
            // Debug only: blocked syscalls are written to stderr and fail with EPERM instead of
            // killing the worker (OpenSSH's SANDBOX_SECCOMP_FILTER_DEBUG).
            case "-seccomp-log": sandboxMode = .log(fd: 2)
            default:
                throw AgentCoreError.usage(
                    "\(role.executableName) [-seccomp-log] (started by boundary-agent-helper, fd 3 = control socket)")
            }
        }
    }
}
