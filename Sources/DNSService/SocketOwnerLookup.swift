import AgentCore
import NIOCore
import PrivSep

/// Finds the uid that owns a local client's socket: `PrivSep.SocketOwnerQuery` (one exact
/// NETLINK_SOCK_DIAG request on a netlink socket kept open; see `PrivSep/SocketOwner.swift` for the
/// kernel's key order, which differs between TCP and UDP) with NIO's addresses. Needs no privilege
/// and works under the worker's seccomp filter (socket(AF_NETLINK, NETLINK_SOCK_DIAG), sendto,
/// recvfrom).
final class SocketOwnerLookup {
    enum Transport { case udp, tcp }

    private let query = SocketOwnerQuery()

    /// The uid owning the client's socket for a query that arrived on `local` from `remote`; nil when
    /// the kernel has no such socket (another host or network namespace, a socket already closed), the
    /// match is a TIME_WAIT or request mini-socket (inode 0, reported as uid 0: never root's), or the
    /// lookup fails.
    func ownerUID(transport: Transport, local: SocketAddress, remote: SocketAddress) -> UInt32? {
        guard let client = SocketEndpoint(remote), let server = SocketEndpoint(local) else { return nil }
        guard let owner = try? query.owner(transport == .tcp ? .tcp : .udp, client: client, server: server),
            owner.inode != 0
        else { return nil }
        return owner.uid
    }
}
