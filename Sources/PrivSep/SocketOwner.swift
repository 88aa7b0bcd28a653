import CPrivSep

#if canImport(Glibc)
    import Glibc
#endif

/// The local socket that owns one end of a connection or datagram exchange, as NETLINK_SOCK_DIAG
/// reports it.
public struct SocketOwner: Sendable, Equatable {
    /// The uid that created the socket (`inet_diag_msg.idiag_uid`).
    public var uid: UInt32
    /// The socket's inode, unique while it lives.
    public var inode: UInt32
}

public enum TransportProtocol: Sendable {
    case tcp
    case udp
}

/// Finds the local socket whose local end is `client` and whose peer is `server`: the *client's*
/// socket, seen from the client. Callers pass what they observed:
///
/// - the proxy: `client` = the accepted channel's remote address, `server` = `originalDestination`
///   (after the redirect our local address is the listener's, which matches nothing);
/// - the DNS server: `client` = the query's source, `server` = the address:53 it was sent to;
/// - the local API on TCP: `client` = remote, `server` = local.
///
/// The kernel's exact lookups read the request id differently per protocol, verified on 6.18 by
/// `SocketOwnerTests` and `t_helper_sockdiag`:
/// - TCP (`inet_diag_find_one_icsk`) calls `inet_lookup(dst, dport, src, sport)`, i.e. it looks for a
///   socket whose *local* end is `idiag_src`: pass src = client, dst = server.
/// - UDP (`udp_dump_one`, "src and dst are swapped for historical reasons") calls
///   `__udp4_lib_lookup(src, sport, dst, dport)`, the lookup for a packet *arriving from* `idiag_src`:
///   pass src = server, dst = client. An unconnected client socket matches by its bound port alone.
///
/// Returns nil when no socket matches (the client went away, or it is not on this host).
public func socketOwner(_ transport: TransportProtocol, client: SocketEndpoint, server: SocketEndpoint) throws
    -> SocketOwner?
{
    try lookUpOwner(transport, client: client, server: server) { proto, family, src, sport, dst, dport, uid, inode in
        cps_sockdiag_lookup(proto, family, src, sport, dst, dport, uid, inode)
    }
}

/// The uid owning the client's socket (see `socketOwner`); nil when not found.
public func socketOwnerUID(_ transport: TransportProtocol, client: SocketEndpoint, server: SocketEndpoint) throws
    -> UInt32?
{
    try socketOwner(transport, client: client, server: server)?.uid
}

/// `socketOwner` on one NETLINK_SOCK_DIAG socket kept open across lookups: for the DNS worker, which
/// asks once per query (two syscalls a lookup instead of four). Opened at the first lookup (so it can
/// be made before or after the sandbox, which allows `socket(AF_NETLINK, …, NETLINK_SOCK_DIAG)`).
/// Not thread-safe: one owner (an event loop) per instance.
public final class SocketOwnerQuery {
    private var fd: Int32 = -1

    public init() {}

    deinit {
        if fd >= 0 { Posix.closeQuietly(fd) }
    }

    public func owner(_ transport: TransportProtocol, client: SocketEndpoint, server: SocketEndpoint) throws
        -> SocketOwner?
    {
        if fd < 0 {
            fd = cps_sockdiag_open()
            guard fd >= 0 else { throw PrivSepError.syscall("socket(NETLINK_SOCK_DIAG)", Glibc.errno) }
        }
        let fd = self.fd
        do {
            return try lookUpOwner(transport, client: client, server: server) {
                proto, family, src, sport, dst, dport, uid, inode in
                cps_sockdiag_lookup_on(fd, proto, family, src, sport, dst, dport, uid, inode)
            }
        } catch {
            // A socket in a bad state (overrun, closed under us) is replaced at the next lookup.
            Posix.closeQuietly(fd)
            self.fd = -1
            throw error
        }
    }
}

/// The shared part: the id in the kernel's order for `transport`, the C lookup, ENOENT as nil.
private func lookUpOwner(
    _ transport: TransportProtocol, client: SocketEndpoint, server: SocketEndpoint,
    _ lookup: (
        Int32, Int32, UnsafePointer<UInt8>, UInt16, UnsafePointer<UInt8>, UInt16, UnsafeMutablePointer<UInt32>,
        UnsafeMutablePointer<UInt32>
    ) -> Int32
) throws -> SocketOwner? {
    guard client.family == server.family else { return nil }
    let (src, dst) = transport == .tcp ? (client, server) : (server, client)
    var uid: UInt32 = 0
    var inode: UInt32 = 0
    let proto = transport == .tcp ? Int32(IPPROTO_TCP) : Int32(IPPROTO_UDP)
    let family = client.family == .inet ? AF_INET : AF_INET6
    let rc = src.withAddressBytes { s in
        dst.withAddressBytes { d in
            lookup(
                proto, family, s.baseAddress!.assumingMemoryBound(to: UInt8.self), src.port,
                d.baseAddress!.assumingMemoryBound(to: UInt8.self), dst.port, &uid, &inode)
        }
    }
    if rc == 0 { return SocketOwner(uid: uid, inode: inode) }
    let err = Glibc.errno
    if err == ENOENT { return nil }
    throw PrivSepError.syscall("sock_diag lookup", err)
}
