import AgentAPI
import JSON
import NIOCore
import NIOEmbedded
import NIOHTTP1
import XCTest

@testable import Broker

final class LocalAPIHandlerTests: XCTestCase {
    typealias Core = BrokerCore<UnreachableController, NoWorkerDataPlane>

    struct Response {
        var status: Int
        var headers: [String: String]
        var json: JSONValue?
    }

    var dns: RecordingDNSWorker!
    var helper: RecordingHelper!
    /// Every embedded loop in play (the core's may be another channel's): `exchange` runs them all.
    var loops: [EmbeddedEventLoop] = []

    func makeCore(on loop: EventLoop, settings: BrokerSettings? = nil) -> Core {
        dns = RecordingDNSWorker()
        helper = RecordingHelper(loop: loop)
        return Core(
            loop: loop,
            settings: settings
                ?? BrokerSettings(version: "0.1.0-test", admin: AdminPolicy(groupName: "sudo", uids: [1500])),
            controller: UnreachableController(loop: loop), dataPlane: NoWorkerDataPlane(), dns: dns, helper: helper,
            logger: .test)
    }

    func makeChannel(uid: UInt32, transport: LocalAPIRoute.Transport = .unix, core: Core? = nil) throws
        -> (EmbeddedChannel, Core)
    {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40000)).wait()
        let core = core ?? makeCore(on: channel.embeddedEventLoop)
        loops.append(channel.embeddedEventLoop)
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withPipeliningAssistance: true, withErrorHandling: true)
        try channel.pipeline.syncOperations.addHandler(
            LocalAPIHandler(uid: uid, transport: transport, backend: core, logger: .test))
        return (channel, core)
    }

    /// Sends raw request bytes, runs the loop, parses every response written.
    func exchange(_ channel: EmbeddedChannel, _ raw: String) throws -> [Response] {
        try channel.writeInbound(ByteBuffer(string: raw))
        for _ in 0..<3 { for loop in loops { loop.run() } }
        var text = ""
        while let data = try channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(let buffer) = data { text += String(buffer: buffer) }
        }
        var responses: [Response] = []
        var rest = Substring(text)
        while let split = rest.firstRange(of: "\r\n\r\n") {
            let head = rest[..<split.lowerBound].split(separator: "\r\n")
            let status = Int(head[0].split(separator: " ")[1])!
            var headers: [String: String] = [:]
            for line in head.dropFirst() {
                let parts = line.split(separator: ":", maxSplits: 1)
                headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: " ")
            }
            let length = Int(headers["content-length"] ?? "0")!
            let bodyStart = split.upperBound
            let body = rest[bodyStart...].utf8.prefix(length)
            rest = Substring(rest[bodyStart...].utf8.dropFirst(length))
            responses.append(
                Response(
                    status: status, headers: headers,
                    json: length > 0 ? try JSONValue(parsing: String(decoding: body, as: UTF8.self)) : nil))
        }
        return responses
    }

    func request(_ method: String, _ uri: String, body: String? = nil, headers: [String] = ["Host: localhost"])
        -> String
    {
        var text = "\(method) \(uri) HTTP/1.1\r\n"
        for header in headers { text += header + "\r\n" }
        if let body {
            text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        } else {
            text += "\r\n"
        }
        return text
    }

    func testStatusHasTheUpstreamShapeAndTheSocketsUID() throws {
        let (channel, _) = try makeChannel(uid: 1001)
        // Neither a query parameter nor a header can name another user.
        let r = try exchange(channel, request("GET", "/v1/status?uid=0", headers: ["Host: localhost", "X-Uid: 0"]))
        XCTAssertEqual(r.count, 1)
        XCTAssertEqual(r[0].status, 200)
        XCTAssertEqual(r[0].headers["content-type"], "application/json")
        let status = try StatusResponse(json: XCTUnwrap(r[0].json))
        XCTAssertEqual(status.uid, 1001)
        XCTAssertEqual(status.status, .running)
        XCTAssertEqual(status.version, "0.1.0-test")
        XCTAssertNil(status.authTokenID)
        XCTAssertEqual(r[0].json?["auth_token_expiry"], .null)
        XCTAssertEqual(r[0].json?["errors"], [])
    }

    func testKeepAliveServesSeveralRequestsInOrder() throws {
        let (channel, _) = try makeChannel(uid: 1001)
        let r = try exchange(channel, request("GET", "/v1/sessions") + request("GET", "/v1/status"))
        XCTAssertEqual(r.map(\.status), [200, 200])
        XCTAssertEqual(r[0].json, ["items": []])
        XCTAssertEqual(r[1].json?["uid"], 1001)
        XCTAssertTrue(channel.isActive)
    }

    func testUnknownPathsAndMethodsAreBoundaryErrors() throws {
        let (channel, _) = try makeChannel(uid: 1001)
        let r = try exchange(
            channel,
            request("GET", "/v1/nope") + request("PUT", "/v1/status") + request("GET", "/v1/tokens")
                + request("GET", "/v1/explain") + request("POST", "/v1/pause?scope=everyone"))
        XCTAssertEqual(r.map(\.status), [404, 405, 405, 400, 400])
        XCTAssertEqual(r[0].json?["kind"], "NotFound")
        XCTAssertEqual(r[1].json?["kind"], "Unimplemented")
        XCTAssertEqual(r[3].json?["kind"], "InvalidArgument")
        XCTAssertNil(r[0].json?["status"], "the status is in the status line, not the body")
    }

    func testMalformedTokenBodies() throws {
        let (channel, _) = try makeChannel(uid: 1001)
        let r = try exchange(
            channel,
            request("POST", "/v1/tokens", body: "{") + request("POST", "/v1/tokens", body: #"{"token":"at_1_s1x"}"#)
                + request("POST", "/v1/tokens", body: #"{"boundary_addr":"http://127.0.0.1:9200","token":"nope"}"#)
                + request("POST", "/v1/tokens", body: #"{"boundary_addr":"ftp://x","token":"at_1234567890_s1x"}"#))
        XCTAssertEqual(r.map(\.status), [400, 400, 400, 400])
        XCTAssertTrue(r.allSatisfy { $0.json?["kind"] == "InvalidArgument" })
    }

    func testOversizedBodyIs413AndCloses() throws {
        let (channel, _) = try makeChannel(uid: 1001)
        let big = String(repeating: "x", count: APIPaths.maximumRequestBody + 1)
        let r = try exchange(channel, request("POST", "/v1/tokens", body: big))
        XCTAssertEqual(r.map(\.status), [413])
        XCTAssertEqual(r[0].headers["connection"], "close")
        XCTAssertFalse(channel.isActive)
    }

    func testOversizedHeadersAreRefused() throws {
        let (channel, _) = try makeChannel(uid: 1001)
        let huge = "X-Filler: " + String(repeating: "a", count: 100 * 1024)
        // NIO's decoder allows 80 KiB of headers; its error handler answers 400 and closes.
        let r = (try? exchange(channel, request("GET", "/v1/status", headers: ["Host: localhost", huge]))) ?? []
        XCTAssertEqual(r.map(\.status), [400])
        XCTAssertFalse(channel.isActive)
    }

    func testBrowserRequestsAreRefused() throws {
        let (tcp, _) = try makeChannel(uid: 1001, transport: .tcp)
        let r = try exchange(
            tcp,
            request("GET", "/v1/sessions", headers: ["Host: localhost:9300", "Origin: http://evil.example"])
                + request("GET", "/v1/sessions", headers: ["Host: evil.example:9300"])
                + request("GET", "/v1/sessions", headers: ["Host: localhost:9300", "Sec-Fetch-Site: cross-site"])
                + request("GET", "/v1/sessions", headers: ["Host: 127.0.0.1:9300"])
                + request("GET", "/v1/sessions", headers: ["Host: [::1]:9300"])
                + request("GET", "/v1/sessions", headers: ["Host: localhost"]))
        XCTAssertEqual(r.map(\.status), [403, 403, 403, 200, 200, 200])
        // On the unix socket no browser can connect; any Host is fine (the Go client sends its own).
        let (unix, _) = try makeChannel(uid: 1001, transport: .unix)
        XCTAssertEqual(
            try exchange(unix, request("GET", "/v1/sessions", headers: ["Host: api.boundary.localhost"])).map(\.status),
            [200])
    }

    func testUserPauseIsPerUserAndAdminPausesTheAgent() throws {
        let (user, core) = try makeChannel(uid: 1001)
        var r = try exchange(user, request("POST", "/v1/pause"))
        XCTAssertEqual(r[0].json, ["status": "paused", "pause_scope": "user"])
        XCTAssertTrue(helper.pauses.isEmpty, "a user pause does not touch the system")
        r = try exchange(user, request("POST", "/v1/pause?scope=agent"))
        XCTAssertEqual(r[0].status, 403)
        XCTAssertEqual(r[0].json?["kind"], "PermissionDenied")

        // Another user is not paused.
        let (other, _) = try makeChannel(uid: 1002, core: core)
        XCTAssertEqual(try exchange(other, request("GET", "/v1/status"))[0].json?["status"], "running")

        // A member of the admin group pauses everyone, through the helper.
        let (admin, _) = try makeChannel(uid: 1500, core: core)
        r = try exchange(admin, request("POST", "/v1/pause"))
        XCTAssertEqual(r[0].json, ["status": "paused", "pause_scope": "agent"])
        XCTAssertEqual(helper.pauses, ["paused by uid 1500"])
        let status = try exchange(other, request("GET", "/v1/status"))[0].json
        XCTAssertEqual(status?["status"], "paused")
        XCTAssertEqual(status?["pause_scope"], "agent")

        // A user's resume clears only their own flag; the agent stays paused.
        r = try exchange(user, request("POST", "/v1/resume"))
        XCTAssertEqual(r[0].json, ["status": "paused", "pause_scope": "user"])
        XCTAssertEqual(helper.resumes, 0)
        r = try exchange(admin, request("POST", "/v1/resume"))
        XCTAssertEqual(r[0].json, ["status": "running", "pause_scope": "agent"])
        XCTAssertEqual(helper.resumes, 1)
        XCTAssertEqual(try exchange(user, request("GET", "/v1/status"))[0].json?["status"], "running")
    }

    func testHelperStateIsAdoptedAtStart() throws {
        let loop = EmbeddedEventLoop()
        loops.append(loop)
        let core = makeCore(on: loop)
        helper.state = HelperState(paused: true, resolverOverwritten: true)
        core.start()
        loop.run()
        let (api, _) = try makeChannel(uid: 1001, core: core)
        let status = try StatusResponse(json: XCTUnwrap(try exchange(api, request("GET", "/v1/status"))[0].json))
        XCTAssertEqual(status.status, .paused, "the operational state survives a restart")
        XCTAssertEqual(status.pauseScope, .agent)
        XCTAssertTrue(helper.pauses.isEmpty, "the helper is not asked to pause again")
        XCTAssertTrue(status.warnings.first?.contains("overwrote the system resolver") == true, "\(status.warnings)")
        _ = try core.shutdown(timeout: .zero).wait()
    }

    /// The helper's own warnings (a resolv.conf it rebuilt at start) reach every user's status once.
    func testHelperWarningsAreShownOnce() throws {
        let loop = EmbeddedEventLoop()
        loops.append(loop)
        let core = makeCore(on: loop)
        helper.state = HelperState(paused: false, resolverOverwritten: false, warnings: ["resolv.conf rebuilt"])
        core.start()
        loop.run()
        core.helperState(helper.state, first: false)
        for uid: UInt32 in [1001, 1002] {
            let (api, _) = try makeChannel(uid: uid, core: core)
            let status = try StatusResponse(json: XCTUnwrap(try exchange(api, request("GET", "/v1/status"))[0].json))
            XCTAssertEqual(status.warnings.count, 1, "\(status.warnings)")
            XCTAssertTrue(status.warnings.first?.hasSuffix(": resolv.conf rebuilt") == true, "\(status.warnings)")
        }
        _ = try core.shutdown(timeout: .zero).wait()
    }

    func testExplainWithoutAToken() throws {
        let (channel, _) = try makeChannel(uid: 1001)
        let r = try exchange(channel, request("GET", "/v1/explain?name=SSH.boundary.dev."))
        let explain = try ExplainResponse(json: XCTUnwrap(r[0].json))
        XCTAssertEqual(explain.alias, "ssh.boundary.dev")
        XCTAssertFalse(explain.resolves)
        XCTAssertEqual(explain.checks.first { !$0.ok }?.check, "signed_in")
    }

    func testUnreachableControllerFailsTheTokenAndAutoPauses() throws {
        let loop = EmbeddedEventLoop()
        loops.append(loop)
        let core = makeCore(on: loop, settings: BrokerSettings(version: "t", autoPauseFailures: 3))
        let (api, _) = try makeChannel(uid: 1001, core: core)
        let body = #"{"boundary_addr":"http://127.0.0.1:1","token":"at_1234567890_s1secret"}"#
        var r = try exchange(api, request("POST", "/v1/tokens", body: body))
        XCTAssertEqual(r[0].status, 502)
        XCTAssertEqual(r[0].json?["kind"], "Unavailable")
        XCTAssertFalse(JSONWriter().string(r[0].json!).contains("s1secret"))
        r = try exchange(api, request("POST", "/v1/tokens", body: body) + request("POST", "/v1/tokens", body: body))
        XCTAssertEqual(helper.pauses.count, 1)
        let status = try StatusResponse(json: XCTUnwrap(try exchange(api, request("GET", "/v1/status"))[0].json))
        XCTAssertEqual(status.status, .paused)
        XCTAssertEqual(status.pauseScope, .agent)
        XCTAssertTrue(status.errors.first?.contains("auto-paused after 3 failures") == true, "\(status.errors)")
        XCTAssertNil(status.authTokenID, "a token that could not be checked is not kept")
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = self
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
