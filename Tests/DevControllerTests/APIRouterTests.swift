import BoundaryWire
import JSON
import NIOHTTP1
import XCTest

@testable import DevController

/// The dev API's routing, request parsing and strictness, without the client's help.
final class APIRouterTests: XCTestCase {
    func testRoutes() {
        func route(_ m: HTTPMethod, _ p: String) -> String {
            switch DevAPIRouter.route(method: m, path: p[...]) {
            case .success(let (e, id)): return "\(e.rawValue) \(id)"
            case .failure(let e): return "\(e.status)"
            }
        }
        XCTAssertEqual(route(.POST, "/v1/auth-methods/ampw_1:authenticate"), "authenticate ampw_1")
        XCTAssertEqual(route(.GET, "/v1/auth-tokens/at_1"), "read-auth-token at_1")
        XCTAssertEqual(route(.GET, "/v1/users/u_1:list-resolvable-aliases"), "list-resolvable-aliases u_1")
        XCTAssertEqual(
            route(.POST, "/v1/targets/ssh.boundary.dev:authorize-session"), "authorize-session ssh.boundary.dev")
        XCTAssertEqual(route(.POST, "/v1/targets/a%2Eb:authorize-session"), "authorize-session a.b")
        XCTAssertEqual(route(.GET, "/v1/sessions/s_1"), "read-session s_1")
        XCTAssertEqual(route(.POST, "/v1/sessions/s_1:cancel"), "cancel-session s_1")
        XCTAssertEqual(route(.GET, "/v1/sessions/s_1:cancel"), "405")
        XCTAssertEqual(route(.POST, "/v1/auth-tokens/at_1"), "405")
        XCTAssertEqual(route(.GET, "/v1/targets/x:authorize-session"), "405")
        XCTAssertEqual(route(.GET, "/v1/scopes"), "404")
        XCTAssertEqual(route(.GET, "/v1/sessions/"), "404")
        XCTAssertEqual(route(.GET, "/v1/sessions/a/b"), "404")
        XCTAssertEqual(route(.GET, "/v1/auth-tokens/%zz"), "404")
        XCTAssertEqual(route(.GET, "/"), "404")
    }

