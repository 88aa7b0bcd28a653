import AgentConfig

#if canImport(Glibc)
    import Glibc
#endif

/// One thing the helper changed on the host, with what it takes to undo it (a record of the state
/// file; `StateRecord` is the whole file).
public enum SystemChange: Equatable, Sendable {
    /// An address on `interface` (the DNS listen addresses).
    case address(family: Int32, address: [UInt8], prefixLength: Int, interface: String)
    /// `ip route add local PREFIX dev IF` (AnyIP for the alias prefix).
    case localRoute(family: Int32, prefix: [UInt8], prefixLength: Int, interface: String)
    /// Our nftables table.
    case firewall(table: String)
    /// A unix socket file we bound (removed on stop).
    case socketFile(path: String)
    /// The system resolver configuration as it was before we wrote ours.
    case resolver(ResolverBackup)

    /// An address's text ("100.64.0.1", "fd5b:c1a6:e7a0::1"); "?" for a length that is neither.
    public static func addressText(_ bytes: [UInt8]) -> String {
        switch bytes.count {
        case 4: return IPv4Address(bytes: bytes).map { "\($0)" } ?? "?"
        case 16: return IPv6Address(bytes: bytes).map { "\($0)" } ?? "?"
        default: return "?"
        }
    }
}

/// What `/etc/resolv.conf` (or `resolv_conf_path`) was before: a file (content and mode), a symlink
/// (kept a symlink), or nothing.
public struct ResolverBackup: Equatable, Sendable {
    public enum Original: Equatable, Sendable {
        case file(content: [UInt8], mode: UInt32)
        case symlink(target: String)
        case absent
    }

    public var path: String
    public var original: Original

    public init(path: String, original: Original) {
        self.path = path
        self.original = original
    }
}
