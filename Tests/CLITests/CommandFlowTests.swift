import AgentAPI
import JSON
import XCTest

@testable import AgentCLI

/// Whole commands against a canned local API on a real unix socket: what is sent, what is printed,
/// what the exit status is.
final class CommandFlowTests: XCTestCase {
    static let statusBody =
        #"{"boundary_addr":"http://127.0.0.1:9200","auth_token_id":"at_1234567890","auth_token_expiry":"2027-01-22T07:58:09Z","version":"0.1.0","status":"running","errors":[],"warnings":[],"uid":1001,"events":[]}"#

    func server(_ responses: String...) throws -> CannedServer {
        let s = try CannedServer(responses: responses)
        addTeardownBlock { s.finish() }
        return s
    }

    func testStatusTableAndJSON() throws {
        let s = try server(CannedServer.json(200, Self.statusBody), CannedServer.json(200, Self.statusBody))
        let table = TestWorld()
        XCTAssertEqual(table.run(["status", "-socket", s.path]), 0)
        XCTAssertTrue(table.out.text.contains("  Auth Token Expiration:   167h58m9s\n"), table.out.text)
        XCTAssertTrue(table.out.text.contains("  OS User:                 alice (uid 1001)\n"))
        let json = TestWorld()
        XCTAssertEqual(json.run(["status", "-format", "json", "-socket", s.path]), 0)
        // Exactly the agent's body, pretty-printed.
        XCTAssertEqual(try JSONValue(parsing: json.out.text), try JSONValue(parsing: Self.statusBody))
        XCTAssertTrue(json.out.text.hasPrefix("{\n  \"auth_token_expiry\": "), json.out.text)
        XCTAssertTrue(s.requests[0].hasPrefix("GET /v1/status HTTP/1.1\r\n"), s.requests[0])
    }

    func testAPIErrorsPrintTheMessageAndExitOne() throws {
        let body =
            #"{"kind":"PermissionDenied","message":"only root or members of group sudo may pause the whole agent"}"#
        let s = try server(CannedServer.json(403, body, reason: "Forbidden"), CannedServer.json(403, body))
        let table = TestWorld()
        XCTAssertEqual(table.run(["pause", "-scope", "agent", "-socket", s.path]), 1)
        XCTAssertEqual(
            table.err.text,
            "Error from the client agent: only root or members of group sudo may pause the whole agent "
                + "(HTTP 403, PermissionDenied)\n")
        XCTAssertEqual(table.out.text, "")
        XCTAssertTrue(s.requests[0].hasPrefix("POST /v1/pause?scope=agent HTTP/1.1\r\n"), s.requests[0])
        let json = TestWorld()
        XCTAssertEqual(json.run(["pause", "-format", "json", "-socket", s.path]), 1)
        let printed = try JSONValue(parsing: json.err.text)
        XCTAssertEqual(printed["status_code"], 403)
        XCTAssertEqual(printed["api_error"]?["kind"], "PermissionDenied")
    }