    func testConfigParsing() throws {
        let config = try DevControllerConfig.parse(
            """
            {"auth_token_time_to_live":"30s","max_page_size":5,"worker_addresses":["127.0.0.1:1","127.0.0.1:9202"],
             "users":[{"id":"u_aaaaaaaaaa","login_name":"alice","password":"pw","targets":["ttcp_aaaaaaaaaa"],
                       "list_resolvable_aliases":false}],
             "targets":[{"id":"ttcp_aaaaaaaaaa","name":"web","address":"127.0.0.1","port":8080,"connection_limit":1,
                         "max_seconds":60,"credentials":[
               {"type":"username_password","username":"u","password":"p"},
               {"type":"username_password_domain","username":"u","password":"p","domain":"D"},
               {"type":"password","password":"p"},
               {"type":"ssh_private_key","username":"u","private_key":"K","private_key_passphrase":"x"},
               {"type":"ssh_certificate","username":"u","private_key":"K","certificate":"C"},
               {"type":"json","object":{"a":1}},
               {"type":"vault_generic","object":{"b":2}}]}],
             "aliases":[{"value":"web.example","target":"web"}]}
            """)
        XCTAssertEqual(config.authTokenTimeToLive, 30)
        XCTAssertEqual(config.maxPageSize, 5)
        XCTAssertEqual(config.users.map(\.loginName), ["alice"])
        XCTAssertFalse(config.users[0].mayListAliases)
        XCTAssertEqual(
            config.targets[0].credentials.map(\.kind.credentialType),
            [
                "username_password", "username_password_domain", "password", "ssh_private_key", "ssh_certificate",
                "json", "",
            ])
        XCTAssertEqual(config.aliases[0].destinationID, "ttcp_aaaaaaaaaa", "a target named by name")
        XCTAssertEqual(config.workerAddresses.count, 2)

        let bad: [(String, String)] = [
            (#"{"userz":[]}"#, "not a known key"),
            (#"{"targets":[{"id":"ttcp_x","address":"a","port":70000}]}"#, "out of range"),
            (#"{"aliases":[{"value":"bad_alias","target":"ttcp_1234567890"}]}"#, "not a DNS name"),
            (#"{"aliases":[{"value":"x.example","target":"ttcp_missing0001"}]}"#, "unknown target"),
            (#"{"users":[{"id":"u_1","login_name":"a","password":"p","targets":["ttcp_zz"]}]}"#, "unknown target"),
            (
                #"{"users":[{"id":"u_1","login_name":"a","password":"p"},{"id":"u_1","login_name":"b","password":"p"}]}"#,
                "duplicate"
            ),
            (#"{"targets":[{"address":"a","port":1,"credentials":[{"type":"kerberos"}]}]}"#, "not a credential type"),
            (#"{"auth_token_time_to_live":"soon"}"#, "duration"),
            ("[", "invalid configuration"),
        ]
        for (text, needle) in bad {
            XCTAssertThrowsError(try DevControllerConfig.parse(text), text) {
                XCTAssertTrue("\($0)".contains(needle), "\(text): \($0)")
            }
        }
    }

    func testDurations() {
        XCTAssertEqual(DevControllerConfig.parseDuration("500ms"), 0.5)
        XCTAssertEqual(DevControllerConfig.parseDuration("7d"), 604_800)
        XCTAssertEqual(DevControllerConfig.parseDuration("2h"), 7200)
        XCTAssertEqual(DevControllerConfig.parseDuration("1.5"), 1.5)
        XCTAssertNil(DevControllerConfig.parseDuration("-1s"))
        XCTAssertNil(DevControllerConfig.parseDuration("s"))
        XCTAssertNil(DevControllerConfig.parseDuration("inf"))
    }

    func testListTokenValidation() throws {
        let now = DevSessionStore.now()
        let token = DevListToken(
            createTime: DevAPIRouter.timestamp(now), grantsHash: [1, 2, 3], kind: .pagination, upperRevision: 9,
            lastItemRevision: 4, lastItemID: "alt_x")
        let parsed = try XCTUnwrap(DevListToken(encoded: token.encoded))
        XCTAssertEqual(parsed, token)
        XCTAssertNil(parsed.validate(expectedGrantsHash: [1, 2, 3], now: now))
        XCTAssertEqual(
            parsed.validate(expectedGrantsHash: [9], now: now)?.body.message,
            "grants have changed since list token was issued")
        XCTAssertEqual(
            parsed.validate(expectedGrantsHash: [1, 2, 3], now: now + 31 * 86_400)?.body.message,
            "list token was expired")
        var other = token
        other.resourceType = 3
        XCTAssertEqual(
            other.validate(expectedGrantsHash: [1, 2, 3], now: now)?.body.kind, APIErrorBody.kindInvalidListToken)
        XCTAssertNil(DevListToken(encoded: "not base58 0OIl"))
        XCTAssertNil(DevListToken(encoded: Base58.encode([0x0A, 0x05, 0x01])))
    }

    func testBearerParsingMatchesTheController() throws {
        let directory = DevDirectory(config: .devDefaults)
        let (_, record) = try XCTUnwrap(directory.authenticate(loginName: "user", password: "password"))
        func who(_ header: String?) -> String { directory.caller(authorization: header).userID ?? "anonymous" }
        XCTAssertEqual(who("Bearer \(record.token)"), "u_0987654321")
        XCTAssertEqual(who("  bEaReR   \(record.token)  "), "u_0987654321")
        XCTAssertEqual(who(nil), "anonymous")
        XCTAssertEqual(who("Bearer "), "anonymous")
        XCTAssertEqual(who("Bearer"), "anonymous")
        XCTAssertEqual(who("Basic \(record.token)"), "anonymous")
        XCTAssertEqual(who("Bearer \(record.id)"), "anonymous", "two segments")
        XCTAssertEqual(who("Bearer \(record.token)_x"), "anonymous", "four segments")
        XCTAssertEqual(who("Bearer \(record.id)_s1wrong"), "anonymous", "wrong secret")
        XCTAssertEqual(who("Bearer r_\(record.token)"), "anonymous", "recovery tokens are not ours")
        XCTAssertEqual(who("Bearer \(record.token)"), "u_0987654321", "a wrong secret does not delete the token")
    }

    func testFaultFlags() throws {
        let faults = DevFaults()
        try faults.apply(flag: "authorize-session:latency=250ms,error_rate=0.5,error_status=503,pad_bytes=10")
        XCTAssertEqual(
            faults.fault(for: "authorize-session"),
            DevFault(latency: 0.25, errorRate: 0.5, errorStatus: 503, padBytes: 10))
        XCTAssertEqual(faults.fault(for: "read-session"), DevFault())
        try faults.apply(flag: "*:latency=1s")
        XCTAssertEqual(faults.fault(for: "read-session").latency, 1)
        for bad in [
            "nope:latency=1s", "authorize-session", "authorize-session:error_rate=2", "authorize-session:colour=red",
        ] {
            XCTAssertThrowsError(try faults.apply(flag: bad), bad)
        }
    }
}
