import AgentConfig
import DNSService
import NIOCore
import XCTest

final class ConfigurationMappingTests: XCTestCase {
    func testAgentConfigurationMapsOntoTheServer() throws {
        var agent = AgentConfiguration()
        agent.dnsRequestTimeout = .milliseconds(1500)
        agent.dnsCacheSize = 0
        let system = [
            try XCTUnwrap(UpstreamServer("192.0.2.53")), try XCTUnwrap(UpstreamServer("[2001:db8::53]:5353")),
        ]
        let fromSystem = DNSServerConfiguration(agent: agent, systemUpstreams: system)
        XCTAssertEqual(fromSystem.requestTimeout, .milliseconds(1500))
        XCTAssertEqual(fromSystem.cacheSize, 0)
        XCTAssertEqual(
            fromSystem.upstreams,
            [
                try SocketAddress(ipAddress: "192.0.2.53", port: 53),
                try SocketAddress(ipAddress: "2001:db8::53", port: 5353),
            ])
        agent.overrideUpstreamDNSServers = [try XCTUnwrap(UpstreamServer("127.0.0.1:5301"))]
        XCTAssertEqual(
            DNSServerConfiguration(agent: agent, systemUpstreams: system).upstreams,
            [try SocketAddress(ipAddress: "127.0.0.1", port: 5301)])
    }

    /// A link-local system resolver is connected on its interface (`sin6_scope_id`), and its address
    /// keeps the zone as text for the upstream's label.
    func testLinkLocalUpstreamCarriesItsInterface() throws {
        let linkLocal = UpstreamServer(
            address: .v6(IPv6Address(high: 0xfe80_0000_0000_0000, low: 0x53)), link: .init(index: 7, name: "eth1"))
        let upstreams = DNSServerConfiguration(agent: AgentConfiguration(), systemUpstreams: [linkLocal]).upstreams
        guard upstreams.count == 1, case .v6(let v6) = upstreams[0] else { return XCTFail("\(upstreams)") }
        XCTAssertEqual(v6.address.sin6_scope_id, 7)
        XCTAssertEqual(v6.host, "fe80::53%eth1")
        XCTAssertEqual(upstreams[0].port, 53)
        XCTAssertEqual(upstreams[0].ipAddress, "fe80::53")
    }
}