    func testAnswersThatAreNotTheAgentsAreErrors() throws {
        let s = try server(
            "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 15\r\n\r\n<html>bad</html",
            CannedServer.json(200, "not json"), CannedServer.json(200, #"{"status":"weird"}"#), "garbage\r\n\r\n")
        for (arguments, needle) in [
            (["status"], "<html>bad</html"), (["status"], "not JSON"), (["status"], "unknown status"),
            (["status"], "not valid HTTP"),
        ] {
            let world = TestWorld()
            XCTAssertEqual(world.run(arguments + ["-socket", s.path]), 1)
            XCTAssertTrue(world.err.text.contains(needle), world.err.text)
        }
    }

    func testLoginWithThePasswordFromTheEnvironment() throws {
        let s = try server(CannedServer.json(200, Self.statusBody), CannedServer.json(200, Self.statusBody))
        let world = TestWorld(environment: [
            "BOUNDARY_ADDR": "http://ctl:9200", "BOUNDARY_AUTH_METHOD_ID": "ampw_1234567890",
            "BOUNDARY_AUTHENTICATE_PASSWORD_PASSWORD": "pa55word",
        ])
        XCTAssertEqual(world.run(["login", "-login-name", "user", "-socket", s.path]), 0, world.err.text)
        let request = try XCTUnwrap(world.login.requests.first)
        XCTAssertEqual(request.address, "http://ctl:9200")
        XCTAssertEqual(request.authMethodID, "ampw_1234567890")
        XCTAssertEqual(request.loginName, "user")
        XCTAssertEqual(request.password, "pa55word")
        XCTAssertFalse(request.tlsInsecure)
        // The agent is asked first (is it there?), then gets the token in the body.
        XCTAssertTrue(s.requests[0].hasPrefix("GET /v1/status "))
        XCTAssertTrue(s.requests[1].hasPrefix("POST /v1/tokens HTTP/1.1\r\n"))
        let body = try JSONValue(parsing: String(s.requests[1].split(separator: "\r\n\r\n", maxSplits: 1)[1]))
        XCTAssertEqual(body, ["boundary_addr": "http://ctl:9200", "token": .string(FakeLogin.secretToken)])
        // The token is never printed.
        XCTAssertFalse(world.out.text.contains("SecretPart"))
        XCTAssertTrue(world.out.text.contains("Auth Method ID:    ampw_1234567890"), world.out.text)
        XCTAssertTrue(world.out.text.contains("now uses this token (at_1234567890) for alice (uid 1001)"))
    }

    func testLoginPasswordSources() throws {
        let responses = Array(repeating: CannedServer.json(200, Self.statusBody), count: 6)
        let s = try CannedServer(responses: responses)
        addTeardownBlock { s.finish() }
        let base = ["login", "-auth-method-id", "ampw_1", "-login-name", "u", "-socket", s.path]

        let fromFile = TestWorld()
        fromFile.input.files["/run/pw"] = "from-file\n"
        XCTAssertEqual(fromFile.run(base + ["-password", "file:///run/pw"]), 0, fromFile.err.text)
        XCTAssertEqual(fromFile.login.requests.first?.password, "from-file")

        let fromVariable = TestWorld(environment: ["MY_PW": "from-var", "BOUNDARY_TLS_INSECURE": "true"])
        XCTAssertEqual(fromVariable.run(base + ["-password", "env://MY_PW"]), 0, fromVariable.err.text)
        XCTAssertEqual(fromVariable.login.requests.first?.password, "from-var")
        XCTAssertEqual(fromVariable.login.requests.first?.tlsInsecure, true)

        let prompted = TestWorld(terminal: true)
        prompted.input.secretAnswers = ["typed"]
        XCTAssertEqual(prompted.run(base), 0, prompted.err.text)
        XCTAssertEqual(prompted.login.requests.first?.password, "typed")
        XCTAssertEqual(prompted.input.prompts, ["Password (will be hidden): "])
    }

    func testLoginUsageErrors() throws {
        let s = try CannedServer(responses: Array(repeating: CannedServer.json(200, Self.statusBody), count: 4))
        addTeardownBlock { s.finish() }
        let noTerminal = TestWorld()
        XCTAssertEqual(
            noTerminal.run(["login", "-auth-method-id", "ampw_1", "-login-name", "u", "-socket", s.path]), 2)
        XCTAssertTrue(noTerminal.err.text.contains("no password"), noTerminal.err.text)
        XCTAssertTrue(noTerminal.login.requests.isEmpty)

        let noMethod = TestWorld(environment: ["BOUNDARY_AUTHENTICATE_PASSWORD_PASSWORD": "p"])
        XCTAssertEqual(noMethod.run(["login", "-login-name", "u", "-socket", s.path]), 2)
        XCTAssertTrue(noMethod.err.text.contains("-auth-method-id"))

        let noName = TestWorld(environment: ["BOUNDARY_AUTHENTICATE_PASSWORD_PASSWORD": "p"])
        XCTAssertEqual(noName.run(["login", "-auth-method-id", "ampw_1", "-socket", s.path]), 2)
        XCTAssertTrue(noName.err.text.contains("-login-name"))

        let unsetVariable = TestWorld()
        XCTAssertEqual(
            unsetVariable.run([
                "login", "-auth-method-id", "ampw_1", "-login-name", "u", "-password", "env://NOPE", "-socket", s.path,
            ]),
            2)
        XCTAssertTrue(unsetVariable.err.text.contains("NOPE is not set"))

        let badBool = TestWorld(environment: ["BOUNDARY_TLS_INSECURE": "maybe"])
        XCTAssertEqual(badBool.run(["login", "-auth-method-id", "ampw_1", "-socket", s.path]), 2)
    }

    func testLoginDoesNotSignInWhenTheAgentIsDown() {
        let world = TestWorld(environment: ["BOUNDARY_AUTHENTICATE_PASSWORD_PASSWORD": "p"])
        XCTAssertEqual(
            world.run(["login", "-auth-method-id", "ampw_1", "-login-name", "u", "-socket", "/nonexistent/s.sock"]), 1)
        XCTAssertTrue(world.err.text.contains("not running"))
        XCTAssertTrue(world.login.requests.isEmpty, "no token is created for nobody")
    }

    func testLoginFailureAtTheController() throws {
        let s = try server(CannedServer.json(200, Self.statusBody))
        let world = TestWorld(environment: ["BOUNDARY_AUTHENTICATE_PASSWORD_PASSWORD": "wrong"])
        world.login.failure = .controller("Authentication failed: wrong login name or password")
        XCTAssertEqual(world.run(["login", "-auth-method-id", "ampw_1", "-login-name", "u", "-socket", s.path]), 1)
        XCTAssertEqual(world.err.text, "Error: Authentication failed: wrong login name or password\n")
        XCTAssertEqual(s.requests.count, 1, "no token handed to the agent")
    }

    func testTokenAddSources() throws {
        let s = try CannedServer(responses: Array(repeating: CannedServer.json(200, Self.statusBody), count: 3))
        addTeardownBlock { s.finish() }
        let fromVariable = TestWorld(environment: ["BOUNDARY_TOKEN": FakeLogin.secretToken + "\n"])
        XCTAssertEqual(fromVariable.run(["token", "add", "-addr", "https://c:9200", "-socket", s.path]), 0)
        XCTAssertEqual(
            fromVariable.out.text,
            "The client agent now uses token at_1234567890 from https://c:9200 for alice (uid 1001).\n")
        let fromPipe = TestWorld()
        fromPipe.input.standardInput = Array("  \(FakeLogin.secretToken)\n".utf8)
        XCTAssertEqual(fromPipe.run(["token", "add", "-socket", s.path]), 0, fromPipe.err.text)
        let prompted = TestWorld(terminal: true)
        prompted.input.secretAnswers = [FakeLogin.secretToken]
        XCTAssertEqual(prompted.run(["token", "add", "-socket", s.path, "-format", "json"]), 0)
        XCTAssertEqual(prompted.input.prompts, ["Auth token (will be hidden): "])
        for request in s.requests {
            XCTAssertTrue(request.hasPrefix("POST /v1/tokens HTTP/1.1\r\n"))
            XCTAssertTrue(request.contains("\"token\":\"\(FakeLogin.secretToken)\""), request)
        }
        XCTAssertTrue(s.requests[1].contains("\"boundary_addr\":\"http://127.0.0.1:9200\""))
    }

    func testTokenAddRefusesWhatIsNotAToken() throws {
        let world = TestWorld(environment: ["BOUNDARY_TOKEN": "r_recoverytoken"])
        XCTAssertEqual(world.run(["token", "add", "-socket", "/nonexistent/s.sock"]), 1)
        XCTAssertTrue(world.err.text.contains("not a Boundary auth token"), world.err.text)
        XCTAssertFalse(world.err.text.contains("r_recoverytoken"))
        let empty = TestWorld()
        XCTAssertEqual(empty.run(["token", "add", "-socket", "/nonexistent/s.sock"]), 2)
    }

    func testLogoutExplainSessionsResume() throws {
        let explain =
            #"{"name":"db corp","alias":"db corp","resolves":false,"summary":"db corp does not resolve","checks":[{"check":"agent","ok":true,"detail":"running"}]}"#
        let s = try server(
            CannedServer.json(200, Self.statusBody), CannedServer.json(200, explain),
            CannedServer.json(200, #"{"items":[]}"#),
            CannedServer.json(200, #"{"status":"running","pause_scope":"user"}"#),
            "HTTP/1.1 204 No Content\r\n\r\n")
        let world = TestWorld()
        XCTAssertEqual(world.run(["logout", "-socket", s.path]), 0)
        XCTAssertEqual(world.run(["explain", "db corp", "-socket", s.path]), 0)
        XCTAssertEqual(world.run(["sessions", "-socket", s.path]), 0)
        XCTAssertEqual(world.run(["resume", "-socket", s.path]), 0)
        XCTAssertEqual(world.run(["pause", "-socket", s.path]), 0)
        XCTAssertTrue(s.requests[0].hasPrefix("DELETE /v1/tokens HTTP/1.1\r\n"))
        XCTAssertTrue(s.requests[1].hasPrefix("GET /v1/explain?name=db%20corp HTTP/1.1\r\n"), s.requests[1])
        XCTAssertTrue(s.requests[2].hasPrefix("GET /v1/sessions HTTP/1.1\r\n"))
        XCTAssertTrue(s.requests[3].hasPrefix("POST /v1/resume HTTP/1.1\r\n"))
        XCTAssertTrue(world.out.text.contains("no longer holds a token for alice (uid 1001)"))
        XCTAssertTrue(
            world.out.text.contains("  [ok] Agent running    running\n  [ok] System resolver  "), world.out.text)
        XCTAssertTrue(world.out.text.contains("No sessions found\n"))
        XCTAssertTrue(world.out.text.contains("The Client Agent has been successfully resumed.\n"))
        // An agent that answers pause with no body (the upstream agent) gets upstream's sentence.
        XCTAssertTrue(world.out.text.hasSuffix("The Client Agent has been paused.\n"), world.out.text)
    }

    func testTimeout() throws {
        // A listener that accepts (the kernel does) but never answers.
        let path = "/tmp/bca-clitest-silent-\(getpid()).sock"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
        unlink(path)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        listen(fd, 4)
        defer {
            close(fd)
            unlink(path)
        }
        let client = LocalHTTPClient(endpoint: .unix(path: path), timeoutSeconds: 1, userAgent: "t")
        XCTAssertThrowsError(try client.send(method: "GET", target: "/v1/status")) {
            XCTAssertEqual($0 as? CLIError, .timeout(.unix(path: path), seconds: 1))
        }
    }
}
