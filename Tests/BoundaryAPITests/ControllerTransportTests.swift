import BoundaryWire
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import XCTest

@testable import BoundaryAPI

/// The HTTP client against real sockets that misbehave: refused, silent, oversized, garbage,
/// cut short, TLS with trusted, untrusted and mismatched certificates; and the exact request
/// shapes the controller client sends.
final class ControllerTransportTests: XCTestCase {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    var servers: [ControllerTestServer] = []

    override func tearDown() async throws {
        for s in servers { await s.close() }
        try? await group.shutdownGracefully()
    }

    func server(tls: NIOSSLContext? = nil, _ script: @escaping @Sendable (String) -> ControllerTestServer.Script)
        async throws -> ControllerTestServer
    {
        let s = try await ControllerTestServer(group: group, tls: tls, script: script)
        servers.append(s)
        return s
    }

    func client(
        trust: HTTPTrust = .insecure, resolver: (any HostResolver)? = nil, timeout: TimeAmount = .seconds(5),
        cap: Int = 1 << 20
    ) throws -> HTTPClient {
        try HTTPClient(
            group: group, resolver: resolver,
            configuration: HTTPClientConfiguration(
                trust: trust, userAgent: "Boundary-client-agent/0.1.0", requestTimeout: timeout,
                maximumResponseBytes: cap))
    }

    func get(_ client: HTTPClient, _ url: String) async -> Result<HTTPResponse, ControllerError> {
        do {
            return .success(
                try await client.execute(HTTPRequest(method: .GET, target: "/v1/x"), to: try HTTPEndpoint(url: url)))
        } catch let error as ControllerError {
            return .failure(error)
        } catch {
            return .failure(.invalidArgument("unexpected \(error)"))
        }
    }

