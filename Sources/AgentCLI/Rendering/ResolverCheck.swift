import AgentAPI
import AgentConfig
import HostState

#if canImport(Glibc)
    import Glibc
#endif

/// "Is the resolver in place?" for `explain`: whether the system resolver file names the agent's
/// DNS address (the first host of `v4_prefix` or `v6_prefix`) first. The agent's answer does not
/// say (the helper owns the resolver), so the CLI looks itself, read-only.
public enum ResolverCheck {
    static let maximumFileBytes = 64 * 1024

    public static func check(configuration: AgentConfiguration, resolvConf: String?, agentPaused: Bool)
        -> ExplainResponse.Check
    {
        let path = configuration.resolvConfPath
        switch configuration.dnsMode {
        case .off:
            return .init(
                check: "resolver", ok: false,
                detail: "dns_mode is off: the agent does not change the system resolver; programs must ask "
                    + "\(configuration.dnsListenV4) themselves")
        case .systemdResolved:
            return .init(
                check: "resolver", ok: true,
                detail: "systemd-resolved mode: not checked here (`resolvectl status` shows the agent's link)")
        case .auto, .resolvConf:
            break
        }
        guard let text = resolvConf else {
            return .init(check: "resolver", ok: false, detail: "cannot read \(path)")
        }
        let servers = ResolvConfText.nameservers(in: text)
        let v4 = configuration.dnsListenV4
        let v6 = configuration.dnsListenV6
        func isAgent(_ server: String) -> Bool {
            IPv4Address(server) == v4 || IPv6Address(server) == v6
        }
        if let first = servers.first, isAgent(first) {
            return .init(check: "resolver", ok: true, detail: "\(path) points at the agent (\(first))")
        }
        if configuration.dnsMode == .auto, servers.first == "127.0.0.53" {
            return .init(
                check: "resolver", ok: true,
                detail: "systemd-resolved owns \(path): not checked here (`resolvectl status` shows the agent's link)")
        }
        let found = servers.isEmpty ? "no nameserver" : "nameserver \(servers[0])"
        let why =
            agentPaused
            ? "expected while the agent is paused for everyone"
            : "the agent is not running, or another program rewrote the file"
        if servers.contains(where: isAgent) {
            return .init(
                check: "resolver", ok: false, detail: "\(path) lists the agent (\(v4)) but not first (\(found)): \(why)"
            )
        }
        return .init(
            check: "resolver", ok: false, detail: "\(path) does not point at the agent \(v4) (\(found)): \(why)")
    }

    /// The file's text, or nil when it cannot be read.
    public static func readFile(_ path: String) -> String? {
        guard let bytes = try? TerminalInput.readFileBytes(path: path, limit: maximumFileBytes) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
