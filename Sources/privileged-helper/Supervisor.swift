import AgentConfig
import AgentIPC
import Glibc
import HostState
import JSON
import PrivSep

/// The helper's run: the host changes in order, the workers, and one single-threaded poll loop over
/// the signalfd and the workers' control sockets, with timers for restarts and the stop deadline.
final class Supervisor {
    static let initialBackoff = 0.25
    static let maximumBackoff = 30.0
    /// A worker that ran this long is healthy again: its next restart starts from the initial delay.
    static let stableAfter = 60.0
    static let startupTimeout = 30.0
    static let stopTimeout = 3.0
    /// After SIGKILL, how long a worker may take to be reaped. One still there is left behind (the
    /// kill failed: no CAP_KILL, say) so that the stop ends and the host is reverted anyway.
    static let killGrace = 2.0
    static let resolverCheckInterval = 5.0
    static let maxEvents = 100
    /// Requests are small; anything longer than the largest request plus a header is refused.
    static let maxRequest = IPCLimits.headerSize + MessageKind.reportError.maxLength + 1

    let configPath: String
    /// The configuration the host changes were made from (network keys apply at the next start).
    let startConfig: AgentConfiguration
    var config: AgentConfiguration
    var configText: String
    var log: HelperLog
    var changes: HostChanges
    let resolver: (any ResolverConfigurator)?
    let seccompLog: Bool
    let signalFD: Int32
    var listeners = Listeners()
    /// The broker's status journal (`RuntimePaths.statusJournal`), open for the whole run.
    var statusJournal: Int32 = -1
    var upstreams: [UpstreamServer] = []
    /// The caching stubs' uids (`AgentConfiguration.cachingStubUsers`), which the DNS meter leaves alone.
    var unlimitedUIDs: [UInt32] = []
    /// The DNS meter's rate in the installed table (a failed reload leaves the old one, and the next retries).
    var installedDNSQueriesPerUser = 0
    var paused = false
    var directory = ""
    var workers: [WorkerRole: WorkerHandle] = [:]
    var restartAt: [WorkerRole: Double] = [:]
    var backoff: [WorkerRole: Double] = [:]
    var restarts: [WorkerRole: Int] = [:]
    /// A peer-link end made for a worker that was not running yet (its bootstrap takes it).
    var pendingPeer: [WorkerRole: Int32] = [:]
    var events: [JSONValue] = []
    /// Shown in every user's `status` (e.g. a resolv.conf rebuilt at start); already logged.
    var warnings: [String] = []
    var serving = false
    var startupDeadline = 0.0
    var stopping = false
    var stopDeadline: Double? = nil
    var abandonDeadline: Double? = nil
    var exitCode: Int32 = 0
    var nextResolverCheck = 0.0
    var overwriteReported = false
    /// Times another program overwrote the resolver configuration in this run.
    var resolverOverwrites = 0
    /// An overwritten resolv.conf is pointed at the agent again this many times; after that it is
    /// left to the other program (a DHCP client or VPN that keeps rewriting it would fight forever).
    static let maxResolverReasserts = 3

    init(
        configPath: String, config: AgentConfiguration, configText: String, log: HelperLog, state: StateFile,
        seccompLog: Bool, signalFD: Int32
    ) {
        self.configPath = configPath
        self.startConfig = config
        self.config = config
        self.configText = configText
        self.log = log
        self.changes = HostChanges(state: state, log: log)
        self.resolver = config.dnsMode == .off ? nil : ResolvConf(path: config.resolvConfPath)
        self.seccompLog = seccompLog
        self.signalFD = signalFD
    }

    var ours: [IPAddress] { [.v4(startConfig.dnsListenV4), .v6(startConfig.dnsListenV6)] }

    /// Our nftables table for the addresses and ports of this run, with the DNS meter at `dnsQueriesPerUser`.
    func firewallRules(dnsQueriesPerUser: Int) -> FirewallRules {
        let c = startConfig
        return FirewallRules(
            v4Prefix: "\(c.v4Prefix)", v4DNS: "\(c.dnsListenV4)", proxyPort4: listeners.proxyPort4,
            v6Prefix: "\(c.v6Prefix)", v6DNS: "\(c.dnsListenV6)", proxyPort6: listeners.proxyPort6,
            dnsQueriesPerUser: dnsQueriesPerUser, unlimitedUIDs: unlimitedUIDs)
    }

