/// An IPv4 or IPv6 address, for places that take either (upstream DNS servers, resolv.conf lines).
public enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    public enum Family: Sendable, Hashable {
        /// AF_INET
        case v4
        /// AF_INET6
        case v6
    }

    /// Parses a dotted quad or RFC 4291 text; nil for anything else (names included).
    public init?(_ text: some StringProtocol) {
        if let v4 = IPv4Address(text) {
            self = .v4(v4)
        } else if let v6 = IPv6Address(text) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    public var family: Family {
        switch self {
        case .v4: return .v4
        case .v6: return .v6
        }
    }

    /// 4 or 16 bytes in network order.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let a): return a.bytes
        case .v6(let a): return a.bytes
        }
    }

    /// Dotted quad or RFC 5952 text, without brackets.
    public var description: String {
        switch self {
        case .v4(let a): return a.description
        case .v6(let a): return a.description
        }
    }
}
