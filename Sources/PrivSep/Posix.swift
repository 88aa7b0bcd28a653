import CPrivSep

#if canImport(Glibc)
    import Glibc
#endif

/// Thin syscall wrappers (STYLE.md rule 8): each retries EINTR and throws `PrivSepError.syscall`
/// naming the call and the errno. Modelled on SwiftNIO's `Posix` in System.swift.
public enum Posix {
    /// Runs `body` until it returns something other than -1/EINTR; throws on -1 with another errno.
    @inline(__always)
    @discardableResult
    public static func call<T: FixedWidthInteger>(_ name: String, _ body: () -> T) throws -> T {
        while true {
            let result = body()
            if result == -1 {
                let err = Glibc.errno
                if err == EINTR { continue }
                throw PrivSepError.syscall(name, err)
            }
            return result
        }
    }

    /// Returns the heap's free pages to the kernel (glibc `malloc_trim`). A large alias view or listing
    /// frees many small blocks at once; without this the pages they sat on stay resident.
    public static func releaseFreeMemory() {
        _ = cps_malloc_trim()
    }

    /// Blocks of at least this size get a mapping of their own (`mapLargeBlocksSeparately`).
    public static let separateMappingThreshold = 256 * 1024

    /// Gives every block of `separateMappingThreshold` bytes or more its own mapping (glibc's
    /// `M_MMAP_THRESHOLD`), so it goes back to the kernel the moment it is freed. By default glibc raises
    /// that threshold to 32 MiB once a big block is freed, and then the alias tables of 10 users x
    /// 100,000 aliases, regrown batch by batch among the listings' temporary pages, sat in the heap
    /// arenas, where `malloc_trim` could not give back the pieces in between: the broker held ~20 MB,
    /// the DNS worker ~4 MB more than it used (issue 8, the scale benchmark).
    /// False when glibc refused (the workers then only keep more memory than they use).
    @discardableResult
    public static func mapLargeBlocksSeparately() -> Bool {
        cps_malloc_mmap_threshold(Int32(separateMappingThreshold)) == 1
    }

    /// close(2). EINTR is not retried: on Linux the fd is gone either way.
    public static func close(_ fd: Int32) throws {
        if Glibc.close(fd) == -1 && Glibc.errno != EINTR {
            throw PrivSepError.syscall("close", Glibc.errno)
        }
    }

