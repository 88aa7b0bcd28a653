/// The agent's configuration: one stored property per key of the configuration file, each with the
/// default a missing key gets (`AgentConfiguration()` is the configuration of an empty file).
/// Build one with `ConfigLoader`, which validates every value; properties are settable so tests and
/// tools can start from the defaults.
public struct AgentConfiguration: Sendable, Equatable {
    /// The default location of the configuration file.
    public static let defaultPath = "/etc/boundary/boundary-client-agent.hcl"

    /// `alias_refresh_interval`: how often the broker refreshes each user's alias list.
    public var aliasRefreshInterval: Duration = .seconds(60)
    /// `dns_request_timeout`: the bound on handling one DNS request, forwarding and broker lookups included.
    public var dnsRequestTimeout: Duration = .seconds(5)
    /// `interface_to_use`: the link that holds the DNS listen addresses and the local routes.
    public var interfaceToUse: String = "lo"
    /// `log_file`
    public var logFile: String = "/var/log/boundary-client-agent.log"
    /// `log_level`
    public var logLevel: LogLevel = .info
    /// `log_to_stdout`: log to standard output as well as to `log_file`.
    public var logToStdout: Bool = false
    /// `operational_state_file`: paused or running; survives restarts.
    public var operationalStateFile: String = "/var/lib/boundary-client-agent/operational-state.json"
    /// `override_upstream_dns_servers`: forward non-alias queries here, in order, instead of to the
    /// servers the system had. Empty: use the system's.
    public var overrideUpstreamDNSServers: [UpstreamServer] = []
    /// `state_file`: what the helper changed and must revert; removed on a clean stop. On disk, not
    /// in /run: it holds the resolv.conf backup, and a crash followed by a reboot (which empties
    /// /run) must still be undone at the next start.
    public var stateFile: String = "/var/lib/boundary-client-agent/state.json"
    /// `v4_prefix`: alias addresses and the IPv4 DNS listen address come from here (/8 to /16).
    public var v4Prefix: IPv4Prefix = IPv4Prefix(constant: IPv4Address(100, 64, 0, 0), length: 10)
    /// `v6_prefix`: alias addresses and the IPv6 DNS listen address come from here (inside
    /// fc00::/7, /48 to /112).
    public var v6Prefix: IPv6Prefix = IPv6Prefix(
        constant: IPv6Address(high: 0xfd5b_c1a6_e7a0_0000, low: 0), length: 64)
    /// `api_listen_port`: the local API's TCP port on 127.0.0.1; 0 turns the TCP listener off.
    public var apiListenPort: UInt16 = 9300
    /// `api_socket_path`: the local API's unix socket (mode 0666; callers are told apart by SO_PEERCRED).
    public var apiSocketPath: String = "/run/boundary-client-agent/agent.sock"
    /// `dns_mode`: how the system resolver is pointed at the agent.
    public var dnsMode: DNSMode = .auto
    /// `resolv_conf_path`: the file the resolv.conf mode rewrites (tests point it elsewhere).
    public var resolvConfPath: String = "/etc/resolv.conf"
    /// `dns_cache_size`: entries in the DNS worker's cache of forwarded answers; 0 turns it off.
    public var dnsCacheSize: Int = 10000
    /// `admin_group`: members may pause and resume the whole agent; "" means root only.
    public var adminGroup: String = "sudo"
    /// `worker_user`: the system user the sandboxed workers run as.
    public var workerUser: String = "boundary-agent"
    /// `tls_ca_file`: PEM bundle that verifies controllers' and workers' https API; nil means the
    /// system bundle.
    public var tlsCAFile: String? = nil
    /// `tls_insecure`: skip verification of the controller's certificate (development only).
    public var tlsInsecure: Bool = false
    /// `auto_pause_failures`: pause the agent after this many network failures within
    /// `auto_pause_window`; 0 never pauses.
    public var autoPauseFailures: Int = 20
    /// `auto_pause_window`
    public var autoPauseWindow: Duration = .seconds(60)
    /// `session_idle_timeout`: cancel a session no connection has used for this long.
    public var sessionIdleTimeout: Duration = .seconds(15 * 60)
    /// `max_connections_per_user`: open proxied connections one OS user may have at once.
    public var maxConnectionsPerUser: Int = 1024
    /// `dns_queries_per_user`: DNS packets per second (UDP queries and TCP connection attempts) one
    /// local user other than root and the caching stubs may send to the DNS addresses, with a burst of
    /// twice as many; the helper's nftables table drops the rest at the sender, before the DNS
    /// worker's socket (`HostState.FirewallRules`). 0 turns the limit off.
    public var dnsQueriesPerUser: Int = 2000
    /// The largest `dns_queries_per_user`.
    public static let maximumDNSQueriesPerUser = 1_000_000
    /// Caching stubs that ask on behalf of every user, so their uid says nothing about who wants the
    /// answer (systemd-resolved's and nscd's accounts): the DNS worker answers them from the union of
    /// the views, and `dns_queries_per_user` does not limit them.
    public static let cachingStubUsers = ["systemd-resolve", "nscd"]

    /// The defaults: what an empty configuration file gives.
    public init() {}

    /// The DNS worker's IPv4 listen address: the first host of `v4Prefix` (100.64.0.1 by default).
    /// Reserved: never handed to an alias, nor is the prefix's base address.
    public var dnsListenV4: IPv4Address {
        // A validated prefix is /8../16, so base + 1 is inside it.
        IPv4Address(value: v4Prefix.address.value | 1)
    }

    /// The DNS worker's IPv6 listen address: the first host of `v6Prefix` (fd5b:c1a6:e7a0::1 by
    /// default). Reserved like `dnsListenV4`.
    public var dnsListenV6: IPv6Address {
        // A validated prefix is /48../112, so base + 1 is inside it.
        IPv6Address(high: v6Prefix.address.high, low: v6Prefix.address.low | 1)
    }
}
