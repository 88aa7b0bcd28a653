import Foundation
import HostState
import XCTest

/// `HostState.FirewallRules`: the nftables table the helper installs.
final class FirewallRulesTests: XCTestCase {
    func rules(_ rate: Int, unlimited: [UInt32] = []) -> FirewallRules {
        FirewallRules(
            v4Prefix: "100.64.0.0/10", v4DNS: "100.64.0.1", proxyPort4: 40001, v6Prefix: "fd5b:c1a6:e7a0::/64",
            v6DNS: "fd5b:c1a6:e7a0::1", proxyPort6: 40002, dnsQueriesPerUser: rate, unlimitedUIDs: unlimited)
    }

    func testNoMeterWhenOff() {
        let text = rules(0).ruleset
        XCTAssertTrue(text.hasPrefix("add table inet boundary_client_agent\ndelete table inet boundary_client_agent\n"))
        XCTAssertTrue(
            text.contains("ip daddr 100.64.0.0/10 ip daddr != 100.64.0.1 meta l4proto tcp redirect to :40001"))
        XCTAssertTrue(text.contains("ip6 daddr fd5b:c1a6:e7a0::/64 ip6 daddr != fd5b:c1a6:e7a0::1 meta l4proto tcp"))
        XCTAssertFalse(text.contains("dns_per_user"))
        XCTAssertFalse(text.contains("skuid"))
        XCTAssertTrue(text.hasSuffix("    }\n}\n"), text)
    }

    func testMeterPerUIDOnBothFamiliesAndTransports() {
        let text = rules(2000).ruleset
        let over = "update @dns_per_user { meta skuid limit rate over 2000/second burst 4000 packets } counter drop"
        XCTAssertTrue(text.contains("set dns_per_user {\n        typeof meta skuid\n"), text)
        XCTAssertTrue(text.contains("flags dynamic,timeout"))
        XCTAssertTrue(text.contains("type filter hook output priority 0; policy accept;"))
        for line in [
            "ip daddr 100.64.0.1 udp dport 53 meta skuid != 0 \(over)",
            "ip6 daddr fd5b:c1a6:e7a0::1 udp dport 53 meta skuid != 0 \(over)",
            "ip daddr 100.64.0.1 tcp dport 53 tcp flags & (syn | ack) == syn meta skuid != 0 \(over)",
            "ip6 daddr fd5b:c1a6:e7a0::1 tcp dport 53 tcp flags & (syn | ack) == syn meta skuid != 0 \(over)",
        ] {
            XCTAssertTrue(text.contains("        " + line + "\n"), line)
        }
        XCTAssertTrue(text.hasSuffix("    }\n}\n"), text)
    }

    func testRootAndCachingStubsAreNotMetered() {
        let text = rules(5, unlimited: [102, 0, 7]).ruleset
        XCTAssertTrue(text.contains("udp dport 53 meta skuid != { 0, 7, 102 } update @dns_per_user"), text)
        XCTAssertTrue(text.contains("limit rate over 5/second burst 10 packets"))
    }

    /// The kernel takes the text (`nft --check`: parsed and validated, not committed), in a network
    /// namespace of its own so the host's ruleset is never involved; root only.
    func testNftAcceptsTheRuleset() throws {
        let tools = ["/usr/sbin/nft", "/usr/bin/unshare"]
        guard getuid() == 0, tools.allSatisfy(FileManager.default.isExecutableFile(atPath:)) else {
            throw XCTSkip("needs root, nft and unshare")
        }
        for r in [rules(0), rules(2000, unlimited: [101, 102])] {
            let nft = Process()
            nft.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
            nft.arguments = ["--net", "/usr/sbin/nft", "--check", "-f", "-"]
            let input = Pipe()
            let errors = Pipe()
            nft.standardInput = input
            nft.standardError = errors
            try nft.run()
            input.fileHandleForWriting.write(Data(r.ruleset.utf8))
            try input.fileHandleForWriting.close()
            nft.waitUntilExit()
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            XCTAssertEqual(nft.terminationStatus, 0, message + "\n" + r.ruleset)
        }
    }
}
