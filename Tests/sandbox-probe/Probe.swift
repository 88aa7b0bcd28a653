import CPrivSep
import CSeccomp
import Glibc

/// The probe's calls, outside main.swift so they are not main-actor isolated (they run on an event
/// loop thread).
enum Probe {
    static func fail(_ text: String) -> Never {
        _ = text.withCString { write(2, $0, strlen($0)) }
        _ = write(2, "\n", 1)
        exit(2)
    }

    static func nr(_ name: String) -> Int {
        let n = seccomp_syscall_resolve_name(name)
        guard n >= 0 else { fail("no syscall \(name) here") }
        return Int(n)
    }

    /// The forbidden (or soft-denied) calls, made with raw syscall numbers so no libc wrapper can hide them.
    static func perform(_ action: String) -> (Int, Int32) {
        func raw(_ name: String, _ a: [Int] = []) -> Int {
            let v = a + [Int](repeating: 0, count: 6 - a.count)
            return cps_syscall6(nr(name), v[0], v[1], v[2], v[3], v[4], v[5])
        }
        var result: Int
        switch action {
        case "serve": return (0, 0)
        case "execve":
            let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
            result = Int(execve("/bin/true", argv, nil))
        case "ptrace": result = raw("ptrace", [0])  // PTRACE_TRACEME
        case "setuid": result = Int(setuid(0))
        case "fork": result = raw("fork")
        case "clone-process": result = raw("clone", [Int(SIGCHLD)])  // a new process, not a thread
        case "unshare": result = raw("unshare", [0x1000_0000])  // CLONE_NEWUSER
        case "mount": result = raw("mount", [0, 0, 0, 0, 0])
        case "bpf": result = raw("bpf", [0, 0, 0])
        case "io_uring": result = raw("io_uring_setup", [1, 0])
        case "process_vm_readv": result = raw("process_vm_readv", [1, 0, 0, 0, 0, 0])
        case "keyctl": result = raw("keyctl", [0])
        case "socket-packet": result = Int(socket(17, Int32(SOCK_RAW.rawValue), 0))  // AF_PACKET
        case "socket-netlink-route": result = Int(socket(AF_NETLINK, Int32(SOCK_RAW.rawValue), 0))  // NETLINK_ROUTE
        // Soft denials: the call fails, the process lives.
        case "openat": result = Int(open("/etc/passwd", O_RDONLY))
        case "socket-udp": result = Int(socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0))
        case "socket-unix": result = Int(socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0))
        case "mprotect-exec":
            let page = mmap(nil, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            result = Int(mprotect(page, 4096, PROT_READ | PROT_EXEC))
        case "kill-other": result = Int(kill(1, 0))
        case "getppid": result = Int(getppid())  // not on the list: the EPERM default
        default: fail("unknown action \(action)")
        }
        return (result, errno)
    }
}
