/// What a SIGHUP changes: the helper compares the running configuration with the new file's and
/// applies the keys that can be reloaded (`ConfigKey.reloadEffect`).
extension AgentConfiguration {
    /// The HCL names of the keys whose value differs from `old`, in key table order.
    public func changedKeys(from old: AgentConfiguration) -> [String] {
        changedConfigKeys(from: old).map(\.rawValue)
    }

    /// The keys whose value differs from `old`, in key table order.
    public func changedConfigKeys(from old: AgentConfiguration) -> [ConfigKey] {
        ConfigKey.allCases.filter { !hasSameValue(for: $0, as: old) }
    }

    /// The changed keys that only a restart applies.
    public func keysNeedingRestart(from old: AgentConfiguration) -> [ConfigKey] {
        changedConfigKeys(from: old).filter { $0.reloadEffect == .restart }
    }

    /// Whether `key` has the same value here and in `other`. Exhaustive, so a new key cannot be
    /// left out of the reload diff.
    public func hasSameValue(for key: ConfigKey, as other: AgentConfiguration) -> Bool {
        switch key {
        case .aliasRefreshInterval: return aliasRefreshInterval == other.aliasRefreshInterval
        case .dnsRequestTimeout: return dnsRequestTimeout == other.dnsRequestTimeout
        case .interfaceToUse: return interfaceToUse == other.interfaceToUse
        case .logFile: return logFile == other.logFile
        case .logLevel: return logLevel == other.logLevel
        case .logToStdout: return logToStdout == other.logToStdout
        case .operationalStateFile: return operationalStateFile == other.operationalStateFile
        case .overrideUpstreamDNSServers: return overrideUpstreamDNSServers == other.overrideUpstreamDNSServers
        case .stateFile: return stateFile == other.stateFile
        case .v4Prefix: return v4Prefix == other.v4Prefix
        case .v6Prefix: return v6Prefix == other.v6Prefix
        case .apiListenPort: return apiListenPort == other.apiListenPort
        case .apiSocketPath: return apiSocketPath == other.apiSocketPath
        case .dnsMode: return dnsMode == other.dnsMode
        case .resolvConfPath: return resolvConfPath == other.resolvConfPath
        case .dnsCacheSize: return dnsCacheSize == other.dnsCacheSize
        case .adminGroup: return adminGroup == other.adminGroup
        case .workerUser: return workerUser == other.workerUser
        case .tlsCAFile: return tlsCAFile == other.tlsCAFile
        case .tlsInsecure: return tlsInsecure == other.tlsInsecure
        case .autoPauseFailures: return autoPauseFailures == other.autoPauseFailures
        case .autoPauseWindow: return autoPauseWindow == other.autoPauseWindow
        case .sessionIdleTimeout: return sessionIdleTimeout == other.sessionIdleTimeout
        case .maxConnectionsPerUser: return maxConnectionsPerUser == other.maxConnectionsPerUser
        case .dnsQueriesPerUser: return dnsQueriesPerUser == other.dnsQueriesPerUser
        }
    }
}
