#if canImport(Glibc)
    import Glibc
#endif

/// What the filter does with a system call.
public enum SeccompAction: Sendable, Hashable {
    case allow
    /// Fail the call with this errno; the process carries on (NIO and Swift tolerate EPERM).
    case errno(Int32)
    /// Kill the whole process with SIGSYS at once (SCMP_ACT_KILL_PROCESS).
    case killProcess
}

/// One comparison of a syscall argument. All comparisons of a rule must hold (AND); several rules
/// for one syscall are alternatives (OR), so they must not overlap.
public struct ArgumentCheck: Sendable, Equatable {
    public enum Comparison: Sendable, Equatable {
        case equal(UInt64)
        case notEqual(UInt64)
        case greaterOrEqual(UInt64)
        /// (argument & mask) == value
        case maskedEqual(mask: UInt64, value: UInt64)
        /// The calling process's own pid, read when the filter is installed (tgkill to ourselves).
        case equalOwnPID
    }

    public var index: UInt32
    public var comparison: Comparison

    public init(_ index: UInt32, _ comparison: Comparison) {
        self.index = index
        self.comparison = comparison
    }
}

/// A syscall, what happens to it, under which argument conditions, and why (STYLE.md rule 12:
/// every entry carries its reason).
public struct SyscallRule: Sendable, Equatable {
    public var name: String
    public var action: SeccompAction
    public var checks: [ArgumentCheck]
    public var reason: String

    public init(_ name: String, _ action: SeccompAction, _ checks: [ArgumentCheck] = [], reason: String) {
        self.name = name
        self.action = action
        self.checks = checks
        self.reason = reason
    }
}

/// A seccomp policy as data (after OpenSSH's sandbox-seccomp-filter.c): the architecture check comes
/// from libseccomp (a foreign arch kills), the default answers EPERM so harmless probes by libraries
/// fail gently, an allowlist lets the worker serve, and explicit kill rules end the process on
/// anything a compromised worker would use to escalate or escape.
public struct SandboxProfile: Sendable {
    public var name: String
    public var defaultAction: SeccompAction
    public var rules: [SyscallRule]

    public init(name: String, defaultAction: SeccompAction = .errno(EPERM), rules: [SyscallRule]) {
        self.name = name
        self.defaultAction = defaultAction
        self.rules = rules
    }

    /// The DNS worker: serves UDP+TCP on passed sockets, forwards upstream over UDP and TCP
    /// (new sockets, bind to an ephemeral port, connect), asks sock_diag who sent each query.
    public static let dnsWorker = SandboxProfile(
        name: "dns-worker",
        rules: common
            + inetSockets(
                types: [SOCK_DGRAM.rawValue, SOCK_STREAM.rawValue], reason: "forwarding to upstream resolvers")
            + outboundRules(reason: "forwarding to upstream resolvers (UDP, TCP on truncation)"))

    /// The proxy worker (session broker): accepts redirected TCP and the local API on passed
    /// listeners, opens TLS connections to controllers and Boundary workers, resolves their host
    /// names by asking the DNS worker over UDP, asks sock_diag who connected. Everything it reads from disk (CA bundle, config) is loaded before the sandbox, so it
    /// gets no file access: `openat` fails with EACCES like in the DNS worker. (A read-only `openat`
    /// would be defensible for a lazily loaded CA bundle, but nothing needs it today, and a
    /// compromised broker reading /etc would help an attacker map the host.)
    public static let proxyWorker = SandboxProfile(
        name: "proxy-worker",
        rules: common
            + inetSockets(types: [SOCK_STREAM.rawValue], reason: "TLS connections to controllers and workers")
            // Controller and worker host names are resolved by asking the DNS worker (DNSHostResolver):
            // a UDP socket on an ephemeral port per lookup, TCP only as the fallback (RFC 7766).
            + inetSockets(types: [SOCK_DGRAM.rawValue], reason: "DNS queries to the DNS worker (host names)")
            + outboundRules(reason: "TLS connections to controllers and Boundary workers; DNS to the DNS worker"))

