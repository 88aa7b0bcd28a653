import AgentConfig
import XCTest

/// Every key with good values (the typed result) and bad ones (the exact message).
final class KeyTests: XCTestCase {
    func testAliasRefreshInterval() {
        XCTAssertEqual(parsed("alias_refresh_interval = \"90s\"").aliasRefreshInterval, .seconds(90))
        XCTAssertEqual(parsed("alias_refresh_interval = \"1h30m\"").aliasRefreshInterval, .seconds(5400))
        assertValue(
            "alias_refresh_interval", "\"soon\"", rejectedAt: 26,
            "alias_refresh_interval \"soon\" is not a duration: expected numbers with units, such as \"90s\" or \"1h30m\""
        )
        assertValue(
            "alias_refresh_interval", "true", rejectedAt: 26,
            "alias_refresh_interval must be a duration string such as \"1m\", not a bool")
    }

    func testDNSRequestTimeout() {
        XCTAssertEqual(parsed("dns_request_timeout = \"500ms\"").dnsRequestTimeout, .milliseconds(500))
        XCTAssertEqual(parsed("dns_request_timeout = \"300s\"").dnsRequestTimeout, .seconds(300))
        assertValue(
            "dns_request_timeout", "\"-5s\"", rejectedAt: 23, "dns_request_timeout must be positive, not \"-5s\"")
        assertValue(
            "dns_request_timeout", "\"5\"", rejectedAt: 23,
            "dns_request_timeout \"5\" is not a duration: missing unit after 5 (use ns, us, ms, s, m or h, as in \"5s\")"
        )
        assertValue(
            "dns_request_timeout", "5s", rejectedAt: 23, "unquoted duration 5s; durations are strings: write \"5s\"")
    }

    func testInterfaceToUse() {
        XCTAssertEqual(parsed("interface_to_use = \"wlp2s0\"").interfaceToUse, "wlp2s0")
        XCTAssertEqual(parsed("interface_to_use = \"exactly15chars_\"").interfaceToUse, "exactly15chars_")
        assertValue("interface_to_use", "\"\"", rejectedAt: 20, "interface_to_use must not be empty")
        assertValue(
            "interface_to_use", "\"eth 0\"", rejectedAt: 20,
            "interface_to_use \"eth 0\" is not a valid interface name (no \"/\", \":\" or spaces)")
        assertValue(
            "interface_to_use", "\"eth0:1\"", rejectedAt: 20,
            "interface_to_use \"eth0:1\" is not a valid interface name (no \"/\", \":\" or spaces)")
        assertValue(
            "interface_to_use", "\"..\"", rejectedAt: 20,
            "interface_to_use \"..\" is not a valid interface name (no \"/\", \":\" or spaces)")
        assertValue(
            "interface_to_use", "\"sixteen_chars_xx\"", rejectedAt: 20,
            "interface_to_use \"sixteen_chars_xx\" is 16 bytes long; Linux interface names have at most 15")
        assertValue(
            "interface_to_use", "en1", rejectedAt: 20, "en1 is not a value; write it as a string: \"en1\"")
        assertValue(
            "interface_to_use", "0", rejectedAt: 20,
            "interface_to_use must be a string, not a number; write it in quotes: \"0\"")
    }

    func testPathKeys() {
        let c = parsed(
            """
            log_file = "/l"
            operational_state_file = "/o"
            state_file = "/s"
            api_socket_path = "/a"
            resolv_conf_path = "/r"
            tls_ca_file = "/c"
            """)
        XCTAssertEqual(
            [c.logFile, c.operationalStateFile, c.stateFile, c.apiSocketPath, c.resolvConfPath, c.tlsCAFile],
            ["/l", "/o", "/s", "/a", "/r", "/c"])
        for key in ConfigKey.allCases where key.isPath {
            let column = key.rawValue.count + 4
            assertValue(key.rawValue, "\"x\"", rejectedAt: column, "\(key) must be an absolute path, not \"x\"")
            assertValue(key.rawValue, "\"\"", rejectedAt: column, "\(key) must be an absolute path, not \"\"")
            assertValue(
                key.rawValue, "\"/a\\nb\"", rejectedAt: column, "\(key) must not contain control characters")
            assertValue(key.rawValue, "[\"/x\"]", rejectedAt: column, "\(key) must be a path string, not a list")
        }
    }

