import AgentAPI
import AgentConfig
import BoundaryWire
import JSON
import XCTest

@testable import AgentCLI

final class RenderingTests: XCTestCase {
    let now = Timestamp(seconds: 1_800_000_000)  // 2027-01-15T08:00:00Z

    func testStatusLikeTheUpstreamExample() {
        let status = StatusResponse(
            boundaryAddr: "https://boundary.corp.com", authTokenID: "at_GBqZUK2ihv",
            authTokenExpiry: "2027-01-22T07:58:09.2Z", version: "0.0.1-e561e69839cce148ee5045684bce5b7168c65026",
            status: .running)
        XCTAssertEqual(
            StatusTable.render(status, now: now, userName: { _ in nil }),
            """

            Status:
              Address:                 https://boundary.corp.com
              Auth Token Expiration:   167h58m9s
              Auth Token Id:           at_GBqZUK2ihv
              Status:                  running
              Version:                 0.0.1-e561e69839cce148ee5045684bce5b7168c65026

            """)
    }

    func testStatusWithOurFieldsErrorsAndPause() {
        let status = StatusResponse(
            boundaryAddr: "http://127.0.0.1:9200", authTokenID: "at_1234567890",
            authTokenExpiry: "2027-01-15T07:00:00Z",
            version: "0.1.0", status: .paused, errors: ["e2 newest", "e1"], warnings: ["w1"], uid: 1001,
            userID: "u_0987654321", pauseScope: .agent, pauseReason: "paused by uid 0", aliasCount: 3,
            aliasListing: "forbidden", sessionCount: 1, events: ["n1"])
        let text = StatusTable.render(status, now: now, userName: { $0 == 1001 ? "alice" : nil })
        XCTAssertTrue(text.contains("  Auth Token Expiration:   expired 1h0m0s ago\n"), text)
        XCTAssertTrue(text.contains("  Status:                  paused\n"))
        XCTAssertTrue(text.contains("  Paused:                  for every user: paused by uid 0\n"))
        XCTAssertTrue(text.contains("  OS User:                 alice (uid 1001)\n"))
        XCTAssertTrue(text.contains("  Aliases:                 3 (listing aliases is forbidden"))
        XCTAssertTrue(text.contains("  Recent errors:\n    e2 newest\n    e1\n  Recent warnings:\n    w1\n"))
        XCTAssertTrue(text.contains("  Recent notices:\n    n1\n"))
        let user = StatusResponse(version: "0.1.0", status: .paused, uid: 7, pauseScope: .user)
        let userText = StatusTable.render(user, now: now, userName: { _ in nil })
        XCTAssertTrue(userText.contains("Paused:      for you only"), userText)
        XCTAssertTrue(userText.contains("Signed In:   no: sign in with `boundary-agent login`"), userText)
        XCTAssertTrue(userText.contains("OS User:     uid 7"))
        XCTAssertFalse(userText.contains("Address"))
    }

