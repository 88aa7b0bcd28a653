/// Our one nftables table as text for libnftables (`privileged-helper/Firewall.swift` runs it):
///
/// - a nat `output` chain that redirects TCP to the alias prefixes, except the DNS addresses, to the
///   proxy worker's listeners. `redirect` in the output hook rewrites the destination to the loopback
///   address of the family (127.0.0.1, ::1), which is where the listeners are bound;
/// - when `dnsQueriesPerUser` is above 0, a filter `dns_per_user` chain that meters the DNS packets
///   each local user sends to the DNS addresses (UDP to port 53, and TCP SYNs to port 53, counted
///   together) in the dynamic set `dns_per_user`, keyed by the sending socket's uid, and drops what
///   goes over `dnsQueriesPerUser` per second (burst: twice that). The drop happens in the sender's
///   own `sendto`/`connect` (EPERM), before the DNS worker's socket buffer, so one user's flood cannot
///   crowd out another user's queries there. Root and `unlimitedUIDs` (caching stubs that ask for
///   everybody) are not metered, nor are packets without a local socket.
public struct FirewallRules: Equatable, Sendable {
    public static let table = "boundary_client_agent"
    /// The chain and the set of the per-user DNS meter.
    public static let dnsMeter = "dns_per_user"

    public var v4Prefix: String
    public var v4DNS: String
    public var proxyPort4: UInt16
    public var v6Prefix: String
    public var v6DNS: String
    public var proxyPort6: UInt16
    /// DNS packets per second one uid may send to the DNS addresses; 0 = no meter.
    public var dnsQueriesPerUser: Int
    /// Uids besides root that the DNS meter leaves alone.
    public var unlimitedUIDs: [UInt32]

    public init(
        v4Prefix: String, v4DNS: String, proxyPort4: UInt16, v6Prefix: String, v6DNS: String, proxyPort6: UInt16,
        dnsQueriesPerUser: Int = 0, unlimitedUIDs: [UInt32] = []
    ) {
        self.v4Prefix = v4Prefix
        self.v4DNS = v4DNS
        self.proxyPort4 = proxyPort4
        self.v6Prefix = v6Prefix
        self.v6DNS = v6DNS
        self.proxyPort6 = proxyPort6
        self.dnsQueriesPerUser = dnsQueriesPerUser
        self.unlimitedUIDs = unlimitedUIDs
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
            \(dnsMeter)}

            """
    }

    /// The meter's set and chain (indented for the table body), or "" when it is off. The set's
    /// elements expire a minute after a uid's last DNS packet; a full set (65,536 uids sending at
    /// once) meters no new uid rather than dropping its packets.
    var dnsMeter: String {
        guard dnsQueriesPerUser > 0 else { return "" }
        let name = FirewallRules.dnsMeter
        let exempt = ([0] + unlimitedUIDs.filter { $0 != 0 }.sorted()).map(String.init)
        let skuid = exempt.count == 1 ? "meta skuid != 0" : "meta skuid != { \(exempt.joined(separator: ", ")) }"
        let over =
            "update @\(name) { meta skuid limit rate over \(dnsQueriesPerUser)/second burst \(2 * dnsQueriesPerUser) packets } counter drop"
        let syn = "tcp flags & (syn | ack) == syn"
        return """
                set \(name) {
                    typeof meta skuid
                    size 65536
                    flags dynamic,timeout
                    timeout 1m
                }
                chain \(name) {
                    type filter hook output priority 0; policy accept;
                    ip daddr \(v4DNS) udp dport 53 \(skuid) \(over)
                    ip6 daddr \(v6DNS) udp dport 53 \(skuid) \(over)
                    ip daddr \(v4DNS) tcp dport 53 \(syn) \(skuid) \(over)
                    ip6 daddr \(v6DNS) tcp dport 53 \(syn) \(skuid) \(over)
                }

            """
    }

    /// Removes `table`; fine when it is not there.
    public static func removal(table: String = FirewallRules.table) -> String {
        "add table inet \(table)\ndelete table inet \(table)\n"
    }
}