    func error(_ result: Result<HTTPResponse, ControllerError>, file: StaticString = #filePath, line: UInt = #line)
        -> ControllerError?
    {
        switch result {
        case .success(let r):
            XCTFail("expected an error, got status \(r.status)", file: file, line: line)
            return nil
        case .failure(let e): return e
        }
    }

    // MARK: - Transport failures

    func testConnectionRefused() async throws {
        // A port that was just bound and closed: nothing listens there.
        let s = try await server { _ in .silent }
        let port = s.port
        await s.close()
        let e = error(await get(try client(), "http://127.0.0.1:\(port)"))
        XCTAssertEqual(e, .connectionRefused("127.0.0.1:\(port)"))
        XCTAssertEqual(e?.isTransportFailure, true)
    }

    func testSilentServerTimesOut() async throws {
        let s = try await server { _ in .silent }
        let start = NIODeadline.now()
        let e = error(await get(try client(timeout: .milliseconds(300)), "http://127.0.0.1:\(s.port)"))
        let took = NIODeadline.now() - start
        guard case .timeout = e else { return XCTFail("expected timeout, got \(String(describing: e))") }
        XCTAssertGreaterThanOrEqual(took, .milliseconds(290))
        XCTAssertLessThan(took, .seconds(2))
    }

    func testOversizedBodiesAreRefused() async throws {
        // Announced too large: refused from the head alone.
        let announced = try await server { _ in
            .respond(Array("HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n{".utf8))
        }
        let e1 = error(await get(try client(), "http://127.0.0.1:\(announced.port)"))
        XCTAssertEqual(e1, .bodyTooLarge(limit: 1 << 20))
        // Chunked, no length: refused once the bytes pass the cap.
        let chunk = String(repeating: "a", count: 0x10000)
        var text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        for _ in 0..<20 { text += "10000\r\n\(chunk)\r\n" }
        text += "0\r\n\r\n"
        let bytes = Array(text.utf8)
        let chunked = try await server { _ in .respond(bytes) }
        let e2 = error(await get(try client(), "http://127.0.0.1:\(chunked.port)"))
        XCTAssertEqual(e2, .bodyTooLarge(limit: 1 << 20))
        // Exactly at the cap is fine.
        let exact = try await server { _ in
            .respond(ControllerTestServer.response(body: String(repeating: "b", count: 1000)))
        }
        let ok = try await get(try client(cap: 1000), "http://127.0.0.1:\(exact.port)").get()
        XCTAssertEqual(ok.body.count, 1000)
        let e3 = error(await get(try client(cap: 999), "http://127.0.0.1:\(exact.port)"))
        XCTAssertEqual(e3, .bodyTooLarge(limit: 999))
    }

    func testGarbageAndTruncatedAnswers() async throws {
        let garbage = try await server { _ in .respond(Array("SSH-2.0-OpenSSH_9.2\r\n\r\n".utf8)) }
        let e4 = error(await get(try client(), "http://127.0.0.1:\(garbage.port)"))
        guard case .malformedResponse = e4 else {
            return XCTFail("garbage must be a malformed response")
        }
        let cut = try await server { _ in .respond(Array("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"a\":".utf8))
        }
        let e5 = error(await get(try client(), "http://127.0.0.1:\(cut.port)"))
        guard case .connectionFailed = e5 else {
            return XCTFail("a truncated body must fail")
        }
        let closed = try await server { _ in .respond([]) }
        let e6 = error(await get(try client(), "http://127.0.0.1:\(closed.port)"))
        XCTAssertNotNil(e6)
    }

    func testResolverIsUsedForNamesAndAddressesAreTriedInOrder() async throws {
        let live = try await server { _ in .respond(ControllerTestServer.response(body: "{}")) }
        let dead = try await server { _ in .silent }
        let deadPort = dead.port
        await dead.close()
        // Without a resolver a name cannot be reached; IP literals need none.
        let e7 = error(await get(try client(), "http://controller.test:\(live.port)"))
        guard case .resolutionFailed = e7 else {
            return XCTFail("no resolver must mean resolutionFailed")
        }
        let resolver = StaticHostResolver(["controller.test": ["127.0.0.1"]])
        let r8 = try await get(try client(resolver: resolver), "http://controller.test:\(live.port)").get()
        XCTAssertEqual(r8.status, 200)
        XCTAssertTrue(live.received.last?.contains("\r\nHost: controller.test:\(live.port)\r\n") ?? false)
        let e9 = error(await get(try client(resolver: resolver), "http://other.test:1"))
        guard case .resolutionFailed = e9 else {
            return XCTFail("an unknown name must mean resolutionFailed")
        }
        // First address refused, the second one answers.
        struct TwoAddresses: HostResolver {
            let ports: (Int, Int)
            func resolve(host: String, port: Int, on eventLoop: any EventLoop) -> EventLoopFuture<[SocketAddress]> {
                eventLoop.makeCompletedFuture {
                    [
                        try SocketAddress(ipAddress: "127.0.0.1", port: ports.0),
                        try SocketAddress(ipAddress: "127.0.0.1", port: ports.1),
                    ]
                }
            }
        }
        let fallback = try client(resolver: TwoAddresses(ports: (deadPort, live.port)))
        let r10 = try await get(fallback, "http://controller.test:1").get()
        XCTAssertEqual(r10.status, 200)
    }

    func testGetaddrinfoResolvesLocalhost() async throws {
        let addresses = try await GetaddrinfoHostResolver().resolve(host: "localhost", port: 9200, on: group.next())
            .get()
        XCTAssertTrue(addresses.contains { $0.ipAddress == "127.0.0.1" || $0.ipAddress == "::1" }, "\(addresses)")
        XCTAssertTrue(addresses.allSatisfy { $0.port == 9200 })
        let missing = GetaddrinfoHostResolver().resolve(host: "no-such-host.invalid", port: 1, on: group.next())
        do {
            _ = try await missing.get()
            XCTFail("a .invalid name resolved")
        } catch let e as ControllerError {
            guard case .resolutionFailed(let host, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(host, "no-such-host.invalid")
        }
    }

    // MARK: - TLS

    func testTLSVerification() async throws {
        let pki = try TestPKI()
        let s = try await server(tls: pki.serverContext) { _ in .respond(ControllerTestServer.response(body: "{}")) }
        let resolver = StaticHostResolver(["controller.test": ["127.0.0.1"], "wrong.test": ["127.0.0.1"]])
        let trusted = try client(trust: .roots([pki.caCertificate]), resolver: resolver)
        // Trusted CA and the right name: fine.
        let r11 = try await get(trusted, "https://controller.test:\(s.port)").get()
        XCTAssertEqual(r11.status, 200)
        // Right CA, wrong name (by name and by IP literal: the certificate has neither).
        let e12 = error(await get(trusted, "https://wrong.test:\(s.port)"))
        guard case .tlsFailure = e12 else {
            return XCTFail("a name mismatch must fail TLS")
        }
        let e13 = error(await get(trusted, "https://127.0.0.1:\(s.port)"))
        guard case .tlsFailure = e13 else {
            return XCTFail("an IP the certificate does not name must fail TLS")
        }
        // An unrelated CA: untrusted.
        let other = try TestPKI()
        let untrusted = try client(trust: .roots([other.caCertificate]), resolver: resolver)
        let e14 = error(await get(untrusted, "https://controller.test:\(s.port)"))
        guard case .tlsFailure = e14 else {
            return XCTFail("an untrusted certificate must fail TLS")
        }
        // The explicit insecure switch accepts anything.
        let r15 = try await get(try client(trust: .insecure), "https://127.0.0.1:\(s.port)").get()
        XCTAssertEqual(r15.status, 200)
        // Plain http to a TLS port does not hang or crash.
        let e16 = error(await get(try client(timeout: .seconds(2)), "http://127.0.0.1:\(s.port)"))
        XCTAssertNotNil(e16)
    }

    func testLoadingCABundles() throws {
        XCTAssertThrowsError(try HTTPTrust.loadPEMBundle(path: "/nonexistent/ca.pem"))
        let path = "/tmp/bca-control-ca-\(getpid()).pem"
        defer { unlink(path) }
        _ = FileManager.default.createFile(
            atPath: path, contents: Array("not a certificate\n".utf8).withUnsafeBufferPointer { Data($0) })
        XCTAssertThrowsError(try HTTPTrust.loadPEMBundle(path: path))
        if HTTPTrust.systemBundlePaths.contains(where: { FileManager.default.fileExists(atPath: $0) }) {
            XCTAssertGreaterThan(try HTTPTrust.loadSystemRoots().count, 10)
        }
        guard case .insecure = try HTTPTrust.load(caFile: "/nonexistent", insecure: true) else {
            return XCTFail("insecure wins")
        }
    }

    // MARK: - Request shapes

    func testControllerClientRequestShapes() async throws {
        let sessionToken = SessionAuthorizationData(
            sessionID: "s_1234567890", expiration: Timestamp(seconds: 2_000_000_000), certificate: [1],
            privateKey: Array(repeating: 7, count: 64), workerInfo: [.init(address: "127.0.0.1:9202")]
        ).authorizationToken
        let s = try await server { request in
            let body: String
            if request.hasPrefix("POST /v1/auth-methods/") {
                body =
                    #"{"command":"login","attributes":{"id":"at_1234567890","token":"at_1234567890_s1abc","user_id":"u_1234567890"}}"#
            } else if request.contains(":authorize-session") {
                body = #"{"session_id":"s_1234567890","authorization_token":"\#(sessionToken)"}"#
            } else if request.hasPrefix("GET /v1/sessions/") {
                body = #"{"id":"s_1234567890","version":4,"status":"active"}"#
            } else {
                body = "{}"
            }
            return .respond(ControllerTestServer.response(body: body))
        }
        let controller = try ControllerClient(
            address: "http://127.0.0.1:\(s.port)/v1/", http: try client(), logger: Logger(label: "test"), pageSize: 50)
        let token = try await controller.authenticate(
            authMethodID: "ampw_1234567890", loginName: "admin", password: "p\"w")
        let auth = try AuthTokenString(token.token)
        _ = try await controller.listResolvableAliasesPage(userID: "u_1234567890", token: auth, listToken: "3xYz")
        _ = try await controller.authorizeSession(target: "db.example/x?y", token: auth)
        _ = try await controller.cancelSession(id: "s_1234567890", version: nil, token: auth)
        let sent = s.received
        XCTAssertEqual(sent.count, 5)
        func line(_ i: Int) -> String { String(sent[i].split(separator: "\r\n").first ?? "") }
        XCTAssertEqual(line(0), "POST /v1/auth-methods/ampw_1234567890:authenticate HTTP/1.1")
        XCTAssertTrue(sent[0].hasSuffix(#"{"attributes":{"login_name":"admin","password":"p\"w"},"command":"login"}"#))
        XCTAssertFalse(sent[0].contains("Authorization:"), "no token on authenticate")
        XCTAssertEqual(
            line(1),
            "GET /v1/users/u_1234567890:list-resolvable-aliases?list_token=3xYz&page_size=50&scope_id=global HTTP/1.1")
        XCTAssertTrue(sent[1].contains("\r\nAuthorization: Bearer at_1234567890_s1abc\r\n"))
        XCTAssertEqual(line(2), "POST /v1/targets/db.example%2Fx%3Fy:authorize-session HTTP/1.1")
        XCTAssertTrue(sent[2].hasSuffix("\r\n\r\n{}"), "an empty JSON body, no host_id")
        XCTAssertEqual(line(3), "GET /v1/sessions/s_1234567890 HTTP/1.1")
        XCTAssertEqual(line(4), "POST /v1/sessions/s_1234567890:cancel HTTP/1.1")
        XCTAssertTrue(sent[4].hasSuffix(#"{"version":4}"#))
        for request in sent {
            XCTAssertTrue(request.contains("\r\nUser-Agent: Boundary-client-agent/0.1.0\r\n"), request)
            XCTAssertTrue(request.contains("\r\nContent-Type: application/json\r\n"), request)
            XCTAssertTrue(request.contains("\r\nHost: 127.0.0.1:\(s.port)\r\n"), request)
        }
    }

    func testControllerClientRejectsBadAnswers() async throws {
        let s = try await server { request in
            if request.contains(":authorize-session") {
                // A 200 whose token is not base58.
                return .respond(
                    ControllerTestServer.response(body: #"{"session_id":"s_1","authorization_token":"0OIl"}"#))
            }
            if request.hasPrefix("GET /v1/sessions/") {
                return .respond(ControllerTestServer.response(body: "<html>hi</html>"))
            }
            return .respond(
                ControllerTestServer.response(
                    status: "502 Bad Gateway", headers: ["Content-Type: text/html"], body: "<html>\nbad gateway</html>")
            )
        }
        let controller = try ControllerClient(
            address: "http://127.0.0.1:\(s.port)", http: try client(), logger: Logger(label: "t"))
        let token = try AuthTokenString("at_1234567890_s1abc")
        do {
            _ = try await controller.authorizeSession(target: "x.example", token: token)
            XCTFail("an undecodable token must fail")
        } catch let e as ControllerError {
            guard case .malformedResponse(let why) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(why.contains("authorize-session"), why)
        }
        do {
            _ = try await controller.readSession(id: "s_1234567890", token: token)
            XCTFail("HTML must not decode")
        } catch let e as ControllerError {
            guard case .malformedResponse = e else { return XCTFail("\(e)") }
        }
        do {
            _ = try await controller.validate(token: token)
            XCTFail("502 must fail")
        } catch let e as ControllerError {
            XCTAssertEqual(e, .httpStatus(502, APIErrorBody(kind: "", message: "<html>bad gateway</html>")))
        }
        // Arguments that cannot be sent never reach the network.
        let before = s.received.count
        for bad in [
            { try await controller.readSession(id: "../etc", token: token) },
            { try await controller.cancelSession(id: "x", version: 1, token: token) },
        ] as [() async throws -> Session] {
            do {
                _ = try await bad()
                XCTFail("must fail")
            } catch let e as ControllerError {
                guard case .invalidArgument = e else { return XCTFail("\(e)") }
            }
        }
        XCTAssertEqual(s.received.count, before)
    }
}
