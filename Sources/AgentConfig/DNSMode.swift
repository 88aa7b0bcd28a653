/// `dns_mode`: how the helper points the system resolver at the agent (DESIGN.md, "OS resolver").
public enum DNSMode: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// systemd-resolved when it owns /etc/resolv.conf, resolv.conf otherwise.
    case auto
    /// Rewrite `resolv_conf_path` (backed up, restored on stop).
    case resolvConf = "resolv.conf"
    /// A resolved link with routing domain "~." over D-Bus.
    case systemdResolved = "systemd-resolved"
    /// Leave the system resolver alone: the DNS worker still serves, for clients pointed at it.
    case off

    /// Parses config text, case-insensitive; nil for an unknown mode.
    public init?(configText text: String) {
        self.init(rawValue: text.lowercased())
    }

    public var description: String { rawValue }
}
