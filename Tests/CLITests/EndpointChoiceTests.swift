import XCTest

@testable import AgentCLI

final class EndpointChoiceTests: XCTestCase {
    func choose(
        socket: String? = nil, port: UInt16? = nil, env: [String: String] = [:], exists: Bool = true,
        defaultPort: UInt16 = 9300
    ) throws -> EndpointChoice {
        try EndpointChoice.choose(
            socketFlag: socket, portFlag: port, environment: env, defaultSocket: "/run/x/agent.sock",
            defaultPort: defaultPort, socketExists: { _ in exists })
    }

    func testTable() throws {
        XCTAssertEqual(try choose().endpoint, .unix(path: "/run/x/agent.sock"))
        XCTAssertEqual(
            try choose(exists: false), EndpointChoice(endpoint: .tcp(port: 9300), missingSocket: "/run/x/agent.sock"))
        XCTAssertEqual(try choose(exists: false, defaultPort: 0).endpoint, .unix(path: "/run/x/agent.sock"))
        XCTAssertEqual(try choose(socket: "/tmp/s").endpoint, .unix(path: "/tmp/s"))
        XCTAssertEqual(try choose(port: 9400).endpoint, .tcp(port: 9400))
        XCTAssertEqual(try choose(env: ["BOUNDARY_CLIENT_AGENT_LISTENING_PORT": "9500"]).endpoint, .tcp(port: 9500))
        // A flag beats the environment.
        XCTAssertEqual(
            try choose(socket: "/tmp/s", env: ["BOUNDARY_CLIENT_AGENT_LISTENING_PORT": "9500"]).endpoint,
            .unix(path: "/tmp/s"))
        XCTAssertEqual(
            try choose(env: ["BOUNDARY_CLIENT_AGENT_LISTENING_PORT": ""]).endpoint, .unix(path: "/run/x/agent.sock"))
        for bad in ["0", "65536", "-1", "x"] {
            XCTAssertThrowsError(try choose(env: ["BOUNDARY_CLIENT_AGENT_LISTENING_PORT": bad])) {
                XCTAssertEqual(($0 as? CLIError)?.exitCode, 2)
            }
        }
        XCTAssertThrowsError(try choose(socket: "/tmp/s", port: 1))
        XCTAssertThrowsError(try choose(socket: ""))
    }

    func testNotRunningMessages() {
        XCTAssertEqual(
            EndpointChoice(endpoint: .unix(path: "/run/a.sock")).notRunningMessage(),
            "The Boundary client agent is not running (nothing listens on /run/a.sock). "
                + "Start it with: sudo systemctl start boundary-client-agent")
        XCTAssertTrue(
            EndpointChoice(endpoint: .tcp(port: 9300), missingSocket: "/run/a.sock").notRunningMessage().contains(
                "/run/a.sock does not exist and nothing listens on 127.0.0.1:9300"))
    }

    func testLongSocketPathIsAUsageError() {
        let client = LocalHTTPClient(endpoint: .unix(path: "/" + String(repeating: "a", count: 200)), userAgent: "t")
        XCTAssertThrowsError(try client.send(method: "GET", target: "/v1/status")) {
            XCTAssertEqual(($0 as? CLIError)?.exitCode, 2)
        }
    }
}
