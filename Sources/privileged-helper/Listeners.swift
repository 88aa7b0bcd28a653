import AgentIPC
import Glibc
import PrivSep

/// The sockets the helper binds as root and hands to the workers. It keeps its copies for the
/// life of the run, so a restarted worker gets the very same sockets (no port ever unbound).
struct Listeners {
    var dns: [DNSListener: Int32] = [:]
    var proxy: [ProxyListener: Int32] = [:]
    var proxyPort4: UInt16 = 0
    var proxyPort6: UInt16 = 0

    static let backlog: Int32 = 128
    /// The transparent proxy's listeners: every connection to an alias arrives here at once when a
    /// user starts many (parallel ssh, a connection pool), and a full queue drops the client's final
    /// ACK: a connection that looks open and is never served. The kernel caps it at
    /// net.core.somaxconn (4096 by default).
    static let proxyBacklog: Int32 = 4096

    /// UDP and TCP port 53 on both DNS listen addresses.
    mutating func bindDNS(v4: SocketEndpoint, v6: SocketEndpoint) throws {
        dns[.udp4] = try Listeners.udp(v4)
        dns[.tcp4] = try Listeners.tcp(v4)
        dns[.udp6] = try Listeners.udp(v6)
        dns[.tcp6] = try Listeners.tcp(v6)
    }

    /// The transparent proxy's listeners on 127.0.0.1 and ::1, on ports the kernel picks (the
    /// nftables rule redirects to whatever they are).
    mutating func bindProxy() throws {
        let p4 = try Listeners.tcp(SocketEndpoint(ipv4: 0x7F00_0001, port: 0), backlog: Listeners.proxyBacklog)
        proxy[.proxy4] = p4
        proxyPort4 = try Posix.localEndpoint(p4).port
        let p6 = try Listeners.tcp(SocketEndpoint(ipv6High: 0, low: 1, port: 0), backlog: Listeners.proxyBacklog)
        proxy[.proxy6] = p6
        proxyPort6 = try Posix.localEndpoint(p6).port
    }

    /// The local API: the unix socket (mode 0666: every user may talk to the agent; the broker
    /// tells them apart by SO_PEERCRED) and 127.0.0.1:`port` unless it is 0.
    mutating func bindAPI(socketPath: String, port: UInt16) throws {
        try Posix.makeDirectory(RuntimePaths.directory(of: socketPath), mode: 0o755)
        if let st = try Posix.lstat(socketPath) {
            guard st.st_mode & S_IFMT == S_IFSOCK else {
                throw HelperError.setup("\(socketPath) exists and is not a socket")
            }
            try Posix.unlink(socketPath)  // left by a crashed run
        }
        let fd = try Posix.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue))
        proxy[.apiUnix] = fd
        try Posix.bind(fd, unixPath: socketPath)
        try Posix.chmod(socketPath, 0o666)
        try Posix.listen(fd, backlog: Listeners.backlog)
        if port != 0 { proxy[.apiTCP] = try Listeners.tcp(SocketEndpoint(ipv4: 0x7F00_0001, port: port)) }
    }

    func closeAll() {
        for fd in dns.values { Posix.closeQuietly(fd) }
        for fd in proxy.values { Posix.closeQuietly(fd) }
    }

    static func udp(_ endpoint: SocketEndpoint) throws -> Int32 {
        let fd = try Posix.socket(family(endpoint), Int32(SOCK_DGRAM.rawValue))
        do {
            if endpoint.family == .inet6 { try Posix.setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1) }
            try Posix.bind(fd, endpoint)
            return fd
        } catch {
            Posix.closeQuietly(fd)
            throw error
        }
    }

    static func tcp(_ endpoint: SocketEndpoint, backlog: Int32 = Listeners.backlog) throws -> Int32 {
        let fd = try Posix.socket(family(endpoint), Int32(SOCK_STREAM.rawValue))
        do {
            try Posix.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            if endpoint.family == .inet6 { try Posix.setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1) }
            try Posix.bind(fd, endpoint)
            try Posix.listen(fd, backlog: backlog)
            return fd
        } catch {
            Posix.closeQuietly(fd)
            throw error
        }
    }

    static func family(_ e: SocketEndpoint) -> Int32 { e.family == .inet ? AF_INET : AF_INET6 }
}