    public static func named(_ name: String) -> SandboxProfile? {
        switch name {
        case dnsWorker.name: return dnsWorker
        case proxyWorker.name: return proxyWorker
        default: return nil
        }
    }

    // MARK: - Building blocks

    static func allow(_ names: [String], reason: String) -> [SyscallRule] {
        names.map { SyscallRule($0, .allow, reason: reason) }
    }

    static func kill(_ names: [String], reason: String) -> [SyscallRule] {
        names.map { SyscallRule($0, .killProcess, reason: reason) }
    }

    static func inetSockets(types: [UInt32], reason: String) -> [SyscallRule] {
        // Compare only the type's low bits: SOCK_NONBLOCK and SOCK_CLOEXEC are or'ed in above them.
        [AF_INET, AF_INET6].flatMap { family in
            types.map { type in
                SyscallRule(
                    "socket", .allow,
                    [
                        ArgumentCheck(0, .equal(UInt64(family))),
                        ArgumentCheck(1, .maskedEqual(mask: 0xf, value: UInt64(type))),
                    ],
                    reason: reason)
            }
        }
    }

    static func outboundRules(reason: String) -> [SyscallRule] {
        allow(["connect"], reason: reason)
            + allow(["bind"], reason: "an ephemeral local port for an outbound socket (random source port, RFC 5452)")
    }

    static let af = (unix: UInt64(AF_UNIX), netlink: UInt64(AF_NETLINK))
    /// From <linux/sched.h> and <linux/prctl.h>, which Glibc does not import.
    static let cloneThread: UInt64 = 0x0001_0000
    static let prSetName: UInt64 = 15
    static let prGetName: UInt64 = 16
    /// NETLINK_SOCK_DIAG, from <linux/netlink.h>.
    static let netlinkSockDiag: UInt64 = 4

