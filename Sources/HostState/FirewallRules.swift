/// Our one nftables table as text for libnftables (`privileged-helper/Firewall.swift` runs it): a
/// nat `output` chain that redirects TCP to the alias prefixes, except the DNS addresses, to the
/// proxy worker's listeners. `redirect` in the output hook rewrites the destination to the loopback
/// address of the family (127.0.0.1, ::1), which is where the listeners are bound.
public struct FirewallRules: Equatable, Sendable {
    public static let table = "boundary_client_agent"

    public var v4Prefix: String
    public var v4DNS: String
    public var proxyPort4: UInt16
    public var v6Prefix: String
    public var v6DNS: String
    public var proxyPort6: UInt16

    public init(
        v4Prefix: String, v4DNS: String, proxyPort4: UInt16, v6Prefix: String, v6DNS: String, proxyPort6: UInt16
    ) {
        self.v4Prefix = v4Prefix
        self.v4DNS = v4DNS
        self.proxyPort4 = proxyPort4
        self.v6Prefix = v6Prefix
        self.v6DNS = v6DNS
        self.proxyPort6 = proxyPort6
    }

    /// The ruleset. "add + delete" first makes the batch replace a table left by anyone, atomically
    /// (nft 1.0.6 has no `destroy`).
    public var ruleset: String {
        let table = FirewallRules.table
        return """
            add table inet \(table)
            delete table inet \(table)
            table inet \(table) {
                chain output {
                    type nat hook output priority -100; policy accept;
                    ip daddr \(v4Prefix) ip daddr != \(v4DNS) meta l4proto tcp redirect to :\(proxyPort4)
                    ip6 daddr \(v6Prefix) ip6 daddr != \(v6DNS) meta l4proto tcp redirect to :\(proxyPort6)
                }
            }

            """
    }

    /// Removes `table`; fine when it is not there.
    public static func removal(table: String = FirewallRules.table) -> String {
        "add table inet \(table)\ndelete table inet \(table)\n"
    }
}
