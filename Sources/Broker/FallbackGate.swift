import NIOCore

/// Guards the 403 fallback (boundary-protocol.md §1.5, upstream docs "Grants"): a user who may not
/// list aliases gets every unknown name they query tried as an alias with `authorize-session`, so
/// without a bound their DNS traffic would become controller traffic. This keeps, per user:
/// a negative cache of names the controller said are not aliases for them, a token bucket, and the
/// requests waiting on a lookup already under way (one controller call per name at a time); and a
/// global bucket over all users.
public struct FallbackGate: Sendable {
    public enum Decision: Equatable, Sendable {
        /// Call the controller, then `finish`.
        case ask
        /// A call for this name is under way; the request is answered by its `finish`.
        case joined
        /// Known not to be an alias for this user (answer "no alias" at once).
        case negative
        /// Over the rate limit (answer "no alias" at once).
        case rateLimited
        /// Not a name that can be an alias value (answer "no alias" at once).
        case notACandidate
    }

    struct Key: Hashable, Sendable {
        var uid: UInt32
        var name: String
    }

    public static let perUserBurst = 10
    public static let perUserPerSecond = 1.0
    public static let globalBurst = 50
    public static let globalPerSecond = 10.0
    /// Bound on the negative cache (entries over all users); expired entries are dropped first,
    /// then the whole cache when it is still full (a flood of random names must not grow memory).
    public static let maximumNegativeEntries = 10_000
    /// Bound on requests waiting on one lookup.
    public static let maximumWaiters = 64

    public var negativeTTL: TimeAmount
    private var negative: [Key: NIODeadline] = [:]
    private var inFlight: [Key: [UInt64]] = [:]
    private var buckets: [UInt32: TokenBucket] = [:]
    private var global = TokenBucket(burst: FallbackGate.globalBurst, perSecond: FallbackGate.globalPerSecond)

    public init(negativeTTL: TimeAmount) {
        self.negativeTTL = negativeTTL
    }

    public mutating func request(uid: UInt32, name: String, requestID: UInt64, at now: NIODeadline) -> Decision {
        guard AliasName.isFallbackCandidate(name) else { return .notACandidate }
        let key = Key(uid: uid, name: name)
        if let until = negative[key] {
            if until > now { return .negative }
            negative.removeValue(forKey: key)
        }
        if inFlight[key] != nil {
            guard inFlight[key]!.count < FallbackGate.maximumWaiters else { return .rateLimited }
            inFlight[key]!.append(requestID)
            return .joined
        }
        var bucket =
            buckets[uid] ?? TokenBucket(burst: FallbackGate.perUserBurst, perSecond: FallbackGate.perUserPerSecond)
        let allowed = bucket.take(at: now)
        buckets[uid] = bucket
        guard allowed, global.take(at: now) else { return .rateLimited }
        inFlight[key] = [requestID]
        return .ask
    }

    /// The lookup for (uid, name) ended; `isAlias == false` caches the negative answer. Returns every
    /// request waiting on it (the one that asked first).
    public mutating func finish(uid: UInt32, name: String, isAlias: Bool?, at now: NIODeadline) -> [UInt64] {
        let key = Key(uid: uid, name: name)
        if isAlias == false {
            if negative.count >= FallbackGate.maximumNegativeEntries {
                negative = negative.filter { $0.value > now }
                if negative.count >= FallbackGate.maximumNegativeEntries { negative.removeAll() }
            }
            negative[key] = now + negativeTTL
        }
        return inFlight.removeValue(forKey: key) ?? []
    }

    public func isNegative(uid: UInt32, name: String, at now: NIODeadline) -> Bool {
        (negative[Key(uid: uid, name: name)]).map { $0 > now } ?? false
    }

    /// Drops what is known about a user (new token, sign-out): their grants may differ now.
    /// Lookups under way stay registered so their waiters are still answered.
    public mutating func forget(uid: UInt32) {
        negative = negative.filter { $0.key.uid != uid }
        buckets.removeValue(forKey: uid)
    }

    public var negativeCount: Int { negative.count }
}
