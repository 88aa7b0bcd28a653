import NIOCore
import PrivSep

#if canImport(Glibc)
    import Glibc
#endif

/// Finds which OS user owns a TCP socket on this host (NETLINK_SOCK_DIAG, `PrivSep.socketOwner`).
/// The broker never takes a uid from a request: it asks the kernel with this.
public protocol SocketOwnerLookup: Sendable {
    /// The uid of the TCP socket whose local end is `client` and whose peer is `server` (the
    /// client's own view of the connection). nil when no full socket matches: none at all (gone, or
    /// in another network namespace), or a TIME_WAIT/request mini-socket, which the kernel reports
    /// with uid 0 and inode 0 and must never count as root.
    func tcpOwnerUID(client: SocketAddress, server: SocketAddress) throws -> UInt32?
}

/// Kernel facts about an accepted socket read through NIO's socket option access (no raw fd).
public enum SocketFacts {
    /// `struct ucred` (glibc declares it only under _GNU_SOURCE, so Swift does not see it): three
    /// 32-bit fields, the layout SO_PEERCRED fills.
    struct PeerCred {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// linux/netfilter_ipv4.h SO_ORIGINAL_DST (level SOL_IP) and linux/netfilter_ipv6/ip6_tables.h
    /// IP6T_SO_ORIGINAL_DST (level SOL_IPV6): both 80.
    static let soOriginalDst: Int32 = 80

    /// The uid of the process that connected to an AF_UNIX listener (SO_PEERCRED).
    public static func peerUID(of channel: Channel) -> EventLoopFuture<UInt32> {
        guard let provider = channel as? SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(BrokerError.identification("not a socket channel"))
        }
        let future: EventLoopFuture<PeerCred> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        return future.map(\.uid)
    }

    /// Where the client meant to connect before the nftables `redirect` sent it to our listener.
    public static func originalDestination(of channel: Channel) -> EventLoopFuture<SocketAddress> {
        guard let provider = channel as? SocketOptionProvider, let local = channel.localAddress else {
            return channel.eventLoop.makeFailedFuture(BrokerError.identification("not a connected socket channel"))
        }
        switch local {
        case .v4:
            let future: EventLoopFuture<sockaddr_in> = provider.unsafeGetSocketOption(
                level: SocketOptionLevel(IPPROTO_IP), name: SocketOptionName(soOriginalDst))
            return future.map { SocketAddress($0, host: "") }
        case .v6:
            let future: EventLoopFuture<sockaddr_in6> = provider.unsafeGetSocketOption(
                level: SocketOptionLevel(IPPROTO_IPV6), name: SocketOptionName(soOriginalDst))
            return future.map { SocketAddress($0, host: "") }
        case .unixDomainSocket:
            return channel.eventLoop.makeFailedFuture(BrokerError.identification("a unix socket has no destination"))
        }
    }
}

/// `SocketOwnerLookup` by NETLINK_SOCK_DIAG (`PrivSep.socketOwner`): an exact lookup in our own
/// network namespace, so a client in another namespace is never found.
public struct KernelSocketOwners: SocketOwnerLookup {
    public init() {}

    public func tcpOwnerUID(client: SocketAddress, server: SocketAddress) throws -> UInt32? {
        guard let client = SocketFacts.endpoint(client), let server = SocketFacts.endpoint(server) else { return nil }
        guard let owner = try socketOwner(.tcp, client: client, server: server) else { return nil }
        // TIME_WAIT and request sockets are reported with uid 0 and inode 0: not a user's socket.
        guard owner.inode != 0 else { return nil }
        return owner.uid
    }
}

extension SocketFacts {
    /// NIO's address as PrivSep's endpoint (no allocation on the way).
    static func endpoint(_ address: SocketAddress) -> SocketEndpoint? {
        switch address {
        case .v4(let a):
            return SocketEndpoint(
                ipv4: UInt32(bigEndian: a.address.sin_addr.s_addr), port: UInt16(bigEndian: a.address.sin_port))
        case .v6(let a):
            let words = withUnsafeBytes(of: a.address.sin6_addr) { raw in
                (
                    raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                    raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
                )
            }
            return SocketEndpoint(
                ipv6High: UInt64(bigEndian: words.0), low: UInt64(bigEndian: words.1),
                port: UInt16(bigEndian: a.address.sin6_port))
        case .unixDomainSocket:
            return nil
        }
    }
}
