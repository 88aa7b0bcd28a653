import CPrivSep
import CSeccomp
import Glibc
import PrivSep

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
        case "large-blocks": result = largeBlocksMapped()
        default: fail("unknown action \(action)")
        }
        return (result, errno)
    }

    /// `Posix.mapLargeBlocksSeparately` as a worker uses it, in a fresh process under the worker's
    /// filter: after a freed big block has raised glibc's dynamic threshold, how many of two blocks at
    /// and over `separateMappingThreshold` are mappings of their own (2 expected), or -1 when a small
    /// block is one too or glibc refused the setting. (glibc marks a mapped chunk with IS_MMAPPED, bit 1
    /// of the size word just before the block. In a long-lived process such as the unit tests a big
    /// free chunk may already sit in the heap and serve the request, so this is checked here.)
    static func largeBlocksMapped() -> Int {
        func isMapped(_ block: UnsafeMutableRawPointer) -> Bool {
            (block - MemoryLayout<UInt>.size).load(as: UInt.self) & 2 != 0
        }
        let raise = UnsafeMutableRawPointer.allocate(byteCount: 4 << 20, alignment: 16)
        raise.deallocate()
        guard Posix.mapLargeBlocksSeparately() else { return -1 }
        let small = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 16)
        defer { small.deallocate() }
        guard !isMapped(small) else { return -1 }
        var mapped = 0
        for size in [Posix.separateMappingThreshold, Posix.separateMappingThreshold * 3] {
            let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
            if isMapped(block) { mapped += 1 }
            block.deallocate()
        }
        return mapped
    }
}
