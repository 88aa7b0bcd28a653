import AgentAPI
import ArgumentParser
import XCTest

@testable import AgentCLI

/// Parsing, usage errors and exit statuses: 0 success, 1 error, 2 usage (never ArgumentParser's 64).
final class ArgumentParsingTests: XCTestCase {
    let missingSocket = ["-socket", "/nonexistent/bca-clitest.sock"]

    func testSingleDashFlagsParse() throws {
        let status = try XCTUnwrap(
            BoundaryAgentCommand.parseAsRoot(["status", "-format", "json", "-client-agent-port", "9311"])
                as? StatusCommand)
        XCTAssertEqual(status.globals.format, .json)
        XCTAssertEqual(status.globals.clientAgentPort, 9311)
        let equals = try XCTUnwrap(BoundaryAgentCommand.parseAsRoot(["sessions", "-format=json"]) as? SessionsCommand)
        XCTAssertEqual(equals.globals.format, .json)
        let pause = try XCTUnwrap(BoundaryAgentCommand.parseAsRoot(["pause", "-scope", "user"]) as? PauseCommand)
        XCTAssertEqual(pause.scope, .user)
        let login = try XCTUnwrap(
            BoundaryAgentCommand.parseAsRoot([
                "login", "-addr", "https://c.example:9200", "-auth-method-id", "ampw_1", "-login-name", "alice",
                "-password", "env://PW", "-tls-insecure", "-ca-cert", "/tmp/ca.pem", "-socket", "/tmp/s",
            ]) as? LoginCommand)
        XCTAssertEqual(login.addr, "https://c.example:9200")
        XCTAssertEqual(login.authMethodID, "ampw_1")
        XCTAssertEqual(login.loginName, "alice")
        XCTAssertEqual(login.password, "env://PW")
        XCTAssertTrue(login.tlsInsecure)
        XCTAssertEqual(login.caCert, "/tmp/ca.pem")
        XCTAssertEqual(login.globals.socket, "/tmp/s")
        let explain = try XCTUnwrap(BoundaryAgentCommand.parseAsRoot(["explain", "db.corp."]) as? ExplainCommand)
        XCTAssertEqual(explain.name, "db.corp.")
        XCTAssertNotNil(try BoundaryAgentCommand.parseAsRoot(["token", "add"]) as? TokenAddCommand)
    }

    func testUsageErrorsExitTwo() {
        let cases: [[String]] = [
            ["status", "-bogus"],
            ["status", "-format", "xml"],
            ["status", "--format", "json"],
            ["status", "-client-agent-port", "seventy"],
            ["status", "-client-agent-port", "70000"],
            ["frobnicate"],
            ["explain"],
            ["pause", "-scope", "everyone"],
            [],
            ["token"],
            ["status", "-socket", "/tmp/a", "-client-agent-port", "9300"],
            ["status", "-client-agent-port", "0"],
        ]
        for arguments in cases {
            let world = TestWorld()
            XCTAssertEqual(world.run(arguments), 2, "\(arguments)")
            XCTAssertFalse(world.err.text.isEmpty, "\(arguments) says why")
            XCTAssertEqual(world.out.text, "", "\(arguments) prints nothing on stdout")
        }
    }

    func testHelpExitsZeroOnStandardOutput() {
        for arguments in [["-help"], ["-h"], ["status", "-help"], ["help", "login"], ["login", "--help"]] {
            let world = TestWorld()
            XCTAssertEqual(world.run(arguments), 0, "\(arguments)")
            XCTAssertTrue(world.out.text.contains("USAGE"), "\(arguments): \(world.out.text)")
        }
        let world = TestWorld()
        XCTAssertEqual(world.run(["login", "-help"]), 0)
        XCTAssertTrue(world.out.text.contains("-auth-method-id"))
        XCTAssertTrue(world.out.text.contains("-password <ref>"))
    }

