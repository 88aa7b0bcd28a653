import AgentConfig
import AgentIPC
import Glibc
import PrivSep

/// One running worker process, as the helper sees it.
final class WorkerHandle {
    let role: WorkerRole
    let pid: pid_t
    /// The helper's end of the control socketpair (-1 once closed).
    var control: Int32
    var assembler: FrameAssembler
    /// `once` rows already used by this process.
    var used: Set<MessageKind> = []
    let startedAt: Double
    var ready = false
    /// Killed for a protocol violation; waiting to be reaped.
    var killed = false

    init(role: WorkerRole, pid: pid_t, control: Int32, assembler: FrameAssembler, startedAt: Double) {
        self.role = role
        self.pid = pid
        self.control = control
        self.assembler = assembler
        self.startedAt = startedAt
    }
}

/// Starting a worker: a SEQPACKET socketpair, posix_spawn of the worker's binary (beside ours) with
/// one end as fd 3 and nothing else, then its bootstrap messages, each fd as its own typed message.
enum Spawn {
    /// Blocking sends to a worker give up after this long (a worker that does not read is broken).
    static let sendTimeoutSeconds = 2

    static func start(role: WorkerRole, directory: String, seccompLog: Bool) throws -> WorkerHandle {
        let (mine, theirs) = try Posix.socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue))
        defer { Posix.closeQuietly(theirs) }
        var timeout = timeval(tv_sec: sendTimeoutSeconds, tv_usec: 0)
        try Posix.call("setsockopt SO_SNDTIMEO") {
            setsockopt(mine, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
        let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TZ=UTC0", "SWIFT_BACKTRACE=enable=no"]
        let pid: pid_t
        do {
            pid = try PrivSep.Spawn.spawn(
                path: directory + "/" + role.executableName, arguments: seccompLog ? ["-seccomp-log"] : [],
                environment: environment, controlFD: theirs)
        } catch {
            Posix.closeQuietly(mine)
            throw error
        }
        return WorkerHandle(
            role: role, pid: pid, control: mine, assembler: FrameAssembler(direction: role.outbound),
            startedAt: Posix.monotonicSeconds())
    }

    /// The bootstrap sequence for `role`; listener fds are the helper's (copies go out).
    static func bootstrap(
        role: WorkerRole, configText: String, upstreams: [UpstreamServer], logFD: Int32, peerFD: Int32,
        statusJournalFD: Int32, listeners: Listeners
    ) -> [Frame] {
        switch role {
        case .dns:
            var messages: [HelperToDNS] = [
                .configText(configText), .upstreamServers(upstreams), .logFile(logFD), .peerLink(peerFD),
            ]
            for slot in DNSListener.allCases {
                if let fd = listeners.dns[slot] { messages.append(.listener(slot, fd)) }
            }
            return (messages + [.bootstrapEnd]).map { $0.frame() }
        case .proxy:
            var messages: [HelperToProxy] = [
                .configText(configText), .upstreamServers(upstreams), .logFile(logFD), .peerLink(peerFD),
                .statusJournal(statusJournalFD),
            ]
            for slot in ProxyListener.allCases {
                if let fd = listeners.proxy[slot] { messages.append(.listener(slot, fd)) }
            }
            return (messages + [.bootstrapEnd]).map { $0.frame() }
        }
    }

    /// A reload (or upstream change): BEGIN, items, END.
    static func reload(role: WorkerRole, configText: String?, upstreams: [UpstreamServer], logFD: Int32?) -> [Frame] {
        var frames = [Frame(kind: .reloadBegin)]
        // Both helper -> worker directions encode these kinds identically (AgentIPC's HelperCodec).
        if let configText { frames.append(HelperToDNS.configText(configText).frame()) }
        frames.append(HelperToDNS.upstreamServers(upstreams).frame())
        if let logFD { frames.append(Frame(kind: .logFile, fds: [logFD])) }
        frames.append(Frame(kind: .reloadEnd))
        return frames
    }

    /// Sends frames in order (fragmented as needed); the fds are copied, the helper keeps its own.
    static func send(_ frames: [Frame], to fd: Int32) throws {
        for frame in frames {
            for (index, bytes) in frame.fragments().enumerated() {
                try FDPassing.send(fd, bytes, fds: index == 0 ? frame.fds : [])
            }
        }
    }

    /// The directory of our own binary (/proc/self/exe), where the workers' binaries are.
    static func executableDirectory() throws -> String {
        guard let exe = try Posix.readlink("/proc/self/exe") else {
            throw HelperError.setup("cannot read /proc/self/exe")
        }
        return RuntimePaths.directory(of: exe)
    }
}
