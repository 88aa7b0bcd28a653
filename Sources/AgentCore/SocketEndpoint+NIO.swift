import CPrivSep
import NIOCore
import PrivSep

#if canImport(Glibc)
    import Glibc
#endif

extension SocketEndpoint {
    /// From a NIO address; nil for unix-domain addresses.
    public init?(_ address: SocketAddress) {
        switch address {
        case .v4(let a):
            var sin = a.address
            guard let e = withUnsafeBytes(of: &sin, { SocketEndpoint(sockaddr: $0.baseAddress!) }) else { return nil }
            self = e
        case .v6(let a):
            var sin6 = a.address
            guard let e = withUnsafeBytes(of: &sin6, { SocketEndpoint(sockaddr: $0.baseAddress!) }) else { return nil }
            self = e
        case .unixDomainSocket:
            return nil
        }
    }

    /// As a NIO address (for `ClientBootstrap.connect(to:)`).
    public var socketAddress: SocketAddress {
        withSockAddr { addr, _ in
            switch family {
            case .inet:
                return SocketAddress(addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }, host: "")
            case .inet6:
                return SocketAddress(
                    addr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee }, host: "")
            }
        }
    }
}

/// Who is behind a NIO channel, from the kernel. Call on the channel's event loop; each is one or
/// two syscalls (sock_diag is a netlink round trip), so once per connection or query, not per read.
public enum ChannelPeer {
    /// SO_PEERCRED of an accepted unix-domain channel (the local API's socket).
    public static func credentials(_ channel: Channel) -> EventLoopFuture<PeerCredentials> {
        guard let provider = channel as? SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(PrivSepError.syscall("SO_PEERCRED", ENOTSOCK))
        }
        return provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)
        ).map { (c: cps_ucred) in PeerCredentials(pid: c.pid, uid: c.uid, gid: c.gid) }
    }

    /// The destination a redirected TCP connection was originally sent to (SO_ORIGINAL_DST, or
    /// IP6T_SO_ORIGINAL_DST at IPPROTO_IPV6; both option number 80).
    public static func originalDestination(_ channel: Channel) -> EventLoopFuture<SocketEndpoint> {
        guard let provider = channel as? SocketOptionProvider, let local = channel.localAddress else {
            return channel.eventLoop.makeFailedFuture(PrivSepError.syscall("SO_ORIGINAL_DST", ENOTSOCK))
        }
        let option = SocketOptionName(80)
        switch local {
        case .v4:
            return provider.unsafeGetSocketOption(level: SocketOptionLevel(IPPROTO_IP), name: option).flatMapThrowing {
                (sin: sockaddr_in) in
                var s = sin
                guard let e = withUnsafeBytes(of: &s, { SocketEndpoint(sockaddr: $0.baseAddress!) }) else {
                    throw PrivSepError.syscall("SO_ORIGINAL_DST", EAFNOSUPPORT)
                }
                return e
            }
        case .v6:
            return provider.unsafeGetSocketOption(level: SocketOptionLevel(IPPROTO_IPV6), name: option)
                .flatMapThrowing { (sin6: sockaddr_in6) in
                    var s = sin6
                    guard let e = withUnsafeBytes(of: &s, { SocketEndpoint(sockaddr: $0.baseAddress!) }) else {
                        throw PrivSepError.syscall("IP6T_SO_ORIGINAL_DST", EAFNOSUPPORT)
                    }
                    return e
                }
        case .unixDomainSocket:
            return channel.eventLoop.makeFailedFuture(PrivSepError.syscall("SO_ORIGINAL_DST", EAFNOSUPPORT))
        }
    }
}
