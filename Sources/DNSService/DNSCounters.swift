import AgentIPC

/// Counters for `status` and metrics, since the server started.
public struct DNSCounters: Sendable, Equatable {
    /// Every message received that looked like a query (dropped ones included).
    public var queries: UInt64 = 0
    public var aliasAnswers: UInt64 = 0
    /// Queries sent upstream (cache misses), whatever the outcome.
    public var forwarded: UInt64 = 0
    public var cacheHits: UInt64 = 0
    /// SERVFAIL answers we produced (every upstream failed or timed out, or too many pending).
    public var serverFailures: UInt64 = 0
    /// Of those, forwards refused because their sender had `maxPendingForwardsPerUser` waiting already.
    public var perUserRefusals: UInt64 = 0
    public var formatErrors: UInt64 = 0
    /// Messages without a readable header, responses, and answers for clients that went away.
    public var dropped: UInt64 = 0
    /// UDP answers sent as an empty TC answer: over the client's limit, or to a query too long to read
    /// over UDP (`DNSServer.queryDatagramRoom`).
    public var truncatedAnswers: UInt64 = 0
    /// Upstream answers with TC, or too long to read over UDP (`Forwarder.answerDatagramRoom`), that were
    /// retried over TCP.
    public var tcpRetries: UInt64 = 0
    /// Questions asked of the broker for fallback users.
    public var fallbackRequests: UInt64 = 0
    /// Upstream answers ignored because their question did not match (or were malformed).
    public var mismatchedAnswers: UInt64 = 0
    /// Failed attempts (timeout, refused, malformed, SERVFAIL/REFUSED answers), per upstream `ip:port`.
    public var upstreamFailures: [String: UInt64] = [:]
    /// Current number of cached answers.
    public var cacheEntries: Int = 0
    /// Current number of client TCP connections.
    public var tcpConnections: Int = 0

    public init() {}
}

extension AgentIPC.DNSCounters {
    /// The counters as the dns → broker link carries them: the scalar counters, failures of every
    /// upstream summed, and per upstream (the most failed `IPCLimits.maxUpstreams`: a reload may
    /// have replaced the upstreams several times).
    public init(_ counters: DNSService.DNSCounters) {
        self.init()
        queries = counters.queries
        aliasAnswers = counters.aliasAnswers
        forwarded = counters.forwarded
        cacheHits = counters.cacheHits
        serverFailures = counters.serverFailures
        formatErrors = counters.formatErrors
        dropped = counters.dropped
        truncatedAnswers = counters.truncatedAnswers
        tcpRetries = counters.tcpRetries
        fallbackRequests = counters.fallbackRequests
        mismatchedAnswers = counters.mismatchedAnswers
        upstreamFailures = counters.upstreamFailures.values.reduce(0, &+)
        let worst = counters.upstreamFailures.filter { $0.key.utf8.count <= IPCLimits.maxUpstreamLabel }
            .sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(IPCLimits.maxUpstreams)
        failuresByUpstream = Dictionary(uniqueKeysWithValues: worst.map { ($0.key, $0.value) })
        cacheEntries = UInt64(max(0, counters.cacheEntries))
        tcpConnections = UInt64(max(0, counters.tcpConnections))
    }
}
