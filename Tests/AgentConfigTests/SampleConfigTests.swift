import AgentConfig
import XCTest

/// The sample file shipped in config/ states the defaults; these tests hold it to that, and hold
/// the text form to parsing back.
final class SampleConfigTests: XCTestCase {
    let samplePath = repositoryRoot + "/config/boundary-client-agent.hcl"

    func testSampleParsesToTheDefaults() throws {
        XCTAssertEqual(try ConfigLoader.load(path: samplePath), AgentConfiguration())
    }

    /// Every "#key = value" line uncommented gives the defaults again: the sample cannot claim a
    /// default the code does not have. Every key but tls_ca_file (unset by default) has such a line.
    func testUncommentedSampleStillGivesTheDefaults() throws {
        let text = try ConfigLoader.readText(path: samplePath)
        var uncommented: [String] = []
        var keys: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("#"), let first = line.dropFirst().first, first.isLetter {
                uncommented.append(String(line.dropFirst()))
                keys.append(String(line.dropFirst().prefix { $0 != " " }))
            } else {
                uncommented.append(String(line))
            }
        }
        let expectedKeys = ConfigKey.allCases.filter { $0 != .tlsCAFile }.map(\.rawValue)
        XCTAssertEqual(keys, expectedKeys, "one default line per key, in key table order")
        XCTAssertEqual(
            try ConfigLoader.parse(uncommented.joined(separator: "\n"), path: samplePath), AgentConfiguration())
    }

    func testDefaults() {
        let c = AgentConfiguration()
        XCTAssertEqual(c.aliasRefreshInterval, .seconds(60))
        XCTAssertEqual(c.dnsRequestTimeout, .seconds(5))
        XCTAssertEqual(c.interfaceToUse, "lo")
        XCTAssertEqual(c.logFile, "/var/log/boundary-client-agent.log")
        XCTAssertEqual(c.logLevel, .info)
        XCTAssertFalse(c.logToStdout)
        XCTAssertEqual(c.operationalStateFile, "/var/lib/boundary-client-agent/operational-state.json")
        XCTAssertEqual(c.overrideUpstreamDNSServers, [])
        XCTAssertEqual(c.stateFile, "/var/lib/boundary-client-agent/state.json")
        XCTAssertEqual(c.v4Prefix.description, "100.64.0.0/10")
        XCTAssertEqual(c.v6Prefix.description, "fd5b:c1a6:e7a0::/64")
        XCTAssertEqual(c.apiListenPort, 9300)
        XCTAssertEqual(c.apiSocketPath, "/run/boundary-client-agent/agent.sock")
        XCTAssertEqual(c.dnsMode, .auto)
        XCTAssertEqual(c.resolvConfPath, "/etc/resolv.conf")
        XCTAssertEqual(c.dnsCacheSize, 10000)
        XCTAssertEqual(c.adminGroup, "sudo")
        XCTAssertEqual(c.workerUser, "boundary-agent")
        XCTAssertNil(c.tlsCAFile)
        XCTAssertFalse(c.tlsInsecure)
        XCTAssertEqual(c.autoPauseFailures, 20)
        XCTAssertEqual(c.autoPauseWindow, .seconds(60))
        XCTAssertEqual(c.sessionIdleTimeout, .seconds(900))
        XCTAssertEqual(c.maxConnectionsPerUser, 1024)
        XCTAssertEqual(c.dnsQueriesPerUser, 2000)
        XCTAssertEqual(c.dnsListenV4.description, "100.64.0.1")
        XCTAssertEqual(c.dnsListenV6.description, "fd5b:c1a6:e7a0::1")
        XCTAssertEqual(AgentConfiguration.defaultPath, "/etc/boundary/boundary-client-agent.hcl")
    }

    func testEverythingSetFileAndTextRoundTrip() throws {
        let c = try ConfigLoader.load(path: repositoryRoot + "/Tests/integration/configs/good/03-everything-set.hcl")
        XCTAssertEqual(
            c.changedKeys(from: AgentConfiguration()), ConfigKey.allCases.map(\.rawValue), "every key differs")
        XCTAssertEqual(c.aliasRefreshInterval, .seconds(90))
        XCTAssertEqual(c.dnsRequestTimeout, .milliseconds(1500))
        XCTAssertEqual(
            c.overrideUpstreamDNSServers.map(\.description), ["127.0.0.53:53", "[::1]:5353", "[fd00::53]:53"])
        XCTAssertEqual(c.v6Prefix.description, "fd00:bca::/48")
        XCTAssertEqual(c.dnsListenV6.description, "fd00:bca::1")
        XCTAssertEqual(c.sessionIdleTimeout, .seconds(5400))
        XCTAssertEqual(c.dnsQueriesPerUser, 500)
        XCTAssertEqual(c.tlsCAFile, "/tmp/bca/ca.pem")
        XCTAssertEqual(try ConfigLoader.parse(c.hclText, path: "text"), c)
        XCTAssertEqual(try ConfigLoader.parse(AgentConfiguration().hclText, path: "text"), AgentConfiguration())
        XCTAssertFalse(AgentConfiguration().hclText.contains("tls_ca_file"))
    }

    func testHCLTextEscapesStrings() throws {
        var c = AgentConfiguration()
        c.logFile = "/var/log/\"odd\" \\ ${name} %{x} $${y} ü"
        let text = c.hclText
        XCTAssertTrue(text.contains(#"log_file = "/var/log/\"odd\" \\ $${name} %%{x} $$${y} ü""#), text)
        XCTAssertEqual(try ConfigLoader.parse(text, path: "text"), c)
    }
}
