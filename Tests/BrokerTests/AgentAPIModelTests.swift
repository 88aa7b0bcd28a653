import AgentAPI
import JSON
import XCTest

final class AgentAPIModelTests: XCTestCase {
    func testStatusShapeMatchesUpstream() throws {
        let status = StatusResponse(
            boundaryAddr: "http://127.0.0.1:9200", authTokenID: "at_1234567890",
            authTokenExpiry: "2026-12-02T10:00:00Z",
            version: "0.1.0", status: .running, errors: ["e2", "e1"], warnings: [], uid: 1001, userID: "u_1")
        let json = status.json
        XCTAssertEqual(json["boundary_addr"], "http://127.0.0.1:9200")
        XCTAssertEqual(json["auth_token_id"], "at_1234567890")
        XCTAssertEqual(json["auth_token_expiry"], "2026-12-02T10:00:00Z")
        XCTAssertEqual(json["status"], "running")
        XCTAssertEqual(json["errors"], ["e2", "e1"])
        XCTAssertEqual(json["warnings"], [])
        XCTAssertEqual(try StatusResponse(json: JSONValue(parsing: JSONWriter().string(json))), status)

        let signedOut = StatusResponse(version: "0.1.0", status: .paused, pauseScope: .agent, pauseReason: "auto")
        XCTAssertNil(signedOut.json["boundary_addr"])
        XCTAssertEqual(signedOut.json["auth_token_expiry"], .null)
        XCTAssertEqual(try StatusResponse(json: signedOut.json), signedOut)
    }

    func testStatusDecoderRejectsWrongTypes() {
        XCTAssertThrowsError(try StatusResponse(json: ["status": 1]))
        XCTAssertThrowsError(try StatusResponse(json: ["status": "sleeping"]))
        XCTAssertThrowsError(try StatusResponse(json: ["errors": "x"]))
        XCTAssertThrowsError(try StatusResponse(json: ["uid": -1]))
        XCTAssertThrowsError(try StatusResponse(json: []))
    }

    func testSessionsRoundTripKeepsCredentials() throws {
        let credential: JSONValue = [
            "credential_source": ["id": "credup_1", "credential_type": "username_password"],
            "secret": ["raw": "eyJ1c2VybmFtZSI6InUifQ==", "decoded": ["username": "u", "password": "p"]],
            "credential": ["username": "u", "password": "p"],
        ]
        let response = SessionsResponse(items: [
            SessionItem(
                alias: "postgres.boundary.dev",
                sessionAuthorization: SessionAuthorizationSummary(
                    sessionID: "s_1", targetID: "ttcp_1", createdTime: "2026-11-25T10:00:00Z",
                    expiration: "2026-11-25T18:00:00Z", endpoint: "tcp://127.0.0.1:5432", type: "tcp",
                    connectionLimit: -1, credentials: [credential]), connections: 2)
        ])
        let text = JSONWriter().string(response.json)
        let back = try SessionsResponse(json: JSONValue(parsing: text))
        XCTAssertEqual(back, response)
        XCTAssertEqual(response.json["items"]?.arrayValue?.first?["session_authorization"]?["session_id"], "s_1")
        XCTAssertEqual(SessionsResponse(items: []).json, ["items": []])
        XCTAssertThrowsError(try SessionsResponse(json: ["items": [["alias": "x"]]]))
    }

    func testTokenRequestIsExactlyTheOfficialShape() throws {
        let body = #"{"boundary_addr":"http://127.0.0.1:9200","token":"at_1234567890_s1abc","uid":0}"#
        let request = try TokenRequest(json: JSONValue(parsing: body))
        XCTAssertEqual(request, TokenRequest(boundaryAddr: "http://127.0.0.1:9200", token: "at_1234567890_s1abc"))
        XCTAssertEqual(request.tokenID, "at_1234567890")
        XCTAssertFalse(String(describing: request).contains("s1abc"), "the description never shows the token")
        XCTAssertNil(TokenRequest.tokenID(of: "at_1234567890"))
        XCTAssertNil(TokenRequest.tokenID(of: "at_1_2_3"))
        XCTAssertNil(TokenRequest.tokenID(of: "r_1234567890_s1abc"))
        XCTAssertNil(TokenRequest.tokenID(of: "at__s1abc"))
        XCTAssertThrowsError(try TokenRequest(json: ["boundary_addr": "x"]))
        XCTAssertThrowsError(try TokenRequest(json: ["boundary_addr": "x", "token": 5]))
    }

    func testErrorExplainPause() throws {
        let error = APIError.notFound("no such path")
        XCTAssertEqual(error.json, ["kind": "NotFound", "message": "no such path"])
        XCTAssertEqual(try APIError(status: 404, json: error.json), error)
        let explain = ExplainResponse(
            name: "SSH.boundary.dev.", alias: "ssh.boundary.dev", resolves: true, ipv4: "100.64.1.2",
            ipv6: "fd5b::2", source: "listed", summary: "yes",
            checks: [.init(check: "agent", ok: true, detail: "running")])
        XCTAssertEqual(try ExplainResponse(json: explain.json), explain)
        let pause = PauseResponse(status: .paused, scope: .user)
        XCTAssertEqual(pause.json, ["status": "paused", "pause_scope": "user"])
        XCTAssertEqual(try PauseResponse(json: pause.json), pause)
    }
}
