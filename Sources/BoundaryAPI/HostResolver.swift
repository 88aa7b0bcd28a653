import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// Turns a host name into socket addresses. Injected so the sandboxed broker can resolve names
/// its own way (NIO's `GetaddrinfoResolver` uses Dispatch, which must not run after the sandbox
/// is up). IP literals never reach a resolver: `HTTPClient` and the data plane parse them.
public protocol HostResolver: Sendable {
    /// The addresses of `host` (a DNS name, never an IP literal), each with `port` set, in the
    /// order to try them. An empty list or a failed future means the name does not resolve.
    func resolve(host: String, port: Int, on eventLoop: any EventLoop) -> EventLoopFuture<[SocketAddress]>
}

/// `getaddrinfo(3)` on a plain NIO thread pool (no Dispatch). For callers that are not sandboxed:
/// the CLI, tests, the dev controller.
public struct GetaddrinfoHostResolver: HostResolver {
    private let threadPool: NIOThreadPool

    public init(threadPool: NIOThreadPool = .singleton) {
        self.threadPool = threadPool
    }

    public func resolve(host: String, port: Int, on eventLoop: any EventLoop) -> EventLoopFuture<[SocketAddress]> {
        threadPool.runIfActive(eventLoop: eventLoop) {
            try GetaddrinfoHostResolver.lookup(host: host, port: port)
        }
    }

    /// Blocking lookup: IPv6 and IPv4 addresses in the order getaddrinfo ranks them (RFC 6724),
    /// duplicates removed.
    public static func lookup(host: String, port: Int) throws -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        // No AI_ADDRCONFIG: inside a namespace with only `lo` it would hide `localhost`.
        var result: UnsafeMutablePointer<addrinfo>? = nil
        let rc = getaddrinfo(host, nil, &hints, &result)
        guard rc == 0 else {
            let reason = String(cString: gai_strerror(rc))
            throw ControllerError.resolutionFailed(host: host, reason: reason)
        }
        defer { freeaddrinfo(result) }
        var addresses: [SocketAddress] = []
        var cursor = result
        while let info = cursor {
            defer { cursor = info.pointee.ai_next }
            guard let sa = info.pointee.ai_addr else { continue }
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
            switch Int32(sa.pointee.sa_family) {
            case AF_INET:
                var a = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                guard inet_ntop(AF_INET, &a, &text, socklen_t(text.count)) != nil else { continue }
            case AF_INET6:
                var a = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                guard inet_ntop(AF_INET6, &a, &text, socklen_t(text.count)) != nil else { continue }
            default:
                continue
            }
            let ip = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let address = try? SocketAddress(ipAddress: ip, port: port), !addresses.contains(address) {
                addresses.append(address)
            }
        }
        guard !addresses.isEmpty else {
            throw ControllerError.resolutionFailed(host: host, reason: "no IPv4 or IPv6 address")
        }
        return addresses
    }
}

/// A resolver for tests and fixed setups: a table of names to addresses.
public struct StaticHostResolver: HostResolver {
    public let table: [String: [String]]

    /// `table` maps a lower-case host name to IP address strings.
    public init(_ table: [String: [String]]) {
        self.table = table
    }

    public func resolve(host: String, port: Int, on eventLoop: any EventLoop) -> EventLoopFuture<[SocketAddress]> {
        guard let ips = table[host.lowercased()], !ips.isEmpty else {
            return eventLoop.makeFailedFuture(ControllerError.resolutionFailed(host: host, reason: "unknown host"))
        }
        do {
            return eventLoop.makeSucceededFuture(try ips.map { try SocketAddress(ipAddress: $0, port: port) })
        } catch {
            return eventLoop.makeFailedFuture(ControllerError.resolutionFailed(host: host, reason: "\(error)"))
        }
    }
}
