#if canImport(Glibc)
    import Glibc
#endif

/// A small blocking HTTP/1.1 client for the local API: one connection per request
/// (`Connection: close`), over the unix socket or TCP to 127.0.0.1, with a deadline for the whole
/// exchange and a cap on the response. Plain Glibc sockets (a CLI does one request at a time); no
/// Foundation, no NIO.
public struct LocalHTTPClient: Sendable {
    /// Sessions with brokered credentials (keys, certificates) can be large; the agent's answers are
    /// far below this.
    public static let defaultMaximumResponseBytes = 4 << 20
    public static let defaultTimeoutSeconds = 15

    public var endpoint: AgentEndpoint
    public var timeoutSeconds: Int
    public var maximumResponseBytes: Int
    public var userAgent: String

    public init(
        endpoint: AgentEndpoint, timeoutSeconds: Int = defaultTimeoutSeconds,
        maximumResponseBytes: Int = defaultMaximumResponseBytes, userAgent: String
    ) {
        self.endpoint = endpoint
        self.timeoutSeconds = timeoutSeconds
        self.maximumResponseBytes = maximumResponseBytes
        self.userAgent = userAgent
    }

    /// The request as sent. `Host: localhost`: the agent refuses non-loopback names on TCP (DNS
    /// rebinding); no `Origin`: the agent refuses browsers.
    public func requestBytes(method: String, target: String, body: [UInt8]?) -> [UInt8] {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\nUser-Agent: \(userAgent)\r\n"
        head += "Accept: application/json\r\nConnection: close\r\n"
        if let body {
            head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        } else if method == "POST" || method == "PUT" {
            head += "Content-Length: 0\r\n"
        }
        head += "\r\n"
        return Array(head.utf8) + (body ?? [])
    }

    public func send(method: String, target: String, body: [UInt8]? = nil) throws -> LocalHTTPResponse {
        let deadline = Deadline(seconds: timeoutSeconds)
        let fd = try connect(deadline: deadline)
        defer { close(fd) }
        try writeAll(fd, requestBytes(method: method, target: target, body: body), deadline: deadline)
        var parser = HTTPResponseParser(maximumBodyBytes: maximumResponseBytes)
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            try wait(fd, events: Int16(POLLIN), deadline: deadline)
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw CLIError.io("read: \(Self.errnoText(errno))")
            }
            if n == 0 {
                guard let response = try parser.response(atEOF: true) else {
                    throw CLIError.malformedResponse("the response is incomplete")
                }
                return response
            }
            try parser.append(buffer[0..<n])
            if let response = try parser.response(atEOF: false) { return response }
        }
    }

    // MARK: - Sockets

    func connect(deadline: Deadline) throws -> CInt {
        let flags = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        let fd: CInt
        let rc: CInt
        switch endpoint {
        case .unix(let path):
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let capacity = MemoryLayout.size(ofValue: address.sun_path)
            guard path.utf8.count < capacity else {
                throw CLIError.usage("socket path \(path) is longer than \(capacity - 1) bytes")
            }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
            }
            fd = socket(AF_UNIX, flags, 0)
            guard fd >= 0 else { throw CLIError.io("socket: \(Self.errnoText(errno))") }
            rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
        case .tcp(let port):
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
            fd = socket(AF_INET, flags, 0)
            guard fd >= 0 else { throw CLIError.io("socket: \(Self.errnoText(errno))") }
            rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        if rc == 0 { return fd }
        var error = errno
        if error == EINPROGRESS || error == EINTR {
            do {
                try wait(fd, events: Int16(POLLOUT), deadline: deadline)
            } catch {
                close(fd)
                throw error
            }
            var soError: CInt = 0
            var length = socklen_t(MemoryLayout<CInt>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length) == 0 else {
                let e = errno
                close(fd)
                throw CLIError.io("getsockopt: \(Self.errnoText(e))")
            }
            if soError == 0 { return fd }
            error = soError
        }
        close(fd)
        switch error {
        case ENOENT, ECONNREFUSED:
            throw CLIError.notListening(endpoint)
        case EAGAIN:
            // A unix socket whose backlog is full.
            throw CLIError.connectFailed(endpoint, "the agent is too busy to accept the connection; try again")
        case EACCES, EPERM:
            throw CLIError.connectFailed(endpoint, "permission denied")
        default:
            throw CLIError.connectFailed(endpoint, Self.errnoText(error))
        }
    }

    func writeAll(_ fd: CInt, _ bytes: [UInt8], deadline: Deadline) throws {
        var offset = 0
        while offset < bytes.count {
            try wait(fd, events: Int16(POLLOUT), deadline: deadline)
            // MSG_NOSIGNAL: an agent that closes early gives EPIPE, not a SIGPIPE that kills us.
            let n = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw CLIError.io("send: \(Self.errnoText(errno))")
            }
            offset += n
        }
    }

    /// Waits until `fd` is ready for `events` or the deadline passes.
    func wait(_ fd: CInt, events: Int16, deadline: Deadline) throws {
        while true {
            let remaining = deadline.remainingMilliseconds
            guard remaining > 0 else { throw CLIError.timeout(endpoint, seconds: timeoutSeconds) }
            var pfd = pollfd(fd: fd, events: events, revents: 0)
            let rc = poll(&pfd, 1, Int32(clamping: remaining))
            if rc > 0 { return }  // Ready, or an error/hang-up the next call reports.
            if rc == 0 { throw CLIError.timeout(endpoint, seconds: timeoutSeconds) }
            if errno != EINTR { throw CLIError.io("poll: \(Self.errnoText(errno))") }
        }
    }

    static func errnoText(_ code: CInt) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}

/// A point on the monotonic clock.
struct Deadline {
    let nanoseconds: Int64

    init(seconds: Int) {
        nanoseconds = Deadline.now() + Int64(seconds) * 1_000_000_000
    }

    var remainingMilliseconds: Int64 { (nanoseconds - Deadline.now()) / 1_000_000 }

    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
