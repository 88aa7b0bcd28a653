import CNftables
import HostState
import PrivSep

/// Our one nftables table (`HostState.FirewallRules`), through libnftables: the same library `nft`
/// uses, no child process.
enum Firewall {
    static func install(_ rules: FirewallRules) throws {
        try run(rules.ruleset)
    }

    /// Removes the table; fine when it is not there.
    static func remove(table: String = FirewallRules.table) throws {
        try run(FirewallRules.removal(table: table))
    }

    static func run(_ commands: String) throws {
        guard let ctx = nft_ctx_new(UInt32(NFT_CTX_DEFAULT)) else { throw HelperError.firewall("nft_ctx_new failed") }
        defer { nft_ctx_free(ctx) }
        _ = nft_ctx_buffer_output(ctx)
        _ = nft_ctx_buffer_error(ctx)
        if nft_run_cmd_from_buffer(ctx, commands) != 0 {
            var message = nft_ctx_get_error_buffer(ctx).map { String(cString: $0) } ?? "unknown error"
            while message.last == "\n" { message.removeLast() }
            throw HelperError.firewall(message)
        }
    }
}
