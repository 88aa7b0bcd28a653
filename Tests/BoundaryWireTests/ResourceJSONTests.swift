import JSON
import XCTest

@testable import BoundaryWire

/// Every resource against bodies shaped exactly as the controller's protojson marshaler writes them
/// (boundary-protocol.md §1): decode them, and encode ours to the same JSON value.
final class ResourceJSONTests: XCTestCase {
    func json(_ text: String) throws -> JSONValue { try JSONValue(parsing: text) }

    static let globalScope = #"{"id":"global","type":"global","name":"global","description":"Global Scope"}"#

    func testAuthenticateResponse() throws {
        let text = """
            {"command":"login","attributes":{"id":"at_1234567890","scope_id":"global",
            "scope":\(Self.globalScope),
            "token":"at_1234567890_s1Ab3","user_id":"u_1234567890","auth_method_id":"ampw_1234567890",
            "account_id":"acctpw_1234567890","created_time":"2024-01-02T03:04:05.123456Z",
            "updated_time":"2024-01-02T03:04:05.123456Z","approximate_last_used_time":"2024-01-02T03:04:05.123456Z",
            "expiration_time":"2024-01-09T03:04:05.123456Z","authorized_actions":["read:self","delete:self"]}}
            """
        let response = try AuthenticateResponse(protoJSON: try json(text))
        XCTAssertEqual(response.command, "login")
        XCTAssertEqual(response.type, "")
        let token = response.attributes
        XCTAssertEqual(token.id, "at_1234567890")
        XCTAssertEqual(token.token, "at_1234567890_s1Ab3")
        XCTAssertEqual(token.userID, "u_1234567890")
        XCTAssertEqual(token.scope, .global)
        XCTAssertEqual(token.expirationTime, Timestamp(seconds: 1_704_769_445, nanos: 123_456_000))
        XCTAssertEqual(token.authorizedActions, ["read:self", "delete:self"])
        // Our encoding is the same document (no `type`, since none was sent).
        XCTAssertEqual(response.protoJSON, try json(text))
        XCTAssertNil(response.protoJSON["type"])
    }