    func testAPISocketPathLength() {
        let longest = "/" + String(repeating: "s", count: 106)
        XCTAssertEqual(parsed("api_socket_path = \"\(longest)\"").apiSocketPath, longest)
        assertValue(
            "api_socket_path", "\"\(longest)s\"", rejectedAt: 19,
            "api_socket_path is 108 bytes long; a unix socket path can have at most 107")
    }

    func testLogLevel() {
        XCTAssertEqual(parsed("log_level = \"DEBUG\"").logLevel, .debug)
        XCTAssertEqual(parsed("log_level = \"Warning\"").logLevel, .warn)
        XCTAssertEqual(parsed("log_level = \"warn\"").logLevel, .warn)
        XCTAssertEqual(parsed("log_level = \"trace\"").logLevel, .trace)
        XCTAssertEqual(parsed("log_level = \"error\"").logLevel, .error)
        XCTAssertEqual(parsed("log_level = \"info\"").logLevel, .info)
        assertValue(
            "log_level", "\"fatal\"", rejectedAt: 13,
            "log_level \"fatal\" is not one of trace, debug, info, warn, error")
        assertValue(
            "log_level", "3", rejectedAt: 13, "log_level must be a string, not a number; write it in quotes: \"3\"")
    }

    func testLogToStdoutAndTLSInsecure() {
        XCTAssertTrue(parsed("log_to_stdout = true").logToStdout)
        XCTAssertFalse(parsed("log_to_stdout = false").logToStdout)
        XCTAssertTrue(parsed("tls_insecure = true").tlsInsecure)
        assertValue("log_to_stdout", "1", rejectedAt: 17, "log_to_stdout must be true or false, not a number")
        assertValue("tls_insecure", "yes", rejectedAt: 16, "yes is not a value; write it as a string: \"yes\"")
        assertValue(
            "tls_insecure", "\"FALSE\"", rejectedAt: 16,
            "tls_insecure must be true or false, not a string; remove the quotes")
        assertValue("log_to_stdout", "True", rejectedAt: 17, "True is not a value; write it as a string: \"True\"")
    }

