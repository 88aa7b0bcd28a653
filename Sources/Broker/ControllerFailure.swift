import NIOCore

/// A failed controller call, classified by what the broker does about it (boundary-protocol.md
/// §1.2, §6.16, §6.17).
public enum ControllerFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// 401: the token is dead (expired, stale, revoked or unknown); the broker drops it.
    case unauthenticated(String)
    /// 403: authenticated but without the grant.
    case forbidden(String)
    /// 404: no such resource (for authorize-session: not an alias, or no target behind it).
    case notFound(String)
    /// 400 `invalid list token`: the list token is stale; list everything again.
    case invalidListToken
    /// The controller could not be reached (refused, timed out, TLS failed); counts toward auto-pause.
    case network(String)
    /// Anything else: another status, or an answer we could not decode.
    case other(String)

    public var description: String {
        switch self {
        case .unauthenticated(let m): return "unauthenticated (\(m))"
        case .forbidden(let m): return "forbidden (\(m))"
        case .notFound(let m): return "not found (\(m))"
        case .invalidListToken: return "invalid list token"
        case .network(let m): return "controller unreachable (\(m))"
        case .other(let m): return m
        }
    }

    public var isNetwork: Bool {
        if case .network = self { return true }
        return false
    }

    /// How long connects and DNS prefetches for one (uid, alias) fail fast after an
    /// authorize-session failed this way, instead of asking the controller again.
    var backoff: TimeAmount {
        switch self {
        case .notFound, .forbidden: return .seconds(30)
        case .unauthenticated, .invalidListToken, .network, .other: return .seconds(5)
        }
    }
}