    /// The DNS block: present when the answer has `dns`, upstream failures one per line, sorted.
    func testStatusWithDNSCounters() throws {
        let json = try JSONValue(
            parsing: #"""
                {"version":"0.1.0","status":"running","errors":[],"warnings":[],"events":[],"auth_token_expiry":null,
                 "dns":{"queries":120,"alias_answers":14,"forwarded":80,"cache_hits":26,"server_failures":1,
                        "rejected_answers":5,"upstream_failures":{"[fd00::53]:53":2,"127.0.0.2:53":3}}}
                """#)
        let status = try StatusResponse(json: json)
        XCTAssertEqual(status.dns?.upstreamFailures, ["127.0.0.2:53": 3, "[fd00::53]:53": 2])
        XCTAssertEqual(status.json, json, "the body round-trips")
        let text = StatusTable.render(status, now: now, userName: { _ in nil })
        XCTAssertTrue(
            text.contains(
                """
                  DNS (this host, since the DNS worker started):
                    Queries:             120
                    Alias answers:       14
                    Forwarded:           80
                    Cache hits:          26
                    Server failures:     1
                    Rejected answers:    5
                    Upstream failures:   127.0.0.2:53: 3
                                         [fd00::53]:53: 2

                """), text)
        let none = StatusResponse(version: "0.1.0", status: .running, dns: DNSStatus(queries: 1))
        XCTAssertTrue(
            StatusTable.render(none, now: now, userName: { _ in nil }).contains("Upstream failures:   none\n"))
        XCTAssertFalse(
            StatusTable.render(StatusResponse(version: "0.1.0", status: .running), now: now, userName: { _ in nil })
                .contains("DNS"))
        for bad in [#"{"dns":{"queries":-1}}"#, #"{"dns":{"upstream_failures":{"a":"x"}}}"#, #"{"dns":[]}"#] {
            XCTAssertThrowsError(try StatusResponse(json: try JSONValue(parsing: bad)), bad)
        }
    }

    func testSessionsWithEveryCredentialShape() throws {
        let json = try JSONValue(
            parsing: """
                {"items":[{"alias":"postgres.boundary.dev","connections":2,"session_authorization":{
                  "session_id":"s_1234567890","created_time":"2027-01-15T07:00:00Z","expiration":"2027-01-15T09:00:00Z",
                  "endpoint":"tcp://127.0.0.1:5432","connection_limit":-1,"credentials":[
                   {"credential_source":{"id":"credup_1","name":"pg","credential_store_id":"csst_1","type":"static",
                     "credential_type":"username_password"},
                    "secret":{"raw":"eyJwYXNzd29yZCI6InB3IiwidXNlcm5hbWUiOiJ1In0=","decoded":{"password":"pw","username":"u"}},
                    "credential":{"username":"postgres","password":"s3cret"}},
                   {"credential_source":{"id":"clvlt_1","type":"vault-generic"},
                    "secret":{"raw":"eyJrZXkiOiJ2YWx1ZSJ9"}},
                   {"credential_source":{"id":"credspk_1","credential_type":"ssh_private_key"},
                    "credential":{"username":"ops","private_key":"-----BEGIN KEY-----\\nAAAA\\n-----END KEY-----\\n"}}
                ]}},
                {"alias":"ssh.boundary.dev","session_authorization":{"session_id":"s_2"}}]}
                """)
        let text = SessionsTable.render(try SessionsResponse(json: json), now: now)
        XCTAssertTrue(
            text.hasPrefix("\nSession information:\n  Alias:                    postgres.boundary.dev\n"), text)
        XCTAssertTrue(text.contains("    Session ID:             s_1234567890\n"))
        XCTAssertTrue(text.contains("    Expiration:             2027-01-15T09:00:00Z (1h0m0s)\n"))
        XCTAssertTrue(text.contains("    Connection limit:       unlimited\n"))
        XCTAssertTrue(text.contains("    Open connections:       2\n"))
        // The typed credential wins over the decoded secret.
        XCTAssertTrue(text.contains("        password:   s3cret\n        username:   postgres\n"), text)
        // Only the raw secret: decoded from base64 JSON.
        XCTAssertTrue(
            text.contains("      Credential Store Type:   vault-generic\n      Secret:\n        key:   value\n"), text)
        // A private key keeps its lines, in the value column.
        XCTAssertTrue(
            text.contains(
                "        private_key:   -----BEGIN KEY-----\n                       AAAA\n                       -----END KEY-----\n"
            ),
            text)
        XCTAssertTrue(text.contains("\n\n  Alias:                    ssh.boundary.dev\n"))
        XCTAssertEqual(SessionsTable.render(SessionsResponse(items: []), now: now), "No sessions found\n")
    }

    func testExplainChecklist() {
        let explain = ExplainResponse(
            name: "SSH.boundary.dev.", alias: "ssh.boundary.dev", resolves: true, ipv4: "100.97.12.34",
            summary: "ssh.boundary.dev is a Boundary alias for you: 100.97.12.34, fd5b::1",
            checks: [
                .init(check: "agent", ok: true, detail: "running"),
                .init(check: "signed_in", ok: true, detail: "token at_1"),
                .init(check: "future_check", ok: false, detail: "something new"),
            ])
        let good = ExplainTable.render(explain, resolver: .init(check: "resolver", ok: true, detail: "fine"))
        XCTAssertEqual(
            good,
            """
            ssh.boundary.dev is a Boundary alias for you: 100.97.12.34, fd5b::1

              [ok] Agent running    running
              [ok] Signed in        token at_1
              [NO] future_check     something new
              [ok] System resolver  fine

            """)
        let bad = ExplainTable.render(explain, resolver: .init(check: "resolver", ok: false, detail: "not ours"))
        XCTAssertTrue(
            bad.hasSuffix("\nNote: the agent would answer ssh.boundary.dev, but programs do not ask it: not ours\n"))
    }

    func testResolverCheck() {
        let config = AgentConfiguration()
        func check(_ text: String?, paused: Bool = false, _ edit: (inout AgentConfiguration) -> Void = { _ in })
            -> ExplainResponse.Check
        {
            var c = config
            edit(&c)
            return ResolverCheck.check(configuration: c, resolvConf: text, agentPaused: paused)
        }
        XCTAssertTrue(check("# ours\nnameserver 100.64.0.1\nnameserver 10.0.0.1\n").ok)
        XCTAssertTrue(check("nameserver fd5b:c1a6:e7a0::0001\n").ok)
        XCTAssertFalse(check("nameserver 10.0.0.1\nnameserver 100.64.0.1\n").ok)
        XCTAssertTrue(check("nameserver 10.0.0.1\nnameserver 100.64.0.1\n").detail.contains("but not first"))
        XCTAssertFalse(check("nameserver 10.0.0.1\n").ok)
        XCTAssertTrue(
            check("nameserver 10.0.0.1\n", paused: true).detail.contains("expected while the agent is paused"))
        XCTAssertFalse(check(nil).ok)
        XCTAssertTrue(check("nameserver 127.0.0.53\n").ok)
        XCTAssertFalse(check("nameserver 127.0.0.53\n") { $0.dnsMode = .resolvConf }.ok)
        XCTAssertFalse(check("nameserver 100.64.0.1\n") { $0.dnsMode = .off }.ok)
        XCTAssertTrue(check(nil) { $0.dnsMode = .systemdResolved }.ok)
        // Another prefix moves the DNS address.
        let prefix = IPv4Prefix("10.77.0.0/16")!
        XCTAssertTrue(check("nameserver 10.77.0.1\n") { $0.v4Prefix = prefix }.ok)
    }

    func testPauseMessagesFollowTheAnswer() {
        XCTAssertTrue(
            PauseMessages.paused(PauseResponse(status: .paused, scope: .agent).json, uid: "alice (uid 1001)")
                .contains("for every user"))
        XCTAssertTrue(
            PauseMessages.paused(PauseResponse(status: .paused, scope: .user).json, uid: "alice (uid 1001)")
                .contains("paused for alice (uid 1001) only"))
        XCTAssertEqual(PauseMessages.paused(.object([:]), uid: "x"), "The Client Agent has been paused.")
        XCTAssertEqual(
            PauseMessages.resumed(PauseResponse(status: .running, scope: .user).json),
            "The Client Agent has been successfully resumed.")
        XCTAssertTrue(PauseMessages.resumed(PauseResponse(status: .paused, scope: .user).json).contains("still paused"))
        XCTAssertTrue(PauseMessages.resumed(PauseResponse(status: .running, scope: .agent).json).contains("every user"))
        XCTAssertEqual(PauseMessages.resumed(.object([:])), "The Client Agent has been successfully resumed.")
    }
}