    func testOverrideUpstreamDNSServers() throws {
        let c = parsed(
            #"override_upstream_dns_servers = ["10.0.0.1", "8.8.4.4:5353", "[fd00::53]:54", "2001:db8::1", "[::1]"]"#)
        XCTAssertEqual(
            c.overrideUpstreamDNSServers.map(\.description),
            [
                "10.0.0.1:53", "8.8.4.4:5353", "[fd00::53]:54", "[2001:db8::1]:53", "[::1]:53",
            ])
        XCTAssertEqual(c.overrideUpstreamDNSServers[0].hostBytes, [10, 0, 0, 1])
        XCTAssertEqual(c.overrideUpstreamDNSServers[0].family, .v4)
        XCTAssertEqual(c.overrideUpstreamDNSServers[2].family, .v6)
        XCTAssertEqual(c.overrideUpstreamDNSServers[2].port, 54)
        XCTAssertEqual(parsed("override_upstream_dns_servers = []").overrideUpstreamDNSServers, [])
        let key = "override_upstream_dns_servers"
        assertValue(key, "[\"\"]", rejectedAt: 34, "\(key) entry \"\" is empty")
        assertValue(
            key, "[\"8.8.8.8:65536\"]", rejectedAt: 34, "\(key) entry \"8.8.8.8:65536\": port 65536 is outside 1..65535"
        )
        assertValue(
            key, "[\"8.8.8.8:dns\"]", rejectedAt: 34, "\(key) entry \"8.8.8.8:dns\": port \"dns\" is not a number")
        assertValue(key, "[\"[fd00::1]:\"]", rejectedAt: 34, "\(key) entry \"[fd00::1]:\": port \"\" is not a number")
        assertValue(
            key, "[\"10.0.0\"]", rejectedAt: 34, "\(key) entry \"10.0.0\" is not an IP address, ip:port or [ipv6]:port")
        assertValue(
            key, "[\"[10.0.0.1]:53\"]", rejectedAt: 34,
            "\(key) entry \"[10.0.0.1]:53\" is not an IP address, ip:port or [ipv6]:port")
        assertValue(key, "[\"0.0.0.0\"]", rejectedAt: 34, "\(key) entry \"0.0.0.0\" is the unspecified address")
        assertValue(
            key, "[\"dns.google:53\"]", rejectedAt: 34,
            "\(key) entry \"dns.google:53\" is a host name; use an IP address (names cannot be resolved before the agent's resolver is up)"
        )
        assertValue(key, "[[\"1.1.1.1\"]]", rejectedAt: 34, "\(key) entries must be strings, not a list")
        assertValue(
            key, "53", rejectedAt: 33,
            "\(key) must be a list of strings such as [\"10.0.0.1\", \"8.8.8.8:53\"], not a number")
        assertRejected(
            "\(key) = [\"fd5b:c1a6:e7a0::1\", \"100.127.255.255:53\"]\n",
            [
                "t.hcl:1:34: \(key) entry \"fd5b:c1a6:e7a0::1\" is inside v6_prefix fd5b:c1a6:e7a0::/64; the agent would forward to itself",
                "t.hcl:1:55: \(key) entry \"100.127.255.255:53\" is inside v4_prefix 100.64.0.0/10; the agent would forward to itself",
            ])
        // The check follows the configured prefix, wherever it is written.
        XCTAssertEqual(
            diagnostics("\(key) = [\"10.1.0.1\"]\nv4_prefix = \"10.1.0.0/16\"\n"),
            ["t.hcl:1:34: \(key) entry \"10.1.0.1\" is inside v4_prefix 10.1.0.0/16; the agent would forward to itself"]
        )
        // A bad prefix is reported once, not again through the servers.
        XCTAssertEqual(
            diagnostics("\(key) = [\"10.1.0.1\"]\nv4_prefix = \"10.1.0.0/24\"\n"),
            ["t.hcl:2:13: v4_prefix \"10.1.0.0/24\" is a /24; the length must be /8 to /16"])
    }

    func testV4Prefix() {
        let c = parsed("v4_prefix = \"10.0.0.0/8\"")
        XCTAssertEqual(c.v4Prefix.description, "10.0.0.0/8")
        XCTAssertEqual(c.dnsListenV4.description, "10.0.0.1")
        XCTAssertEqual(parsed("v4_prefix = \"172.16.0.0/16\"").v4Prefix.length, 16)
        let key = "v4_prefix"
        assertValue(
            key, "\"100.64.0.0/7\"", rejectedAt: 13, "v4_prefix \"100.64.0.0/7\" is a /7; the length must be /8 to /16")
        assertValue(
            key, "\"100.64.0.0/17\"", rejectedAt: 13,
            "v4_prefix \"100.64.0.0/17\" is a /17; the length must be /8 to /16")
        assertValue(
            key, "\"100.64.0.0\"", rejectedAt: 13,
            "v4_prefix \"100.64.0.0\" has no length; write a prefix such as \"100.64.0.0/10\"")
        assertValue(
            key, "\"100.64.0.0/\"", rejectedAt: 13,
            "v4_prefix \"100.64.0.0/\" is not an IPv4 prefix such as \"100.64.0.0/10\"")
        assertValue(
            key, "\"100.64.0.0/-8\"", rejectedAt: 13,
            "v4_prefix \"100.64.0.0/-8\" is not an IPv4 prefix such as \"100.64.0.0/10\"")
        assertValue(
            key, "\"cgnat\"", rejectedAt: 13, "v4_prefix \"cgnat\" is not an IPv4 prefix such as \"100.64.0.0/10\"")
        assertValue(
            key, "\"1.1.1.1/8\"", rejectedAt: 13,
            "v4_prefix \"1.1.1.1/8\" has host bits set; did you mean \"1.0.0.0/8\"?")
        assertValue(
            key, "\"0.0.0.0/8\"", rejectedAt: 13, "v4_prefix \"0.0.0.0/8\" overlaps 0.0.0.0/8 (\"this network\")")
        assertValue(
            key, "\"224.0.0.0/8\"", rejectedAt: 13,
            "v4_prefix \"224.0.0.0/8\" overlaps 224.0.0.0/3 (multicast and reserved)")
        assertValue(
            key, "\"127.1.0.0/16\"", rejectedAt: 13, "v4_prefix \"127.1.0.0/16\" overlaps 127.0.0.0/8 (loopback)")
        assertValue(key, "\"::/64\"", rejectedAt: 13, "v4_prefix \"::/64\" is an IPv6 prefix; IPv6 goes in v6_prefix")
    }

    func testV6Prefix() {
        let c = parsed("v6_prefix = \"fd00:1:2::/48\"")
        XCTAssertEqual(c.v6Prefix.description, "fd00:1:2::/48")
        XCTAssertEqual(c.dnsListenV6.description, "fd00:1:2::1")
        XCTAssertEqual(parsed("v6_prefix = \"FC00::AB:0/112\"").v6Prefix.description, "fc00::ab:0/112")
        let key = "v6_prefix"
        assertValue(
            key, "\"fd00::/47\"", rejectedAt: 13, "v6_prefix \"fd00::/47\" is a /47; the length must be /48 to /112")
        assertValue(
            key, "\"fd00::/113\"", rejectedAt: 13, "v6_prefix \"fd00::/113\" is a /113; the length must be /48 to /112")
        assertValue(
            key, "\"fe80::/64\"", rejectedAt: 13,
            "v6_prefix \"fe80::/64\" is not inside fc00::/7 (unique local addresses)")
        assertValue(
            key, "\"fd00::\"", rejectedAt: 13,
            "v6_prefix \"fd00::\" has no length; write a prefix such as \"fd5b:c1a6:e7a0::/64\"")
        assertValue(
            key, "\"fd00:::/64\"", rejectedAt: 13,
            "v6_prefix \"fd00:::/64\" is not an IPv6 prefix such as \"fd5b:c1a6:e7a0::/64\"")
        assertValue(
            key, "\"10.0.0.0/8\"", rejectedAt: 13, "v6_prefix \"10.0.0.0/8\" is an IPv4 prefix; IPv4 goes in v4_prefix")
        assertValue(
            key, "\"fd00::1:1/112\"", rejectedAt: 13,
            "v6_prefix \"fd00::1:1/112\" has host bits set; did you mean \"fd00::1:0/112\"?")
    }

    func testAPIListenPort() {
        XCTAssertEqual(parsed("api_listen_port = 0").apiListenPort, 0)
        XCTAssertEqual(parsed("api_listen_port = 65535").apiListenPort, 65535)
        assertValue(
            "api_listen_port", "-1", rejectedAt: 19, "api_listen_port -1 is outside 0..65535 (0 turns the TCP API off)")
        assertValue("api_listen_port", "9300.0", rejectedAt: 19, "api_listen_port must be a whole number, not 9300.0")
        assertValue("api_listen_port", "9e3", rejectedAt: 19, "api_listen_port must be a whole number, not 9e3")
    }

    func testDNSMode() {
        XCTAssertEqual(parsed("dns_mode = \"resolv.conf\"").dnsMode, .resolvConf)
        XCTAssertEqual(parsed("dns_mode = \"systemd-resolved\"").dnsMode, .systemdResolved)
        XCTAssertEqual(parsed("dns_mode = \"OFF\"").dnsMode, .off)
        XCTAssertEqual(parsed("dns_mode = \"auto\"").dnsMode, .auto)
        assertValue(
            "dns_mode", "\"resolvconf\"", rejectedAt: 12,
            "dns_mode \"resolvconf\" is not one of auto, resolv.conf, systemd-resolved, off")
    }

    func testDNSCacheSize() {
        XCTAssertEqual(parsed("dns_cache_size = 0").dnsCacheSize, 0)
        XCTAssertEqual(parsed("dns_cache_size = 1000000").dnsCacheSize, 1_000_000)
        assertValue(
            "dns_cache_size", "1000001", rejectedAt: 18,
            "dns_cache_size 1000001 is outside 0..1000000 (0 turns the cache off)")
        assertValue(
            "dns_cache_size", "\"100\"", rejectedAt: 18,
            "dns_cache_size must be a number, not a string; remove the quotes")
    }

    func testAdminGroupAndWorkerUser() {
        XCTAssertEqual(parsed("admin_group = \"\"").adminGroup, "")
        XCTAssertEqual(parsed("admin_group = \"wheel\"").adminGroup, "wheel")
        XCTAssertEqual(parsed("worker_user = \"_bca-worker\"").workerUser, "_bca-worker")
        assertValue("admin_group", "\"a:b\"", rejectedAt: 15, "admin_group \"a:b\" is not a valid group name")
        assertValue("admin_group", "\"-wheel\"", rejectedAt: 15, "admin_group \"-wheel\" is not a valid group name")
        assertValue(
            "admin_group", "\"\(String(repeating: "g", count: 33))\"", rejectedAt: 15,
            "admin_group \"\(String(repeating: "g", count: 33))\" is not a valid group name")
        assertValue("worker_user", "\"\"", rejectedAt: 15, "worker_user must not be empty")
        assertValue("worker_user", "\"a b\"", rejectedAt: 15, "worker_user \"a b\" is not a valid user name")
        assertValue(
            "worker_user", "\"0\"", rejectedAt: 15,
            "worker_user must not be root: the workers' sandbox relies on an unprivileged user")
    }

    func testTLSCAFile() {
        XCTAssertNil(parsed("").tlsCAFile)
        XCTAssertEqual(parsed("tls_ca_file = \"/etc/ssl/ca.pem\"").tlsCAFile, "/etc/ssl/ca.pem")
        assertValue("tls_ca_file", "\"ca.pem\"", rejectedAt: 15, "tls_ca_file must be an absolute path, not \"ca.pem\"")
    }

    func testAutoPause() {
        let c = parsed("auto_pause_failures = 0\nauto_pause_window = \"30s\"")
        XCTAssertEqual(c.autoPauseFailures, 0)
        XCTAssertEqual(c.autoPauseWindow, .seconds(30))
        assertValue(
            "auto_pause_failures", "-1", rejectedAt: 23, "auto_pause_failures -1 must not be negative (0 never pauses)")
        assertValue(
            "auto_pause_window", "\"0\"", rejectedAt: 21, "auto_pause_window must be positive, not \"0\"")
    }

    func testSessionIdleTimeout() {
        XCTAssertEqual(parsed("session_idle_timeout = \"2h\"").sessionIdleTimeout, .seconds(7200))
        assertValue(
            "session_idle_timeout", "\"forever\"", rejectedAt: 24,
            "session_idle_timeout \"forever\" is not a duration: expected numbers with units, such as \"90s\" or \"1h30m\""
        )
    }

    func testMaxConnectionsPerUser() {
        XCTAssertEqual(parsed("max_connections_per_user = 1").maxConnectionsPerUser, 1)
        assertValue(
            "max_connections_per_user", "0", rejectedAt: 28, "max_connections_per_user 0 must be at least 1")
    }

    func testDNSQueriesPerUser() {
        XCTAssertEqual(parsed("dns_queries_per_user = 0").dnsQueriesPerUser, 0)
        XCTAssertEqual(parsed("dns_queries_per_user = 1000000").dnsQueriesPerUser, 1_000_000)
        assertValue(
            "dns_queries_per_user", "-1", rejectedAt: 24,
            "dns_queries_per_user -1 is outside 0..1000000 (0 turns the limit off)")
        assertValue(
            "dns_queries_per_user", "1000001", rejectedAt: 24,
            "dns_queries_per_user 1000001 is outside 0..1000000 (0 turns the limit off)")
        assertValue(
            "dns_queries_per_user", "\"2000\"", rejectedAt: 24,
            "dns_queries_per_user must be a number, not a string; remove the quotes")
    }

    func testUnknownKeysSuggestNearKeys() {
        assertRejected("LOG_LEVEL = \"info\"\n", ["t.hcl:1:1: unknown key \"LOG_LEVEL\"; did you mean \"log_level\"?"])
        assertRejected("log-file = \"/x\"\n", ["t.hcl:1:1: unknown key \"log-file\"; did you mean \"log_file\"?"])
        assertRejected(
            "upstream_dns_servers = []\n",
            ["t.hcl:1:1: unknown key \"upstream_dns_servers\"; did you mean \"override_upstream_dns_servers\"?"])
        assertRejected("listener = 1\n", ["t.hcl:1:1: unknown key \"listener\""])
        assertRejected("dns = 1\n", ["t.hcl:1:1: unknown key \"dns\""])
    }

    func testEveryKeyIsDocumentedInTheSampleAndTheDocs() throws {
        let sample = try ConfigLoader.readText(path: repositoryRoot + "/config/boundary-client-agent.hcl")
        let docs = try ConfigLoader.readText(path: repositoryRoot + "/docs/configuration.md")
        for key in ConfigKey.allCases {
            XCTAssertTrue(sample.contains("#\(key) = ") || sample.contains("#   \(key) = "), "\(key) not in the sample")
            XCTAssertTrue(docs.contains("| `\(key)` |"), "\(key) not in docs/configuration.md")
        }
    }
}