    func testEnvironmentPortSelectsTCPAndBadValueIsUsage() throws {
        var world = TestWorld(environment: ["BOUNDARY_CLIENT_AGENT_LISTENING_PORT": "9"])
        // Port 9 (discard) has no listener on loopback here: "not running", an error, not usage.
        XCTAssertEqual(world.run(["status"]), 1)
        XCTAssertTrue(world.err.text.contains("127.0.0.1:9"), world.err.text)
        world = TestWorld(environment: ["BOUNDARY_CLIENT_AGENT_LISTENING_PORT": "port"])
        XCTAssertEqual(world.run(["status"]), 2)
        XCTAssertTrue(world.err.text.contains("BOUNDARY_CLIENT_AGENT_LISTENING_PORT=port is not a port"))
    }

    func testPasswordOnTheCommandLineIsRefusedWithoutRepeatingIt() {
        let world = TestWorld()
        XCTAssertEqual(world.run(["login", "-auth-method-id", "ampw_1", "-password", "hunter2"]), 2)
        XCTAssertFalse(world.err.text.contains("hunter2"), world.err.text)
        XCTAssertTrue(world.err.text.contains("env://VARIABLE or file://PATH"))
        XCTAssertTrue(world.login.requests.isEmpty)
    }

    func testTokenOnTheCommandLineIsRefusedWithoutRepeatingIt() {
        let world = TestWorld()
        XCTAssertEqual(world.run(["token", "add", FakeLogin.secretToken]), 2)
        XCTAssertFalse(world.err.text.contains("SecretPart"), world.err.text)
        XCTAssertTrue(world.err.text.contains("never from the command line"))
    }

    func testAgentNotRunningIsOneLineAndExitOne() {
        let world = TestWorld()
        XCTAssertEqual(world.run(["status"] + missingSocket), 1)
        XCTAssertEqual(world.err.text.filter { $0 == "\n" }.count, 1, world.err.text)
        XCTAssertTrue(world.err.text.contains("not running"))
        XCTAssertTrue(world.err.text.contains("systemctl start boundary-client-agent"))
        XCTAssertEqual(world.out.text, "")
    }

    func testDefaultFallsBackToTCPOnlyWhenTheSocketIsMissing() {
        let missing = TestWorld(socketExists: false)
        XCTAssertEqual(missing.run(["status", "-client-agent-port", "9"]), 1)
        // With the socket missing and no flags: TCP 9300, and the message names both.
        let defaulted = TestWorld(socketExists: false)
        var context = defaulted.context
        context.configuration.apiListenPort = 9
        XCTAssertEqual(CLIMain.run(["status"], context: context), 1)
        XCTAssertTrue(
            defaulted.err.text.contains(
                "/run/boundary-client-agent/agent.sock does not exist and nothing listens on 127.0.0.1:9"),
            defaulted.err.text)
    }

    func testVersionWorksWithoutAnAgent() {
        let world = TestWorld()
        XCTAssertEqual(world.run(["version"] + missingSocket), 0)
        XCTAssertTrue(world.out.text.contains("boundary-agent:"))
        XCTAssertTrue(world.out.text.contains("not running"))
        let json = TestWorld()
        XCTAssertEqual(json.run(["version", "-format", "json"] + missingSocket), 0)
        XCTAssertTrue(json.out.text.contains("\"agent_version\": null"), json.out.text)
    }
}

/// The completion scripts and the man page come from the same definitions: they must carry the
/// single-dash names.
final class GeneratedDocsTests: XCTestCase {
    func testCompletionScriptsUseSingleDashNames() {
        for shell in [CompletionShell.bash, .zsh, .fish] {
            let script = BoundaryAgentCommand.completionScript(for: shell)
            for name in ["format", "client-agent-port", "socket", "auth-method-id", "login-name"] {
                // fish spells a single-dash long option `-o NAME` (and a double-dash one `-l NAME`).
                let spelled = shell == .fish ? "-o '\(name)'" : "-\(name)"
                XCTAssertTrue(script.contains(spelled), "\(shell) lacks \(spelled)")
                XCTAssertFalse(script.contains("--\(name)"), "\(shell) offers --\(name)")
            }
            XCTAssertTrue(script.contains("explain"), "\(shell)")
        }
    }
}
