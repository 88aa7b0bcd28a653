/// Every key the configuration file accepts, in the order of the key table in
/// docs/configuration.md and the sample config. The raw value is the HCL attribute name.
public enum ConfigKey: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case aliasRefreshInterval = "alias_refresh_interval"
    case dnsRequestTimeout = "dns_request_timeout"
    case interfaceToUse = "interface_to_use"
    case logFile = "log_file"
    case logLevel = "log_level"
    case logToStdout = "log_to_stdout"
    case operationalStateFile = "operational_state_file"
    case overrideUpstreamDNSServers = "override_upstream_dns_servers"
    case stateFile = "state_file"
    case v4Prefix = "v4_prefix"
    case v6Prefix = "v6_prefix"
    case apiListenPort = "api_listen_port"
    case apiSocketPath = "api_socket_path"
    case dnsMode = "dns_mode"
    case resolvConfPath = "resolv_conf_path"
    case dnsCacheSize = "dns_cache_size"
    case adminGroup = "admin_group"
    case workerUser = "worker_user"
    case tlsCAFile = "tls_ca_file"
    case tlsInsecure = "tls_insecure"
    case autoPauseFailures = "auto_pause_failures"
    case autoPauseWindow = "auto_pause_window"
    case sessionIdleTimeout = "session_idle_timeout"
    case maxConnectionsPerUser = "max_connections_per_user"
    case dnsQueriesPerUser = "dns_queries_per_user"

    /// What a changed value needs before it takes effect.
    public enum ReloadEffect: String, Sendable, Hashable {
        /// SIGHUP applies it; sessions the change does not touch keep running.
        case reload
        /// Only a restart of the agent applies it (it shapes addresses, routes, nftables rules,
        /// sockets or files the helper set up at start, or the workers' identity). A SIGHUP with
        /// such a change keeps the old value and says so in the log and in `status`.
        case restart
    }

    public var reloadEffect: ReloadEffect {
        switch self {
        case .aliasRefreshInterval, .dnsRequestTimeout, .logLevel, .logToStdout, .overrideUpstreamDNSServers,
            .dnsCacheSize, .adminGroup, .tlsInsecure, .autoPauseFailures, .autoPauseWindow, .sessionIdleTimeout,
            .maxConnectionsPerUser, .dnsQueriesPerUser:
            return .reload
        case .interfaceToUse, .logFile, .operationalStateFile, .stateFile, .v4Prefix, .v6Prefix, .apiListenPort,
            .apiSocketPath, .dnsMode, .resolvConfPath, .workerUser, .tlsCAFile:
            return .restart
        }
    }

    /// The keys whose value is a file system path; each must be absolute.
    public var isPath: Bool {
        switch self {
        case .logFile, .operationalStateFile, .stateFile, .apiSocketPath, .resolvConfPath, .tlsCAFile:
            return true
        case .aliasRefreshInterval, .dnsRequestTimeout, .interfaceToUse, .logLevel, .logToStdout,
            .overrideUpstreamDNSServers, .v4Prefix, .v6Prefix, .apiListenPort, .dnsMode, .dnsCacheSize, .adminGroup,
            .workerUser, .tlsInsecure, .autoPauseFailures, .autoPauseWindow, .sessionIdleTimeout,
            .maxConnectionsPerUser, .dnsQueriesPerUser:
            return false
        }
    }

    public var description: String { rawValue }
}
