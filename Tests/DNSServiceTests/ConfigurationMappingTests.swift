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
}
