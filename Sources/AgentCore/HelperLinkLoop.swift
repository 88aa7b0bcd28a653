import AgentConfig
import AgentIPC
import Logging
import NIOCore
import PrivSep

#if canImport(Glibc)
    import Glibc
#endif

/// The worker's main thread after startup: reads the helper link and turns each command into a
/// call on the service's control loop. Reload items are collected between `reloadBegin` and
/// `reloadEnd` and applied together at END (unwind's RECONF_*).
struct HelperLinkLoop {
    let role: WorkerRole
    let link: IPCLink
    let helper: HelperClient
    let service: any WorkerService
    let control: EventLoop
    let sink: LogSink
    let logger: Logger
    var config: AgentConfiguration
    var configText: String
    var systemUpstreams: [UpstreamServer]
    let attachPeer: WorkerMain.PeerAttach

    struct PendingReload {
        var text: String? = nil
        var upstreams: [UpstreamServer]? = nil
        var logFD: Int32? = nil
    }

    var reload: PendingReload? = nil

    mutating func run() -> Never {
        while true {
            let command: HelperCommand
            do {
                command = try HelperCommand(frame: link.receiveFrame(), role: role)
            } catch {
                if case IPCError.transport(.endOfFile) = error {
                    logger.info("helper closed the control link; exiting")
                    _exit(0)
                }
                logger.error("helper link: \(error); exiting")
                _exit(1)
            }
            handle(command)
        }
    }

    mutating func handle(_ command: HelperCommand) {
        switch command {
        case .requestResult(let result):
            if !helper.deliver(result) { logger.warning("answer to unknown request \(result.id)") }
        case .reloadBegin:
            guard reload == nil else { fatal(command, "reloadBegin inside a reload") }
            reload = PendingReload()
        case .configText(let text):
            guard reload != nil, reload?.text == nil else { fatal(command, "outside a reload or twice") }
            reload?.text = text
        case .upstreamServers(let servers):
            guard reload != nil, reload?.upstreams == nil else { fatal(command, "outside a reload or twice") }
            reload?.upstreams = servers
        case .logFile(let fd):
            guard reload != nil, reload?.logFD == nil else { fatal(command, "outside a reload or twice") }
            reload?.logFD = fd
        case .reloadEnd:
            guard let pending = reload else { fatal(command, "without reloadBegin") }
            reload = nil
            apply(pending)
        case .peerLink(let fd):
            // The other worker restarted: a fresh link.
            let attach = attachPeer
            let logger = self.logger
            control.execute {
                do { try attach(fd, logger) } catch { logger.error("peer link: \(error)") }
            }
        case .shutdown:
            let service = self.service
            logger.info("shutting down")
            control.execute { service.shutdown { _exit(0) } }
            control.scheduleTask(in: WorkerMain.shutdownGrace) { _exit(0) }
        case .dnsListener, .proxyListener, .statusJournal, .bootstrapEnd:
            fatal(command, "only valid during the bootstrap")
        }
    }

    /// Applies a reload at END. Without `configText` (the helper only changed the upstreams or the
    /// log file, e.g. on resume) the configuration stays as it is.
    mutating func apply(_ pending: PendingReload) {
        let text = pending.text ?? configText
        let new: AgentConfiguration
        do {
            new = pending.text == nil ? config : try ConfigLoader.parse(text, path: "configuration from the helper")
        } catch {
            // The helper validated it; a difference means a parser mismatch. Keep the old one.
            if let fd = pending.logFD { Posix.closeQuietly(fd) }
            logger.error("reloaded configuration refused: \(error)")
            try? helper.reportError("reload refused by the \(role) worker: \(error)")
            return
        }
        let changed = new.changedKeys(from: config)
        config = new
        configText = text
        if let upstreams = pending.upstreams { systemUpstreams = upstreams }
        sink.update(fd: pending.logFD, toStdout: new.logToStdout, level: WorkerLog.level(new.logLevel))
        let update = WorkerReload(
            config: new, configText: text, systemUpstreams: systemUpstreams, changedKeys: changed)
        let service = self.service
        logger.info("configuration reloaded", metadata: ["changed": "\(changed.joined(separator: ","))"])
        control.execute { service.reload(update) }
    }

    func fatal(_ command: HelperCommand, _ why: String) -> Never {
        if let fd = command.fd { Posix.closeQuietly(fd) }
        logger.error("helper link: \(command.name) \(why); exiting")
        _exit(1)
    }
}
