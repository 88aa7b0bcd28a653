import JSON

/// The DNS worker's counters in `GET /v1/status` (ours, `dns`): machine-wide totals since the DNS
/// worker started, as it last reported them (every 5 s when they changed). Every caller sees them:
/// they are counts for the whole host, with no user, name or address in them (the upstreams' own
/// addresses are in /etc/resolv.conf), and less than any user learns from /proc/net/udp.
///
/// ```json
/// {"queries":120,"alias_answers":14,"forwarded":80,"cache_hits":26,"server_failures":1,
///  "rejected_answers":0,"upstream_failures":{"127.0.0.2:53":3}}
/// ```
public struct DNSStatus: Sendable, Equatable {
    /// Every message that looked like a query.
    public var queries: UInt64
    /// Answered from a user's view (or the union of views) with an alias's address.
    public var aliasAnswers: UInt64
    /// Sent to an upstream (cache misses).
    public var forwarded: UInt64
    public var cacheHits: UInt64
    /// SERVFAIL answers the agent produced (every upstream failed or timed out).
    public var serverFailures: UInt64
    /// Datagrams on an upstream socket that answered no query in flight (wrong ID or question): late,
    /// duplicated, or forged (a spoofing attempt shows here first).
    public var rejectedAnswers: UInt64
    /// Failed attempts per upstream `ip:port`; upstreams that never failed are left out.
    public var upstreamFailures: [String: UInt64]

    public init(
        queries: UInt64 = 0, aliasAnswers: UInt64 = 0, forwarded: UInt64 = 0, cacheHits: UInt64 = 0,
        serverFailures: UInt64 = 0, rejectedAnswers: UInt64 = 0, upstreamFailures: [String: UInt64] = [:]
    ) {
        self.queries = queries
        self.aliasAnswers = aliasAnswers
        self.forwarded = forwarded
        self.cacheHits = cacheHits
        self.serverFailures = serverFailures
        self.rejectedAnswers = rejectedAnswers
        self.upstreamFailures = upstreamFailures
    }

    public var json: JSONValue {
        func number(_ n: UInt64) -> JSONValue { .int(Int64(clamping: n)) }
        return [
            "queries": number(queries), "alias_answers": number(aliasAnswers), "forwarded": number(forwarded),
            "cache_hits": number(cacheHits), "server_failures": number(serverFailures),
            "rejected_answers": number(rejectedAnswers),
            "upstream_failures": .object(upstreamFailures.mapValues(number)),
        ]
    }

    public init(json: JSONValue) throws {
        let r = try FieldReader(json, what: "dns")
        func count(_ key: String) throws -> UInt64 {
            guard let n = try r.optionalInt(key) else { return 0 }
            guard let u = UInt64(exactly: n) else {
                throw APIDecodingError.invalidValue(field: key, reason: "negative")
            }
            return u
        }
        queries = try count("queries")
        aliasAnswers = try count("alias_answers")
        forwarded = try count("forwarded")
        cacheHits = try count("cache_hits")
        serverFailures = try count("server_failures")
        rejectedAnswers = try count("rejected_answers")
        upstreamFailures = [:]
        if let failures = try r.optionalObject("upstream_failures") {
            let upstreams = try FieldReader(failures, what: "upstream_failures")
            for key in upstreams.object.keys {
                guard let n = try upstreams.optionalInt(key), let u = UInt64(exactly: n) else {
                    throw APIDecodingError.invalidValue(field: "upstream_failures", reason: "\(key) is not a count")
                }
                upstreamFailures[key] = u
            }
        }
    }
}
