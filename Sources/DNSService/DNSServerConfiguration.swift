import AgentConfig
import NIOCore

/// Everything the DNS server needs from the agent's configuration, as plain values. The dns worker maps
/// `AgentConfiguration` onto this (`dns_request_timeout`, `dns_cache_size`, the upstream list from
/// `override_upstream_dns_servers` or the helper's system resolvers) and pushes a new one on SIGHUP with
/// `DNSServer.update(configuration:)`; every field is reloadable.
public struct DNSServerConfiguration: Sendable, Equatable {
    /// Upstream resolvers in order of preference (IP literals; never our own listen addresses).
    public var upstreams: [SocketAddress]
    /// `dns_request_timeout`: the whole exchange for one client query, all upstream attempts included.
    public var requestTimeout: TimeAmount
    /// `dns_cache_size`: the most answers kept; 0 turns the cache off.
    public var cacheSize: Int
    /// TTL of alias answers (short, so a changed view shows quickly).
    public var aliasTTL: UInt32
    /// Most simultaneous client TCP connections; further ones are closed at once.
    public var maxTCPConnections: Int
    /// A client TCP connection with nothing outstanding is closed after this long without a query
    /// (RFC 7766 §6.2.3 recommends seconds, not minutes).
    public var tcpIdleTimeout: TimeAmount
    /// Queries one TCP connection may have outstanding before we stop reading from it.
    public var maxQueriesInFlightPerTCPConnection: Int
    /// Most forwarded queries waiting for an upstream at once; beyond that new ones get SERVFAIL.
    public var maxPendingForwards: Int
    /// Most forwarded queries one sender may have waiting (a uid; unknown senders count as one), so that
    /// a user whose names are slow to resolve cannot hold every slot of `maxPendingForwards`; beyond it
    /// that user's new ones get SERVFAIL. Counted only while this many or more are pending (no owner
    /// lookup below that), so one uid holds at most twice this.
    public var maxPendingForwardsPerUser: Int
    /// `aliasQueried(uid:alias:)` is reported at most once per (uid, alias) in this interval (0 = every answer).
    public var aliasReportInterval: TimeAmount
    /// Users whose queries are answered from the union of all views, like queries whose socket owner cannot
    /// be found: caching stubs such as systemd-resolved or nscd, which ask on behalf of everybody.
    public var unionUIDs: Set<UInt32>
    /// How long the owner of a client's UDP socket (found with NETLINK_SOCK_DIAG) is remembered; 0 = only
    /// within one read batch. See `OwnerCache` for the trade-off.
    public var udpOwnerCacheLifetime: TimeAmount
    /// Connected UDP sockets kept per upstream; each query picks one at random.
    public var upstreamSocketsPerServer: Int
    /// Queries sent on one upstream socket before it is replaced by a fresh one on a new random port. Each
    /// query goes out on one of `upstreamSocketsPerServer` random ports with a random ID (RFC 5452 §9.2);
    /// opening and closing a socket (system calls, a NIO channel, its registration) cost about 1.2 µs per
    /// forwarded query at 128 uses (issue 8), a tenth of that at 1,024. How often a port changes does not
    /// change the odds of a blind spoofing guess (the open ports and IDs do); `upstreamSocketMaxAge` keeps a
    /// quiet machine's ports from living for hours.
    public var upstreamSocketUses: Int
    /// A socket older than this carries one more query and is then replaced, however few it has carried.
    public var upstreamSocketMaxAge: TimeAmount

    public init(
        upstreams: [SocketAddress] = [],
        requestTimeout: TimeAmount = .seconds(5),
        cacheSize: Int = 10000,
        aliasTTL: UInt32 = 5,
        maxTCPConnections: Int = 256,
        tcpIdleTimeout: TimeAmount = .seconds(10),
        maxQueriesInFlightPerTCPConnection: Int = 64,
        maxPendingForwards: Int = 8192,
        maxPendingForwardsPerUser: Int = 2048,
        aliasReportInterval: TimeAmount = .seconds(1),
        unionUIDs: Set<UInt32> = [],
        udpOwnerCacheLifetime: TimeAmount = .milliseconds(100),
        upstreamSocketsPerServer: Int = 8,
        upstreamSocketUses: Int = 1024,
        upstreamSocketMaxAge: TimeAmount = .seconds(60)
    ) {
        self.upstreams = upstreams
        self.requestTimeout = requestTimeout
        self.cacheSize = cacheSize
        self.aliasTTL = aliasTTL
        self.maxTCPConnections = maxTCPConnections
        self.tcpIdleTimeout = tcpIdleTimeout
        self.maxQueriesInFlightPerTCPConnection = maxQueriesInFlightPerTCPConnection
        self.maxPendingForwards = maxPendingForwards
        self.maxPendingForwardsPerUser = maxPendingForwardsPerUser
        self.aliasReportInterval = aliasReportInterval
        self.unionUIDs = unionUIDs
        self.udpOwnerCacheLifetime = udpOwnerCacheLifetime
        self.upstreamSocketsPerServer = upstreamSocketsPerServer
        self.upstreamSocketUses = upstreamSocketUses
        self.upstreamSocketMaxAge = upstreamSocketMaxAge
    }

    /// How long one upstream gets before the next one is tried: the timeout shared out over the upstreams
    /// with one spare round, within [250 ms, 2 s].
    var attemptTimeout: TimeAmount {
        let share = requestTimeout.nanoseconds / Int64(max(1, upstreams.count + 1))
        return .nanoseconds(
            min(max(share, TimeAmount.milliseconds(250).nanoseconds), TimeAmount.seconds(2).nanoseconds))
    }

    /// The DNS-related settings of the agent's configuration. `systemUpstreams` are the resolvers the system
    /// had before us (from the helper, our own addresses already removed); `override_upstream_dns_servers`
    /// replaces them when set. Entries that do not make a socket address are skipped.
    public init(agent: AgentConfiguration, systemUpstreams: [UpstreamServer]) {
        self.init()
        let servers = agent.overrideUpstreamDNSServers.isEmpty ? systemUpstreams : agent.overrideUpstreamDNSServers
        upstreams = servers.compactMap(Self.socketAddress)
        let (seconds, attoseconds) = agent.dnsRequestTimeout.components
        requestTimeout = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        cacheSize = max(0, agent.dnsCacheSize)
    }

    /// Where the forwarder connects for `server`. A link-local server's interface goes in
    /// `sin6_scope_id`, and its text ("fe80::1%eth0") becomes the address's host, so labels and logs
    /// show the link.
    static func socketAddress(_ server: UpstreamServer) -> SocketAddress? {
        guard let address = try? SocketAddress(ipAddress: server.address.description, port: Int(server.port)) else {
            return nil
        }
        guard let link = server.link, case .v6(let v6) = address else { return address }
        var sin6 = v6.address
        sin6.sin6_scope_id = link.index
        return SocketAddress(sin6, host: server.host)
    }
}
