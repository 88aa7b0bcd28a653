import AgentConfig
import XCTest

/// The SIGHUP diff.
final class ReloadTests: XCTestCase {
    func testNoChange() {
        XCTAssertEqual(AgentConfiguration().changedKeys(from: AgentConfiguration()), [])
        XCTAssertEqual(
            parsed("log_level = \"INFO\"").changedKeys(from: AgentConfiguration()), [], "same value, other spelling")
    }

    func testChangedKeysInTableOrder() {
        let old = parsed("log_level = \"info\"\nv4_prefix = \"10.0.0.0/8\"")
        let new = parsed(
            "v4_prefix = \"10.1.0.0/16\"\nlog_level = \"debug\"\ndns_cache_size = 0\nlog_to_stdout = false")
        XCTAssertEqual(new.changedKeys(from: old), ["log_level", "v4_prefix", "dns_cache_size"])
        XCTAssertEqual(new.changedConfigKeys(from: old), [.logLevel, .v4Prefix, .dnsCacheSize])
        XCTAssertEqual(new.keysNeedingRestart(from: old), [.v4Prefix])
        XCTAssertEqual(old.changedKeys(from: new), ["log_level", "v4_prefix", "dns_cache_size"])
    }

    func testUpstreamOrderMatters() {
        let a = parsed("override_upstream_dns_servers = [\"10.0.0.1\", \"10.0.0.2\"]")
        let b = parsed("override_upstream_dns_servers = [\"10.0.0.2\", \"10.0.0.1\"]")
        let c = parsed("override_upstream_dns_servers = [\"10.0.0.1:53\", \"10.0.0.2\"]")
        XCTAssertEqual(a.changedKeys(from: b), ["override_upstream_dns_servers"])
        XCTAssertEqual(a.changedKeys(from: c), [], "port 53 written or not")
    }

    func testEveryKeyIsSeenByTheDiff() {
        // Change each key alone; the diff must name exactly that key.
        let base = AgentConfiguration()
        for key in ConfigKey.allCases {
            var changed = base
            switch key {
            case .aliasRefreshInterval: changed.aliasRefreshInterval = .seconds(1)
            case .dnsRequestTimeout: changed.dnsRequestTimeout = .seconds(1)
            case .interfaceToUse: changed.interfaceToUse = "eth0"
            case .logFile: changed.logFile = "/x"
            case .logLevel: changed.logLevel = .trace
            case .logToStdout: changed.logToStdout = true
            case .operationalStateFile: changed.operationalStateFile = "/x"
            case .overrideUpstreamDNSServers: changed.overrideUpstreamDNSServers = [UpstreamServer("1.1.1.1")!]
            case .stateFile: changed.stateFile = "/x"
            case .v4Prefix: changed.v4Prefix = IPv4Prefix("10.0.0.0/8")!
            case .v6Prefix: changed.v6Prefix = IPv6Prefix("fd00::/48")!
            case .apiListenPort: changed.apiListenPort = 1
            case .apiSocketPath: changed.apiSocketPath = "/x"
            case .dnsMode: changed.dnsMode = .off
            case .resolvConfPath: changed.resolvConfPath = "/x"
            case .dnsCacheSize: changed.dnsCacheSize = 1
            case .adminGroup: changed.adminGroup = "wheel"
            case .workerUser: changed.workerUser = "nobody"
            case .tlsCAFile: changed.tlsCAFile = "/x"
            case .tlsInsecure: changed.tlsInsecure = true
            case .autoPauseFailures: changed.autoPauseFailures = 1
            case .autoPauseWindow: changed.autoPauseWindow = .seconds(1)
            case .sessionIdleTimeout: changed.sessionIdleTimeout = .seconds(1)
            case .maxConnectionsPerUser: changed.maxConnectionsPerUser = 1
            case .dnsQueriesPerUser: changed.dnsQueriesPerUser = 0
            }
            XCTAssertEqual(changed.changedKeys(from: base), [key.rawValue])
            // And the text form carries the change.
            XCTAssertEqual(try ConfigLoader.parse(changed.hclText, path: "t"), changed, key.rawValue)
        }
    }

    func testReloadEffects() {
        let restart = ConfigKey.allCases.filter { $0.reloadEffect == .restart }.map(\.rawValue)
        XCTAssertEqual(
            restart,
            [
                "interface_to_use", "log_file", "operational_state_file", "state_file", "v4_prefix", "v6_prefix",
                "api_listen_port", "api_socket_path", "dns_mode", "resolv_conf_path", "worker_user", "tls_ca_file",
            ])
    }
}
