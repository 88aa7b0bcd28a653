/// Errors of the DNS service: bad input from our callers and failures of the sockets it was given.
public enum DNSServiceError: Error, CustomStringConvertible, Sendable {
    /// `start` was given no socket at all.
    case noSockets
    /// The server was closed; the call came too late.
    case closed
    /// An upstream exchange failed (timeout, refused, malformed answer); the client gets SERVFAIL.
    case upstreamFailed(String)

    public var description: String {
        switch self {
        case .noSockets: return "DNS server started without any UDP or TCP socket"
        case .closed: return "DNS server is closed"
        case .upstreamFailed(let reason): return "upstream DNS exchange failed: \(reason)"
        }
    }
}
