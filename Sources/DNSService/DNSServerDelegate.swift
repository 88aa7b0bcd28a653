import AgentConfig
import AgentIPC
import DNSCodec

/// What the DNS server tells the session broker (the dns → broker half of the IPC vocabulary). Called on
/// the server's event loop; implementations must not block (send the IPC message and return).
public protocol DNSServerDelegate: AnyObject {
    /// `uid` got an answer for `alias` (the alias value exactly as the broker pushed it), so the broker can
    /// authorise a session before the connection arrives. `DNSServer.unknownUID` when the query could not
    /// be tied to one user and was answered from the union of views. Rate-limited per (uid, alias) by
    /// `DNSServerConfiguration.aliasReportInterval`.
    func aliasQueried(uid: UInt32, alias: String)

    /// A fallback user (alias listing forbidden) asked for `name` (lowercase, no trailing dot), which is not
    /// in any view. The answer waits for `DNSServer.resolveResult(requestID:...)`, at most half of
    /// `dns_request_timeout`; after that, or when the result has no address, the name is forwarded upstream.
    func resolveRequest(requestID: UInt64, uid: UInt32, name: String)
}

/// One alias in a user's view: the alias value and the local addresses the broker assigned to it (the
/// agent's address types from `AgentConfig`, which the codec writes as A and AAAA data).
public struct AliasEntry: Sendable, Hashable {
    /// The alias value (a DNS name; case and a trailing dot do not matter).
    public var name: String
    public var ipv4: IPv4Address?
    public var ipv6: IPv6Address?

    public init(name: String, ipv4: IPv4Address?, ipv6: IPv6Address?) {
        self.name = name
        self.ipv4 = ipv4
        self.ipv6 = ipv6
    }

    /// An entry of the broker's `setView` message (AgentIPC).
    public init(_ entry: AgentIPC.AliasEntry) {
        self.init(name: entry.alias, ipv4: entry.ipv4, ipv6: entry.ipv6)
    }
}
