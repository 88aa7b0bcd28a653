import AgentConfig

/// One alias in a user's view: the alias value (a DNS name, as the controller lists it) and the
/// addresses the broker assigned it.
public struct AliasEntry: Sendable, Equatable {
    public var alias: String
    public var ipv4: IPv4Address
    public var ipv6: IPv6Address

    public init(alias: String, ipv4: IPv4Address, ipv6: IPv6Address) {
        self.alias = alias
        self.ipv4 = ipv4
        self.ipv6 = ipv6
    }
}

/// The uid that means "the query could not be tied to one user" (answer from the union of views).
public let unknownUID = UInt32.max

/// What the DNS worker counts, for `status` (the scalar counters of `DNSService.DNSCounters`,
/// per-upstream failures summed). Sent whole, every few seconds when something changed; the broker
/// keeps the latest.
public struct DNSCounters: Sendable, Equatable {
    public var queries: UInt64 = 0
    public var aliasAnswers: UInt64 = 0
    public var forwarded: UInt64 = 0
    public var cacheHits: UInt64 = 0
    /// SERVFAIL answers the DNS worker produced.
    public var serverFailures: UInt64 = 0
    public var formatErrors: UInt64 = 0
    public var dropped: UInt64 = 0
    public var truncatedAnswers: UInt64 = 0
    public var tcpRetries: UInt64 = 0
    public var fallbackRequests: UInt64 = 0
    public var mismatchedAnswers: UInt64 = 0
    /// Failed upstream attempts, all upstreams together.
    public var upstreamFailures: UInt64 = 0
    /// Gauges: answers cached and client TCP connections now.
    public var cacheEntries: UInt64 = 0
    public var tcpConnections: UInt64 = 0

    public init() {}

    static let fieldCount = 14

    var fields: [UInt64] {
        [
            queries, aliasAnswers, forwarded, cacheHits, serverFailures, formatErrors, dropped, truncatedAnswers,
            tcpRetries, fallbackRequests, mismatchedAnswers, upstreamFailures, cacheEntries, tcpConnections,
        ]
    }

    init(fields f: [UInt64]) {
        precondition(f.count == DNSCounters.fieldCount, "decoder reads exactly fieldCount values")
        (queries, aliasAnswers, forwarded, cacheHits, serverFailures) = (f[0], f[1], f[2], f[3], f[4])
        (formatErrors, dropped, truncatedAnswers, tcpRetries, fallbackRequests) = (f[5], f[6], f[7], f[8], f[9])
        (mismatchedAnswers, upstreamFailures, cacheEntries, tcpConnections) = (f[10], f[11], f[12], f[13])
    }
}

/// Broker (proxy worker) → DNS worker.
public enum BrokerToDNS: IPCMessage, Equatable {
    /// Replaces `uid`'s view; an empty list removes it.
    case setView(uid: UInt32, entries: [AliasEntry])
    /// Users whose alias listing is forbidden: unknown names they query go to the broker
    /// (`resolveRequest`) before the answer.
    case setFallbackUsers([UInt32])
    /// The answer to `resolveRequest`; no address means "not an alias" (forward as usual).
    case resolveResult(requestID: UInt64, uid: UInt32, name: String, ipv4: IPv4Address?, ipv6: IPv6Address?)
    case flushCache

    public static let direction = Direction.brokerToDNS

    public func frame() -> Frame {
        var w = IPCWriter()
        switch self {
        case .setView(let uid, let entries):
            w = IPCWriter(capacity: 8 + entries.count * 48)
            w.u32(uid)
            w.u32(UInt32(entries.count))
            for e in entries {
                w.string(e.alias)
                w.ipv4(e.ipv4)
                w.ipv6(e.ipv6)
            }
            return Frame(kind: .setView, payload: w.bytes)
        case .setFallbackUsers(let uids):
            w.u32(UInt32(uids.count))
            for uid in uids { w.u32(uid) }
            return Frame(kind: .setFallbackUsers, payload: w.bytes)
        case .resolveResult(let requestID, let uid, let name, let ipv4, let ipv6):
            w.u64(requestID)
            w.u32(uid)
            w.string(name)
            w.u8((ipv4 == nil ? 0 : 1) | (ipv6 == nil ? 0 : 2))
            w.ipv4(ipv4 ?? IPv4Address(value: 0))
            w.ipv6(ipv6 ?? IPv6Address(high: 0, low: 0))
            return Frame(kind: .resolveResult, payload: w.bytes)
        case .flushCache:
            return Frame(kind: .flushCache)
        }
    }