    func testPasswordAuthenticateRequest() throws {
        let request = PasswordAuthenticateRequest(loginName: "admin", password: "pa\"ss")
        XCTAssertEqual(
            JSONWriter().string(request.protoJSON),
            #"{"attributes":{"login_name":"admin","password":"pa\"ss"},"command":"login"}"#)
        let parsed = try PasswordAuthenticateRequest(
            protoJSON: try json(#"{"attributes":{"login_name":"u","password":"p"},"token_type":"token"}"#))
        XCTAssertEqual(parsed.command, "")
        XCTAssertEqual(parsed.type, "token")
        XCTAssertTrue(parsed.hasAttributes)
        XCTAssertFalse(try PasswordAuthenticateRequest(protoJSON: try json("{}")).hasAttributes)
        XCTAssertThrowsError(try PasswordAuthenticateRequest(protoJSON: try json(#"{"attributes":"x"}"#)))
    }

    func testAuthTokenReadWithoutOptionalFields() throws {
        // A read never has `token`; zero values are absent; unknown members are ignored.
        let t = try AuthToken(protoJSON: try json(#"{"id":"at_1","user_id":"u_2","future_field":{"a":[1,2]}}"#))
        XCTAssertEqual(t.id, "at_1")
        XCTAssertEqual(t.token, "")
        XCTAssertNil(t.expirationTime)
        XCTAssertNil(t.scope)
        XCTAssertEqual(t.authorizedActions, [])
        // null is the zero value, as protojson treats it.
        XCTAssertEqual(try AuthToken(protoJSON: try json(#"{"id":null,"scope":null}"#)).id, "")
    }

    func testResolvableAliasPage() throws {
        let text = """
            {"items":[{"id":"alt_1234567890","created_time":"2024-01-02T03:04:05Z","updated_time":"2024-01-02T03:04:05Z",
            "value":"ssh.boundary.dev","destination_id":"ttcp_1234567890","type":"target"},
            {"id":"alt_0000000001","value":"nodest.example","type":"target"}],
            "response_type":"delta","list_token":"GzA2","sort_by":"created_time","sort_dir":"desc",
            "removed_ids":["alt_gone000001"],"est_item_count":7}
            """
        let page = try ResolvableAliasListPage(protoJSON: try json(text))
        XCTAssertEqual(page.items.count, 2)
        XCTAssertEqual(page.items[0].value, "ssh.boundary.dev")
        XCTAssertEqual(page.items[0].destinationID, "ttcp_1234567890")
        XCTAssertEqual(page.items[1].destinationID, "")
        XCTAssertEqual(page.responseType, "delta")
        XCTAssertEqual(page.listToken, "GzA2")
        XCTAssertEqual(page.removedIDs, ["alt_gone000001"])
        XCTAssertEqual(page.estItemCount, 7)
        XCTAssertEqual(page.protoJSON, try json(text))

        // The "no target permissions" early return: no items, no list_token.
        let empty = try ResolvableAliasListPage(
            protoJSON: try json(#"{"response_type":"complete","sort_by":"created_time","sort_dir":"desc"}"#))
        XCTAssertEqual(empty.items, [])
        XCTAssertEqual(empty.listToken, "")
        // A pre-pagination server: no response_type at all.
        XCTAssertEqual(try ResolvableAliasListPage(protoJSON: try json("{}")).responseType, "")
        // est_item_count as a string is accepted too (protojson accepts both for integers).
        XCTAssertEqual(try ResolvableAliasListPage(protoJSON: try json(#"{"est_item_count":"3"}"#)).estItemCount, 3)
    }

    func testMalformedResourcesAreClearErrors() throws {
        let cases: [(String, BoundaryWireError)] = [
            (#"{"items":{}}"#, .wrongType(field: "items", expected: "an array")),
            (#"{"items":[{"value":"x"}]}"#, .missingField("items[0].id")),
            (#"{"items":[{"id":"a","value":7}]}"#, .wrongType(field: "items[0].value", expected: "a string")),
            (
                #"{"items":[{"id":"a","created_time":"yesterday"}]}"#,
                .invalidValue(field: "items[0].created_time", reason: "not an RFC 3339 timestamp")
            ),
            (#"{"est_item_count":-1}"#, .invalidValue(field: "est_item_count", reason: "out of uint32 range")),
            (#"{"est_item_count":1.5}"#, .invalidValue(field: "est_item_count", reason: "not an integer")),
            (#"{"removed_ids":[1]}"#, .wrongType(field: "removed_ids[0]", expected: "a string")),
            (#"[]"#, .wrongType(field: "(document)", expected: "an object")),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try ResolvableAliasListPage(protoJSON: try json(text)), text) {
                XCTAssertEqual($0 as? BoundaryWireError, expected, text)
            }
        }
        XCTAssertThrowsError(try Session(protoJSON: try json(#"{"certificate":"!!notbase64"}"#))) {
            XCTAssertEqual($0 as? BoundaryWireError, .invalidBase64(field: "certificate"))
        }
        XCTAssertThrowsError(try SessionAuthorization(protoJSON: try json(#"{"connection_limit":"abc"}"#)))
        XCTAssertThrowsError(try SessionAuthorization(protoJSON: try json(#"{"connection_limit":4294967296}"#)))
        XCTAssertThrowsError(try SessionAuthorization(protoJSON: try json(#"{"scope":"global"}"#))) {
            XCTAssertEqual($0 as? BoundaryWireError, .wrongType(field: "scope", expected: "an object"))
        }
        // Truncated and over-deep documents fail in the parser, never crash.
        XCTAssertThrowsError(try ResolvableAliasListPage(protoJSONBytes: Array(#"{"items":[{"id":"#.utf8)))
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        XCTAssertThrowsError(try ResolvableAliasListPage(protoJSONBytes: Array(#"{"x":\#(deep)}"#.utf8)))
    }

    func testSessionAuthorizationWithEveryCredentialType() throws {
        let kinds: [BrokeredCredential] = [
            .usernamePassword(username: "postgres", password: "password"),
            .usernamePasswordDomain(username: "u", password: "p", domain: "CORP"),
            .password("s3cret<&>"),
            .sshPrivateKey(username: "git", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nAA\n", passphrase: ""),
            .sshPrivateKey(username: "git", privateKey: "KEY", passphrase: "pw"),
            .sshCertificate(
                username: "ubuntu", privateKey: "KEY", certificate: "ssh-ed25519-cert-v01@openssh.com AAAA"),
            .json(["api_key": "k", "nested": ["n": 1]]),
            .unspecified(["data": "x"]),
        ]
        let credentials = kinds.enumerated().map { (i, kind) in
            SessionCredential.brokered(
                kind, sourceID: "credup_000000000\(i)", storeID: "csst_1234567890", name: "c\(i)",
                sourceType: kind == .unspecified(["data": "x"]) ? "vault-generic" : "static")
        }
        let auth = SessionAuthorization(
            sessionID: "s_1234567890", targetID: "ttcp_1234567890",
            scope: ScopeInfo(id: "p_1234567890", type: "project", parentScopeID: "o_1234567890"),
            createdTime: Timestamp(seconds: 1_700_000_000), userID: "u_1234567890", hostID: "ttcp_1234567890",
            type: "tcp", authorizationToken: SessionAuthorizationDataTests.goldenToken, connectionLimit: -1,
            endpoint: "tcp://127.0.0.1:5432", endpointPort: 5432, expiration: Timestamp(seconds: 1_700_028_800),
            credentials: credentials)
        let encoded = JSONWriter().bytes(auth.protoJSON)
        let decoded = try SessionAuthorization(protoJSONBytes: encoded)
        XCTAssertEqual(decoded, auth)
        XCTAssertEqual(try decoded.credentials.map { try $0.typed() }, kinds)
        XCTAssertNil(auth.protoJSON["host_set_id"])
        XCTAssertEqual(auth.protoJSON["connection_limit"], .int(-1))
        XCTAssertEqual(auth.protoJSON["endpoint_port"], .int(5432))

        // The username/password credential exactly as upstream's staticToSessionCredential writes it.
        let upJSON = try json(
            """
            {"credential_source":{"id":"credup_0000000000","name":"c0","credential_store_id":"csst_1234567890",
            "type":"static","credential_type":"username_password"},
            "secret":{"raw":"eyJwYXNzd29yZCI6InBhc3N3b3JkIiwidXNlcm5hbWUiOiJwb3N0Z3JlcyJ9",
            "decoded":{"password":"password","username":"postgres"}},
            "credential":{"password":"password","username":"postgres"}}
            """)
        XCTAssertEqual(credentials[0].protoJSON, upJSON)
        XCTAssertEqual(credentials[0].secretRawBytes, Array(#"{"password":"password","username":"postgres"}"#.utf8))
        // Go's json.Marshal escapes <, > and & in the raw secret.
        XCTAssertEqual(credentials[2].secretRawBytes, Array(#"{"password":"s3cret\u003c\u0026\u003e"}"#.utf8))
        // An empty ssh passphrase is absent from both secret and credential.
        XCTAssertNil(credentials[3].credential?["private_key_passphrase"])
        XCTAssertNil(credentials[3].secretDecoded?["private_key_passphrase"])
        XCTAssertEqual(credentials[4].credential?["private_key_passphrase"], "pw")
        // The untyped one has no `credential` member and an empty credential_type.
        XCTAssertNil(credentials[7].protoJSON["credential"])
        XCTAssertNil(credentials[7].protoJSON["credential_source"]?["credential_type"])

        // A typed credential missing a required member is an error, not an empty username.
        let broken = try SessionCredential(
            protoJSON: try json(#"{"credential_source":{"credential_type":"username_password"},"credential":{}}"#))
        XCTAssertThrowsError(try broken.typed())
        XCTAssertThrowsError(try SessionCredential(protoJSON: try json(#"{"secret":{"raw":"***"}}"#)))
    }

    func testSessionResource() throws {
        let text = """
            {"id":"s_1234567890","target_id":"ttcp_1234567890","scope":{"id":"p_1234567890","type":"project",
            "name":"Generated project scope","parent_scope_id":"o_1234567890"},"created_time":"2024-01-02T03:04:05.500Z",
            "updated_time":"2024-01-02T03:04:06Z","version":3,"type":"tcp","expiration_time":"2024-01-02T11:04:05.500Z",
            "auth_token_id":"at_1234567890","user_id":"u_1234567890","host_id":"ttcp_1234567890",
            "scope_id":"p_1234567890","endpoint":"tcp://127.0.0.1:22",
            "states":[{"status":"active","start_time":"2024-01-02T03:04:06Z"},
                      {"status":"pending","start_time":"2024-01-02T03:04:05.500Z","end_time":"2024-01-02T03:04:06Z"}],
            "status":"active","certificate":"MIIBAgM=","authorized_actions":["read:self","cancel:self"],
            "connections":[{"client_tcp_address":"127.0.0.1","client_tcp_port":40000,"endpoint_tcp_address":"127.0.0.1",
            "endpoint_tcp_port":22,"bytes_up":"12345678901","bytes_down":"42","closed_reason":"closed by end-user"}]}
            """
        let s = try Session(protoJSON: try json(text))
        XCTAssertEqual(s.version, 3)
        XCTAssertEqual(s.status, Session.statusActive)
        XCTAssertTrue(s.isLive)
        XCTAssertEqual(s.certificate, [0x30, 0x82, 0x01, 0x02, 0x03])
        XCTAssertEqual(s.connections[0].bytesUp, 12_345_678_901)
        XCTAssertEqual(s.states.count, 2)
        XCTAssertEqual(s.protoJSON, try json(text))
        XCTAssertEqual(s.protoJSON["connections"]?.arrayValue?[0]["bytes_up"], .string("12345678901"))
    }

    func testErrorBodies() throws {
        let notFound = try APIErrorBody(protoJSON: try json(#"{"kind":"NotFound","message":"Resource not found."}"#))
        XCTAssertEqual(notFound.kind, "NotFound")
        XCTAssertEqual(notFound.description, "NotFound: Resource not found.")

        let invalid = APIErrorBody(
            kind: "InvalidArgument", message: "Invalid fields provided in request.",
            requestFields: [
                .init(name: "attributes.password", description: "This is a required field."),
                .init(name: "attributes.login_name", description: "This is a required field."),
            ])
        XCTAssertEqual(
            invalid.protoJSON,
            try json(
                """
                {"kind":"InvalidArgument","message":"Invalid fields provided in request.","details":{"request_fields":[
                {"name":"attributes.login_name","description":"This is a required field."},
                {"name":"attributes.password","description":"This is a required field."}]}}
                """))
        let listToken = try APIErrorBody(
            protoJSON: try json(
                #"{"kind":"invalid list token","op":"listtoken.Validate","message":"grants have changed since list token was issued"}"#
            ))
        XCTAssertEqual(listToken.kind, APIErrorBody.kindInvalidListToken)
        XCTAssertEqual(listToken.op, "listtoken.Validate")
        let wrapped = try APIErrorBody(
            protoJSON: try json(
                #"{"kind":"Internal","message":"x","details":{"wrapped_errors":[{"op":"a.b","message":"boom"}]}}"#))
        XCTAssertEqual(wrapped.wrappedErrors, [.init(op: "a.b", message: "boom")])
        XCTAssertEqual(wrapped.protoJSON["details"]?["wrapped_errors"]?.arrayValue?.count, 1)
        XCTAssertThrowsError(try APIErrorBody(protoJSON: try json(#"{"details":{"request_fields":{}}}"#)))
    }

    func testBase64() {
        let vectors: [(String, String)] = [
            ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ]
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base64.encode(Array(plain.utf8)), encoded)
            XCTAssertEqual(Base64.decode(encoded), Array(plain.utf8))
        }
        XCTAssertEqual(Base64.decode("Zm8"), Array("fo".utf8))  // unpadded
        XCTAssertEqual(Base64.decode("-_8="), [0xFB, 0xFF])  // URL-safe alphabet
        for bad in ["Z", "Zm9v=", "Zm=9", "Zm9v!", "Zg===", "====", "Zm 9v"] {
            XCTAssertNil(Base64.decode(bad), bad)
        }
        var rng = SystemRandomNumberGenerator()
        for n in 0..<70 {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            XCTAssertEqual(Base64.decode(Base64.encode(bytes)), bytes)
        }
    }
}
