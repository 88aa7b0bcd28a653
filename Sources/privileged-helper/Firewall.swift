import CNftables
import PrivSep

/// Our one nftables table, through libnftables (the same library `nft` uses, no child process): a
/// nat `output` chain that redirects TCP to the alias prefixes, except the DNS addresses, to the
/// proxy worker's listeners. `redirect` in the output hook rewrites the destination to the
/// loopback address of the family (127.0.0.1, ::1), which is where the listeners are bound.
enum Firewall {
    static let table = "boundary_client_agent"

    struct Rules {
        var v4Prefix: String
        var v4DNS: String
        var proxyPort4: UInt16
        var v6Prefix: String
        var v6DNS: String
        var proxyPort6: UInt16
    }

    /// The ruleset text. "add + delete" first makes the batch replace a table left by anyone,
    /// atomically (nft 1.0.6 has no `destroy`).
    static func ruleset(_ r: Rules) -> String {
        """
        add table inet \(table)
        delete table inet \(table)
        table inet \(table) {
            chain output {
                type nat hook output priority -100; policy accept;
                ip daddr \(r.v4Prefix) ip daddr != \(r.v4DNS) meta l4proto tcp redirect to :\(r.proxyPort4)
                ip6 daddr \(r.v6Prefix) ip6 daddr != \(r.v6DNS) meta l4proto tcp redirect to :\(r.proxyPort6)
            }
        }

        """
    }

    static func install(_ rules: Rules) throws {
        try run(ruleset(rules))
    }

    /// Removes the table; fine when it is not there.
    static func remove(table: String = Firewall.table) throws {
        try run("add table inet \(table)\ndelete table inet \(table)\n")
    }

    static func run(_ commands: String) throws {
        guard let ctx = nft_ctx_new(UInt32(NFT_CTX_DEFAULT)) else { throw HelperError.firewall("nft_ctx_new failed") }
        defer { nft_ctx_free(ctx) }
        _ = nft_ctx_buffer_output(ctx)
        _ = nft_ctx_buffer_error(ctx)
        if nft_run_cmd_from_buffer(ctx, commands) != 0 {
            let message = nft_ctx_get_error_buffer(ctx).map { String(cString: $0) } ?? "unknown error"
            throw HelperError.firewall(message.trimmingTrailingNewlines())
        }
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var s = self
        while s.last == "\n" { s.removeLast() }
        return s
    }
}
