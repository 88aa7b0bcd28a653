import AgentCore
import NIOCore
import NIOPosix
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

/// `SocketOwnerLookup` by NETLINK_SOCK_DIAG (`PrivSep.socketOwner`): an exact lookup in our own
/// network namespace, so a client in another namespace is never found. Each event-loop thread keeps
/// one netlink socket open (`SocketOwnerQuery`): a lookup per accepted connection is then two
/// syscalls, not four. Nothing about the answer is cached.
public struct KernelSocketOwners: SocketOwnerLookup {
    /// One query per thread; `ThreadQuery` only ever runs on the thread that stored it.
    private static let perThread = ThreadSpecificVariable<ThreadQuery>()

    public init() {}

    public func tcpOwnerUID(client: SocketAddress, server: SocketAddress) throws -> UInt32? {
        guard let client = SocketEndpoint(client), let server = SocketEndpoint(server) else { return nil }
        let query: ThreadQuery
        if let existing = Self.perThread.currentValue {
            query = existing
        } else {
            query = ThreadQuery()
            Self.perThread.currentValue = query
        }
        guard let owner = try query.query.owner(.tcp, client: client, server: server) else { return nil }
        // TIME_WAIT and request sockets are reported with uid 0 and inode 0: not a user's socket.
        guard owner.inode != 0 else { return nil }
        return owner.uid
    }
}

/// A `SocketOwnerQuery` held in a thread-specific slot. `@unchecked Sendable` only so the slot can be
/// a static: each instance is created, stored and used by one thread, never handed to another.
private final class ThreadQuery: @unchecked Sendable {
    let query = SocketOwnerQuery()
}