    // MARK: - Start

    /// Issue 2's order: addresses, local routes, sockets, nftables (it needs the proxy ports), the
    /// workers; the resolver follows once both workers are ready (`workerReady`).
    func setUp() throws {
        let c = startConfig
        paused = OperationalState.load(c.operationalStateFile) == .paused
        directory = try Spawn.executableDirectory()
        try Posix.makeDirectory(RuntimePaths.directory(of: c.stateFile), mode: 0o755)
        let empty = RuntimePaths.emptyDirectory(stateFile: c.stateFile)
        try Posix.makeDirectory(empty, mode: 0o755)
        try Posix.chmod(empty, 0o755)
        if let resolver {
            upstreams = try resolver.baseUpstreams().filter { !ours.contains($0.address) }
        }
        let v4 = c.dnsListenV4.bytes
        let v6 = c.dnsListenV6.bytes
        try changes.addAddress(family: AF_INET, v4, prefixLength: 32, interface: c.interfaceToUse)
        try changes.addAddress(family: AF_INET6, v6, prefixLength: 128, interface: c.interfaceToUse)
        try changes.addLocalRoute(
            family: AF_INET, c.v4Prefix.address.bytes, prefixLength: c.v4Prefix.length, interface: c.interfaceToUse)
        try changes.addLocalRoute(
            family: AF_INET6, c.v6Prefix.address.bytes, prefixLength: c.v6Prefix.length, interface: c.interfaceToUse)
        try listeners.bindDNS(
            v4: SocketEndpoint(ipv4: c.dnsListenV4.value, port: 53),
            v6: SocketEndpoint(ipv6High: c.dnsListenV6.high, low: c.dnsListenV6.low, port: 53))
        try listeners.bindProxy()
        try changes.recordSocketFile(c.apiSocketPath)
        try listeners.bindAPI(socketPath: c.apiSocketPath, port: c.apiListenPort)
        // Not a host change: the journal stays after a stop, so the status survives until reboot.
        statusJournal = try Posix.open(
            RuntimePaths.statusJournal(apiSocketPath: c.apiSocketPath), O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW,
            mode: 0o600)
        unlimitedUIDs = AgentConfiguration.cachingStubUsers.compactMap { try? UserIdentity.lookup($0).uid }
        try changes.installFirewall(firewallRules(dnsQueriesPerUser: c.dnsQueriesPerUser))
        installedDNSQueriesPerUser = c.dnsQueriesPerUser
        log.info(
            "host ready: \(c.dnsListenV4) and \(c.dnsListenV6) on \(c.interfaceToUse), local routes \(c.v4Prefix) "
                + "\(c.v6Prefix), proxy ports \(listeners.proxyPort4)/\(listeners.proxyPort6), upstreams \(upstreams)")
        startupDeadline = Posix.monotonicSeconds() + Supervisor.startupTimeout
        for role in WorkerRole.allCases { try startWorker(role) }
    }

    /// After a failed `setUp`: no worker left, everything recorded undone.
    func abandonStart() {
        for w in workers.values { kill(w) }
        let deadline = Posix.monotonicSeconds() + Supervisor.killGrace
        while !workers.isEmpty && Posix.monotonicSeconds() < deadline {
            while let (pid, _) = (try? Posix.reap()) ?? nil { workers = workers.filter { $0.value.pid != pid } }
            if !workers.isEmpty { usleep(20_000) }
        }
        abandonWorkers()
        finish()
    }

    // MARK: - Loop

