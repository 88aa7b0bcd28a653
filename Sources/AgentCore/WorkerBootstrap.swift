import AgentConfig
import AgentIPC
import CPrivSep
import NIOCore
import PrivSep

#if canImport(Glibc)
    import Glibc
#endif

/// The worker's start, in the order swift-notes §6 tested: receive everything from the helper,
/// parse the configuration, look up the worker user, pin TZ, (DNS) chroot, drop privileges, die
/// with the helper, seccomp with TSYNC. Threads come after.
struct WorkerBootstrap {
    var configText = ""
    var config = AgentConfiguration()
    var upstreams: [UpstreamServer] = []
    var logFD: Int32 = -1
    var peerFD: Int32 = -1
    /// The broker's status journal (proxy worker only; required there).
    var statusJournalFD: Int32? = nil
    var sockets: WorkerSockets

    /// Reads the bootstrap sequence (`configText`, `upstreamServers`, `logFile`, `peerLink`, the
    /// role's listeners, (proxy) `statusJournal`, `bootstrapEnd`). A duplicate item, a missing one, or anything else is
    /// fatal: it can only be a bug or a forgery, and the helper restarts us.
    static func receive(role: WorkerRole, link: IPCLink) throws -> WorkerBootstrap {
        var text: String? = nil
        var upstreams: [UpstreamServer]? = nil
        var logFD: Int32? = nil
        var peerFD: Int32? = nil
        var journalFD: Int32? = nil
        var dns: [DNSListener: Int32] = [:]
        var proxy: [ProxyListener: Int32] = [:]
        func refuse(_ command: HelperCommand, _ why: String) -> AgentCoreError {
            if let fd = command.fd { Posix.closeQuietly(fd) }
            return .bootstrap("\(command.name): \(why)")
        }
        bootstrapping: while true {
            let command: HelperCommand
            do {
                command = try HelperCommand(frame: link.receiveFrame(), role: role)
            } catch let error as IPCError {
                throw AgentCoreError.ipc(error)
            }
            switch command {
            case .configText(let t):
                guard text == nil else { throw refuse(command, "sent twice") }
                text = t
            case .upstreamServers(let u):
                guard upstreams == nil else { throw refuse(command, "sent twice") }
                upstreams = u
            case .logFile(let fd):
                guard logFD == nil else { throw refuse(command, "sent twice") }
                logFD = fd
            case .peerLink(let fd):
                guard peerFD == nil else { throw refuse(command, "sent twice") }
                peerFD = fd
            case .statusJournal(let fd):
                guard journalFD == nil else { throw refuse(command, "sent twice") }
                journalFD = fd
            case .dnsListener(let slot, let fd):
                guard dns[slot] == nil else { throw refuse(command, "sent twice") }
                dns[slot] = fd
            case .proxyListener(let slot, let fd):
                guard proxy[slot] == nil else { throw refuse(command, "sent twice") }
                proxy[slot] = fd
            case .bootstrapEnd:
                break bootstrapping
            case .shutdown:
                _exit(0)
            case .reloadBegin, .reloadEnd, .requestResult:
                throw refuse(command, "not part of the bootstrap")
            }
        }
        guard let text, let upstreams, let logFD, let peerFD else {
            throw AgentCoreError.bootstrap("bootstrapEnd before configText, upstreamServers, logFile and peerLink")
        }
        let sockets: WorkerSockets
        switch role {
        case .dns:
            guard let u4 = dns[.udp4], let t4 = dns[.tcp4], let u6 = dns[.udp6], let t6 = dns[.tcp6] else {
                throw AgentCoreError.bootstrap("bootstrapEnd without all four DNS sockets")
            }
            sockets = .dns(DNSSockets(udp4: u4, tcp4: t4, udp6: u6, tcp6: t6))
        case .proxy:
            guard let p4 = proxy[.proxy4], let p6 = proxy[.proxy6], let unix = proxy[.apiUnix], journalFD != nil else {
                throw AgentCoreError.bootstrap(
                    "bootstrapEnd without the proxy listeners, the API socket and the status journal")
            }
            sockets = .proxy(ProxySockets(proxy4: p4, proxy6: p6, apiUnix: unix, apiTCP: proxy[.apiTCP]))
        }
        var result = WorkerBootstrap(sockets: sockets)
        result.configText = text
        result.upstreams = upstreams
        result.logFD = logFD
        result.peerFD = peerFD
        result.statusJournalFD = journalFD
        do {
            result.config = try ConfigLoader.parse(text, path: "configuration from the helper")
        } catch {
            throw AgentCoreError.config(error)
        }
        return result
    }

    /// Everything between "all inputs loaded" and "threads may start". Returns the event loop thread
    /// count, computed while /sys is still readable (NIO's `System.coreCount` reads cgroup files).
    static func sandbox(role: WorkerRole, config: AgentConfiguration, options: WorkerOptions) throws -> Int {
        let threads = max(1, min(System.coreCount, 4))
        let helperPID = getppid()
        do {
            let user = try UserIdentity.lookup(config.workerUser)
            // A pipe whose reader is gone must not kill us; writes fail with EPIPE instead.
            signal(SIGPIPE, SIG_IGN)
            // swift-log timestamps would otherwise tzset() and open /etc/localtime on every line.
            setenv("TZ", "UTC0", 1)
            tzset()
            let chroot = role == .dns ? RuntimePaths.emptyDirectory(stateFile: config.stateFile) : nil
            try PrivilegeDrop.drop(to: user, chrootDirectory: chroot)
            // Set after the uid change, which clears it; then make sure the helper did not die first.
            try Posix.call("prctl PR_SET_PDEATHSIG") { cps_set_pdeathsig(SIGKILL) }
            guard getppid() == helperPID else { throw AgentCoreError.bootstrap("the helper exited during startup") }
            let profile = role == .dns ? SandboxProfile.dnsWorker : SandboxProfile.proxyWorker
            try Sandbox.install(profile, mode: options.sandboxMode)
        } catch let error as PrivSepError {
            throw AgentCoreError.system(error)
        }
        return threads
    }
}