    /// Rules both workers share.
    static let common: [SyscallRule] =
        allow(
            ["read", "write", "readv", "writev", "close", "fcntl", "lseek"],
            reason: "I/O on the fds we hold (lseek fails on sockets; libc probes it)")
        + allow(
            [
                "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd2",
                "timerfd_create", "timerfd_settime", "timerfd_gettime", "poll", "ppoll",
            ],
            reason: "NIO's event loop (NIO 2.101 calls epoll_create, not epoll_create1)")
        + allow(
            [
                "recvmsg", "sendmsg", "recvfrom", "sendto", "recvmmsg", "sendmmsg", "accept", "accept4", "listen",
                "shutdown", "getsockname", "getpeername", "setsockopt", "getsockopt",
            ],
            reason: "serving on the passed sockets; NIO calls listen() again on adopted listeners")
        + [
            SyscallRule(
                "socket", .allow,
                [ArgumentCheck(0, .equal(af.netlink)), ArgumentCheck(2, .equal(netlinkSockDiag))],
                reason: "NETLINK_SOCK_DIAG: which uid owns the socket that sent a query or connected"),
            SyscallRule(
                "socket", .killProcess,
                [ArgumentCheck(0, .equal(af.netlink)), ArgumentCheck(2, .notEqual(netlinkSockDiag))],
                reason: "other netlink families reach firewall, audit, xfrm and uevent code"),
            SyscallRule(
                "socket", .errno(EACCES), [ArgumentCheck(0, .equal(af.unix))],
                reason: "syslog(3) and libdispatch probe /dev/log; fail them softly"),
            // Families 0..16 other than the ones above get the EPERM default; 17 (AF_PACKET) and up hold
            // most of the socket-family kernel bugs (AF_PACKET, AF_ALG, AF_VSOCK, AF_TIPC, AF_XDP, ...).
            SyscallRule(
                "socket", .killProcess, [ArgumentCheck(0, .greaterOrEqual(af.netlink + 1))],
                reason: "raw and exotic socket families are an exploit surface, never needed"),
        ]
        + [
            // W^X: nothing maps executable memory once we serve (no dlopen, no JIT after the sandbox).
            SyscallRule(
                "mmap", .allow, [ArgumentCheck(2, .maskedEqual(mask: UInt64(PROT_EXEC), value: 0))],
                reason: "allocation; executable mappings are refused (EPERM)"),
            SyscallRule(
                "mprotect", .allow, [ArgumentCheck(2, .maskedEqual(mask: UInt64(PROT_EXEC), value: 0))],
                reason: "guard pages; making memory executable is refused (EPERM)"),
        ]
        + allow(["munmap", "madvise", "brk", "mremap"], reason: "allocation (malloc, thread stacks)")
        + [
            SyscallRule(
                "clone", .allow,
                [ArgumentCheck(0, .maskedEqual(mask: cloneThread, value: cloneThread))],
                reason: "threads (NIO event loops, our IPC reader and sender)"),
            SyscallRule(
                "clone", .killProcess, [ArgumentCheck(0, .maskedEqual(mask: cloneThread, value: 0))],
                reason: "a new process (fork, posix_spawn) is never ours"),
            // clone3 passes its flags in memory, out of seccomp's reach; ENOSYS makes glibc fall back to
            // clone, which the two rules above check (swift-notes §2: glibc does not fall back on EPERM).
            SyscallRule("clone3", .errno(ENOSYS), reason: "force glibc's clone fallback, whose flags we can check"),
            SyscallRule(
                "tgkill", .allow, [ArgumentCheck(0, .equalOwnPID)], reason: "raise()/abort() on ourselves only"),
            SyscallRule(
                "prctl", .allow, [ArgumentCheck(0, .equal(prSetName))],
                reason: "NIO names its threads; every other prctl (PR_SET_DUMPABLE...) gets EPERM"),
            SyscallRule("prctl", .allow, [ArgumentCheck(0, .equal(prGetName))], reason: "thread names"),
        ]
        + allow(
            [
                "futex", "set_robust_list", "rseq", "gettid", "getpid", "exit", "exit_group", "sched_yield",
                "sched_getaffinity", "restart_syscall", "membarrier",
            ],
            reason: "threads and locks")
        + allow(
            ["rt_sigprocmask", "rt_sigaction", "rt_sigreturn", "sigaltstack"],
            reason: "signal masks of new threads; the SIGSYS logger in -seccomp-log mode")
        + allow(
            ["clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday"],
            reason: "timers and timestamps (vDSO fallbacks)")
        + allow(["getrandom"], reason: "DNS ids and source ports, TLS, SystemRandomNumberGenerator")
        + allow(["getuid", "geteuid", "getgid", "getegid"], reason: "harmless identity reads")
        + [
            SyscallRule("openat", .errno(EACCES), reason: "no file access after the sandbox; fail softly"),
            SyscallRule("open", .errno(EACCES), reason: "no file access after the sandbox; fail softly"),
            SyscallRule("newfstatat", .errno(EACCES), reason: "stdio and tzset probes; fail softly"),
            SyscallRule("statx", .errno(EACCES), reason: "stdio probes; fail softly"),
        ]
        + kill(
            ["execve", "execveat"], reason: "running another program is the first thing an exploit wants")
        + kill(
            ["ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp"],
            reason: "reading or writing another process (the other worker runs as the same uid)")
        + kill(["fork", "vfork"], reason: "a new process is never ours")
        + kill(
            [
                "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setfsuid", "setfsgid",
                "setgroups", "capset",
            ],
            reason: "identity changes: we dropped to the worker user for good")
        + kill(
            [
                "mount", "umount2", "pivot_root", "chroot", "fsopen", "fsmount", "fsconfig", "fspick", "move_mount",
                "open_tree", "mount_setattr",
            ],
            reason: "filesystem namespace changes")
        + kill(["unshare", "setns"], reason: "namespaces (user namespaces open much kernel surface)")
        + kill(["bpf", "perf_event_open", "userfaultfd"], reason: "frequent kernel exploit primitives")
        + kill(["io_uring_setup", "io_uring_enter", "io_uring_register"], reason: "io_uring bypasses seccomp")
        + kill(["keyctl", "add_key", "request_key"], reason: "kernel keyrings")
        + kill(
            [
                "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot", "swapon",
                "swapoff", "iopl", "ioperm", "open_by_handle_at",
            ],
            reason: "root-only administration; a worker trying it is compromised")
}