    public init(frame: Frame) throws {
        self = try frame.decode(Self.direction) { r in
            switch r.kind {
            case .setView:
                let uid = try r.u32("uid")
                let n = try r.count("entries", maxCount: IPCLimits.maxViewEntries, minimumElementSize: 24)
                var entries: [AliasEntry] = []
                entries.reserveCapacity(n)
                for _ in 0..<n {
                    let alias = try r.string("alias", maxLength: IPCLimits.maxName)
                    let v4 = try r.ipv4("ipv4")
                    entries.append(AliasEntry(alias: alias, ipv4: v4, ipv6: try r.ipv6("ipv6")))
                }
                return .setView(uid: uid, entries: entries)
            case .setFallbackUsers:
                let n = try r.count("uids", maxCount: IPCLimits.maxFallbackUsers, minimumElementSize: 4)
                var uids: [UInt32] = []
                uids.reserveCapacity(n)
                for _ in 0..<n { uids.append(try r.u32("uid")) }
                return .setFallbackUsers(uids)
            case .resolveResult:
                let requestID = try r.u64("requestID")
                let uid = try r.u32("uid")
                let name = try r.string("name", maxLength: IPCLimits.maxName)
                let present = try r.u8("present")
                guard present & ~3 == 0 else { throw IPCError.invalidField(r.kind, field: "present") }
                let v4 = try r.ipv4("ipv4")
                let v6 = try r.ipv6("ipv6")
                return .resolveResult(
                    requestID: requestID, uid: uid, name: name, ipv4: present & 1 != 0 ? v4 : nil,
                    ipv6: present & 2 != 0 ? v6 : nil)
            case .flushCache:
                return .flushCache
            default:
                throw IPCError.unexpectedKind(r.kind, Self.direction)
            }
        }
    }
}

/// DNS worker → broker.
public enum DNSToBroker: IPCMessage, Equatable {
    /// `uid` asked for `alias` (authorize the session before the connect arrives).
    case aliasQueried(uid: UInt32, alias: String)
    /// A fallback user asked for `name`; the DNS answer waits for `resolveResult` (bounded by
    /// `dns_request_timeout`).
    case resolveRequest(requestID: UInt64, uid: UInt32, name: String)
    case counters(DNSCounters)

    public static let direction = Direction.dnsToBroker

    public func frame() -> Frame {
        var w = IPCWriter()
        switch self {
        case .aliasQueried(let uid, let alias):
            w.u32(uid)
            w.string(alias)
            return Frame(kind: .aliasQueried, payload: w.bytes)
        case .resolveRequest(let requestID, let uid, let name):
            w.u64(requestID)
            w.u32(uid)
            w.string(name)
            return Frame(kind: .resolveRequest, payload: w.bytes)
        case .counters(let c):
            w.u32(UInt32(DNSCounters.fieldCount))
            for v in c.fields { w.u64(v) }
            return Frame(kind: .counters, payload: w.bytes)
        }
    }

    public init(frame: Frame) throws {
        self = try frame.decode(Self.direction) { r in
            switch r.kind {
            case .aliasQueried:
                let uid = try r.u32("uid")
                return .aliasQueried(uid: uid, alias: try r.string("alias", maxLength: IPCLimits.maxName))
            case .resolveRequest:
                let requestID = try r.u64("requestID")
                let uid = try r.u32("uid")
                return .resolveRequest(
                    requestID: requestID, uid: uid, name: try r.string("name", maxLength: IPCLimits.maxName))
            case .counters:
                guard try r.u32("fieldCount") == UInt32(DNSCounters.fieldCount) else {
                    throw IPCError.invalidField(r.kind, field: "fieldCount")
                }
                var f: [UInt64] = []
                for _ in 0..<DNSCounters.fieldCount { f.append(try r.u64("counter")) }
                return .counters(DNSCounters(fields: f))
            default:
                throw IPCError.unexpectedKind(r.kind, Self.direction)
            }
        }
    }
}