    func run() -> Int32 {
        while !(stopping && workers.isEmpty) {
            var fds = [pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0)]
            let roles = WorkerRole.allCases.filter { (workers[$0]?.control ?? -1) >= 0 }
            for role in roles { fds.append(pollfd(fd: workers[role]!.control, events: Int16(POLLIN), revents: 0)) }
            let now = Posix.monotonicSeconds()
            let wait = max(0, min(1.0, nextTimer() - now))
            do {
                _ = try Posix.poll(&fds, timeoutMilliseconds: Int32(wait * 1000))
            } catch {
                log.error("\(error)")
                exitCode = 1
                beginStop()
            }
            if fds[0].revents != 0 { handleSignals() }
            for (index, role) in roles.enumerated() where fds[index + 1].revents != 0 { readWorker(role) }
            runTimers()
        }
        finish()
        return exitCode
    }

    func nextTimer() -> Double {
        var next = Posix.monotonicSeconds() + 1
        for t in restartAt.values { next = min(next, t) }
        if let stopDeadline { next = min(next, stopDeadline) }
        if let abandonDeadline { next = min(next, abandonDeadline) }
        return next
    }

    func handleSignals() {
        while let (signal, _) = (try? Posix.readSignal(signalFD)) ?? nil {
            switch signal {
            case SIGTERM, SIGINT:
                log.info("signal \(signal): stopping")
                beginStop()
            case SIGHUP: reload()
            case SIGCHLD: reap()
            default: break
            }
        }
    }

    func runTimers() {
        let now = Posix.monotonicSeconds()
        for (role, at) in restartAt where at <= now && !stopping {
            restartAt[role] = nil
            do {
                try startWorker(role)
            } catch {
                log.error("restarting the \(role) worker: \(error)")
                scheduleRestart(role, lived: 0)
            }
        }
        if let deadline = stopDeadline, now >= deadline {
            for w in workers.values where !w.killed {
                log.warning("the \(w.role) worker did not stop in time; killing it")
                kill(w)
            }
            stopDeadline = nil
            abandonDeadline = now + Supervisor.killGrace
        }
        if let deadline = abandonDeadline, now >= deadline { abandonWorkers() }
        if !serving && !stopping && now >= startupDeadline {
            log.error("the workers did not become ready within \(Int(Supervisor.startupTimeout)) s")
            exitCode = 1
            beginStop()
        }
        if now >= nextResolverCheck {
            nextResolverCheck = now + Supervisor.resolverCheckInterval
            if let resolver, changes.resolverApplied, resolverOverwrites <= Supervisor.maxResolverReasserts,
                !resolver.isOurs()
            {
                resolverOverwritten()
            }
        }
    }

    // MARK: - Workers

    func startWorker(_ role: WorkerRole) throws {
        let handle = try Spawn.start(role: role, directory: directory, seccompLog: seccompLog)
        workers[role] = handle
        let peer: Int32
        do {
            peer = try peerEnd(for: role)
        } catch {
            violation(role, error)
            return
        }
        defer { Posix.closeQuietly(peer) }
        let frames = Spawn.bootstrap(
            role: role, configText: configText, upstreams: upstreams, logFD: log.fd, peerFD: peer,
            statusJournalFD: statusJournal, listeners: listeners)
        do {
            try Spawn.send(frames, to: handle.control)
        } catch {
            violation(role, error)
            return
        }
        log.info("started the \(role) worker (pid \(handle.pid))")
    }

    /// This worker's end of a fresh dns ↔ broker link. The other end goes to the other worker now
    /// if it runs (it replaces its old link), else waits for its next start.
    func peerEnd(for role: WorkerRole) throws -> Int32 {
        if let fd = pendingPeer.removeValue(forKey: role) { return fd }
        let (mine, theirs) = try Posix.socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue))
        let other: WorkerRole = role == .dns ? .proxy : .dns
        if let w = workers[other], !w.killed, w.control >= 0 {
            defer { Posix.closeQuietly(theirs) }
            do {
                try Spawn.send([Frame(kind: .peerLink, fds: [theirs])], to: w.control)
            } catch {
                violation(other, error)
            }
        } else {
            if let old = pendingPeer[other] { Posix.closeQuietly(old) }
            pendingPeer[other] = theirs
        }
        return mine
    }

    func readWorker(_ role: WorkerRole) {
        guard let w = workers[role], w.control >= 0 else { return }
        while !w.killed {
            let message: ReceivedMessage
            do {
                guard let m = try FDPassing.receive(w.control, maxLength: Supervisor.maxRequest, nonBlocking: true)
                else { return }
                message = m
            } catch PrivSepError.endOfFile {
                // The worker is exiting; the reaper takes it from here.
                Posix.closeQuietly(w.control)
                w.control = -1
                return
            } catch {
                return violation(role, error)
            }
            do {
                guard let frame = try w.assembler.add(message) else { continue }
                try RequestTable.dispatch(frame, from: role, used: &w.used, to: self)
            } catch {
                return violation(role, error)
            }
        }
    }

    /// Anything unexpected from a worker ends it, before it reaches anything else (STYLE.md §2).
    func violation(_ role: WorkerRole, _ error: any Error) {
        guard let w = workers[role], !w.killed else { return }
        log.error("killing the \(role) worker (pid \(w.pid)): \(error)")
        event("\(role) worker killed: \(error)")
        kill(w)
        Posix.closeQuietly(w.control)
        w.control = -1
    }

    /// SIGKILL; a failure (EPERM without CAP_KILL) is logged, and the stop's deadlines bound the wait.
    func kill(_ w: WorkerHandle) {
        w.killed = true
        do {
            try Posix.kill(w.pid, SIGKILL)
        } catch {
            log.error("cannot kill the \(w.role) worker (pid \(w.pid)): \(error)")
        }
    }

    /// Stops waiting for workers that survived SIGKILL: the stop goes on (the host is reverted) and
    /// ends with exit status 1.
    func abandonWorkers() {
        abandonDeadline = nil
        for w in workers.values {
            log.error(
                "the \(w.role) worker (pid \(w.pid)) could not be stopped; leaving it behind (it may still hold "
                    + "its sockets: kill it as root)")
            if w.control >= 0 { Posix.closeQuietly(w.control) }
            exitCode = 1
        }
        workers = [:]
    }

    func reap() {
        while let (pid, status) = (try? Posix.reap()) ?? nil {
            guard let (role, w) = workers.first(where: { $0.value.pid == pid }) else { continue }
            workers[role] = nil
            if w.control >= 0 { Posix.closeQuietly(w.control) }
            let how = PrivSep.Spawn.describe(status: status)
            if stopping {
                log.info("the \(role) worker \(how)")
                continue
            }
            event("\(role) worker (pid \(pid)) \(how)")
            if !serving {
                log.error("\(HelperError.workerFailedToStart(role, how))")
                exitCode = 1
                beginStop()
                continue
            }
            log.warning("the \(role) worker (pid \(pid)) \(how); restarting")
            restarts[role, default: 0] += 1
            scheduleRestart(role, lived: Posix.monotonicSeconds() - w.startedAt)
        }
    }

    func scheduleRestart(_ role: WorkerRole, lived: Double) {
        var delay = backoff[role] ?? Supervisor.initialBackoff
        if lived >= Supervisor.stableAfter { delay = Supervisor.initialBackoff }
        restartAt[role] = Posix.monotonicSeconds() + delay
        backoff[role] = min(delay * 2, Supervisor.maximumBackoff)
    }

    func send(_ frames: [Frame], to role: WorkerRole) {
        guard let w = workers[role], !w.killed, w.control >= 0 else { return }
        do { try Spawn.send(frames, to: w.control) } catch { violation(role, error) }
    }

    // MARK: - Stop

    func beginStop() {
        guard !stopping else { return }
        stopping = true
        Notify.send("STOPPING=1")
        // The resolver first, so nobody is sent to a DNS server that is about to go.
        changes.revertResolver()
        restartAt = [:]
        for role in workers.keys { send([Frame(kind: .shutdown)], to: role) }
        stopDeadline = Posix.monotonicSeconds() + Supervisor.stopTimeout
    }

    func finish() {
        listeners.closeAll()
        if statusJournal >= 0 { Posix.closeQuietly(statusJournal) }
        for fd in pendingPeer.values { Posix.closeQuietly(fd) }
        if changes.revertAll() {
            do { try changes.state.remove() } catch { log.error("\(error)") }
            log.info("stopped; host restored")
        } else {
            log.error("stopped, but some changes could not be undone; they stay in \(changes.state.path) for cleanup")
            exitCode = 1
        }
    }

    func warn(_ text: String) {
        warnings.append(text)
        event(text, logged: true)
    }

    func event(_ text: String, logged: Bool = false) {
        if !logged { log.info(text) }
        events.insert(["time": .string(LogTimestamp.now()), "message": .string(text)], at: 0)
        if events.count > Supervisor.maxEvents { events.removeLast() }
    }
}