    /// Closes `fd` and ignores errors (cleanup paths).
    public static func closeQuietly(_ fd: Int32) {
        if fd >= 0 { _ = Glibc.close(fd) }
    }

    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0) throws -> Int32 {
        try call("open \(path)") { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    /// Reads up to `count` bytes; an empty array means end of file.
    public static func read(_ fd: Int32, count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let n = try buffer.withUnsafeMutableBytes { raw in
            try call("read") { Glibc.read(fd, raw.baseAddress, raw.count) }
        }
        buffer.removeLast(count - n)
        return buffer
    }

    /// Reads a whole file, refusing one longer than `limit` bytes.
    public static func readFile(_ path: String, limit: Int) throws -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { closeQuietly(fd) }
        var out: [UInt8] = []
        while true {
            let chunk = try read(fd, count: 16384)
            if chunk.isEmpty { return out }
            out += chunk
            if out.count > limit { throw PrivSepError.truncatedMessage(length: out.count, limit: limit) }
        }
    }

    /// Writes all of `bytes` (looping over short writes).
    public static func write(_ fd: Int32, _ bytes: some Collection<UInt8>) throws {
        var bytes = Array(bytes)
        var done = 0
        try bytes.withUnsafeMutableBytes { raw in
            while done < raw.count {
                done += try call("write") { Glibc.write(fd, raw.baseAddress! + done, raw.count - done) }
            }
        }
    }

    public static func socket(_ domain: Int32, _ type: Int32, _ proto: Int32 = 0) throws -> Int32 {
        try call("socket") { Glibc.socket(domain, type | Int32(SOCK_CLOEXEC.rawValue), proto) }
    }

    /// socketpair(2), close-on-exec on both ends.
    public static func socketpair(_ domain: Int32, _ type: Int32) throws -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        try call("socketpair") { Glibc.socketpair(domain, type | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) }
        return (fds[0], fds[1])
    }

    public static func bind(_ fd: Int32, _ endpoint: SocketEndpoint) throws {
        _ = try endpoint.withSockAddr { addr, len in
            try call("bind \(endpoint)") { Glibc.bind(fd, addr, len) }
        }
    }

    /// Binds an AF_UNIX socket to `path` (at most 107 bytes).
    public static func bind(_ fd: Int32, unixPath path: String) throws {
        var sun = sockaddr_un()
        sun.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: sun.sun_path) else {
            throw PrivSepError.syscall("bind \(path)", ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &sun.sun_path) { $0.copyBytes(from: bytes) }
        _ = try withUnsafePointer(to: &sun) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { addr in
                try call("bind \(path)") { Glibc.bind(fd, addr, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }
    }

    public static func connect(_ fd: Int32, _ endpoint: SocketEndpoint) throws {
        _ = try endpoint.withSockAddr { addr, len in
            try call("connect \(endpoint)") { Glibc.connect(fd, addr, len) }
        }
    }

    public static func listen(_ fd: Int32, backlog: Int32) throws {
        try call("listen") { Glibc.listen(fd, backlog) }
    }

    public static func setsockopt(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) throws {
        var v = value
        try call("setsockopt") { Glibc.setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size)) }
    }

    public static func getsockoptInt(_ fd: Int32, _ level: Int32, _ name: Int32) throws -> Int32 {
        var v: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        try call("getsockopt") { Glibc.getsockopt(fd, level, name, &v, &len) }
        return v
    }

    /// getsockname(2) as an endpoint (AF_INET/AF_INET6 sockets only).
    public static func localEndpoint(_ fd: Int32) throws -> SocketEndpoint {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { addr in
                try call("getsockname") { Glibc.getsockname(fd, addr, &len) }
            }
        }
        guard let endpoint = withUnsafeBytes(of: &storage, { SocketEndpoint(sockaddr: $0.baseAddress!) }) else {
            throw PrivSepError.syscall("getsockname", EAFNOSUPPORT)
        }
        return endpoint
    }

    /// getpeername(2) as an endpoint (AF_INET/AF_INET6 sockets only).
    public static func remoteEndpoint(_ fd: Int32) throws -> SocketEndpoint {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { addr in
                try call("getpeername") { Glibc.getpeername(fd, addr, &len) }
            }
        }
        guard let endpoint = withUnsafeBytes(of: &storage, { SocketEndpoint(sockaddr: $0.baseAddress!) }) else {
            throw PrivSepError.syscall("getpeername", EAFNOSUPPORT)
        }
        return endpoint
    }

    /// Sets or clears O_NONBLOCK.
    public static func setNonBlocking(_ fd: Int32, _ on: Bool) throws {
        let flags = try call("fcntl F_GETFL") { fcntl(fd, F_GETFL) }
        let wanted = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
        if wanted != flags { try call("fcntl F_SETFL") { fcntl(fd, F_SETFL, wanted) } }
    }

    /// dup(2) with close-on-exec, above `minimum`.
    public static func duplicate(_ fd: Int32, minimum: Int32 = 0) throws -> Int32 {
        try call("fcntl F_DUPFD_CLOEXEC") { fcntl(fd, F_DUPFD_CLOEXEC, minimum) }
    }

    public static func rename(_ from: String, _ to: String) throws {
        try call("rename \(from) -> \(to)") { Glibc.rename(from, to) }
    }

    public static func unlink(_ path: String) throws {
        try call("unlink \(path)") { Glibc.unlink(path) }
    }

    /// unlink(2), where a missing file is not an error.
    public static func unlinkIfPresent(_ path: String) throws {
        if Glibc.unlink(path) == -1 && Glibc.errno != ENOENT {
            throw PrivSepError.syscall("unlink \(path)", Glibc.errno)
        }
    }

    public static func fsync(_ fd: Int32) throws {
        try call("fsync") { Glibc.fsync(fd) }
    }

    /// mkdir(2), where an existing directory is not an error.
    public static func makeDirectory(_ path: String, mode: mode_t) throws {
        if Glibc.mkdir(path, mode) == -1 && Glibc.errno != EEXIST {
            throw PrivSepError.syscall("mkdir \(path)", Glibc.errno)
        }
    }

    public static func chmod(_ path: String, _ mode: mode_t) throws {
        try call("chmod \(path)") { Glibc.chmod(path, mode) }
    }

    public static func symlink(target: String, at path: String) throws {
        try call("symlink \(path)") { Glibc.symlink(target, path) }
    }

    /// The target of the symlink at `path`; nil when `path` is not a symlink.
    public static func readlink(_ path: String) throws -> String? {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = buffer.withUnsafeMutableBytes { Glibc.readlink(path, $0.baseAddress!, $0.count) }
        if n == -1 {
            if Glibc.errno == EINVAL || Glibc.errno == ENOENT { return nil }
            throw PrivSepError.syscall("readlink \(path)", Glibc.errno)
        }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }

    /// lstat(2); nil when the path does not exist.
    public static func lstat(_ path: String) throws -> stat? {
        var st = stat()
        if Glibc.lstat(path, &st) == -1 {
            if Glibc.errno == ENOENT { return nil }
            throw PrivSepError.syscall("lstat \(path)", Glibc.errno)
        }
        return st
    }

    /// The mount id of `path` (statx STATX_MNT_ID), not following a final symlink.
    public static func mountID(_ path: String) throws -> UInt64 {
        var id: UInt64 = 0
        try call("statx \(path)") { cps_mount_id(path, 1, &id) }
        return id
    }

    public static func kill(_ pid: pid_t, _ signal: Int32) throws {
        try call("kill") { Glibc.kill(pid, signal) }
    }

    /// waitpid(pid, WNOHANG): nil when no child changed state, else the pid and raw status.
    public static func reap(_ pid: pid_t = -1) throws -> (pid: pid_t, status: Int32)? {
        var status: Int32 = 0
        let r = try call("waitpid") { waitpid(pid, &status, WNOHANG) }
        return r == 0 ? nil : (r, status)
    }

    /// poll(2) over `fds` for at most `timeoutMilliseconds` (-1: forever); returns the ready count.
    public static func poll(_ fds: inout [pollfd], timeoutMilliseconds: Int32) throws -> Int {
        let n = try fds.withUnsafeMutableBufferPointer { buf in
            try call("poll") { Glibc.poll(buf.baseAddress, nfds_t(buf.count), timeoutMilliseconds) }
        }
        return Int(n)
    }

    /// A signalfd for `signals`, which are blocked in the calling thread first.
    public static func signalFD(_ signals: [Int32]) throws -> Int32 {
        try call("signalfd") { cps_signalfd(signals, Int32(signals.count)) }
    }

    /// One pending signal from a signalfd (nil when none), with the sender's pid.
    public static func readSignal(_ fd: Int32) throws -> (signal: Int32, pid: pid_t)? {
        var pid: Int32 = 0
        let signal = try call("read signalfd") { cps_signalfd_read(fd, &pid) }
        return signal == 0 ? nil : (signal, pid)
    }

    /// Seconds on CLOCK_MONOTONIC (timers, backoff).
    public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
