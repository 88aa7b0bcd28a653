import BoundaryAPI
import BoundaryWire
import Foundation
import NIOCore
import NIOPosix
import XCTest

@testable import DevController

/// Our data-plane client against our dev worker over real loopback sockets (boundary-protocol.md §3):
/// tofu, connection limits, cancel, expiry, TLS refusals, worker fallback and the byte pipe.
final class WorkerDataPlaneTests: XCTestCase {
    var harness: WorkerTestHarness!

    override func setUp() async throws {
        harness = WorkerTestHarness()
        try await harness.start()
    }

    override func tearDown() async throws {
        await harness.shutdown()
        harness = nil
    }

    func testTwoConnectionsOnOneSessionShareOneTofuToken() async throws {
        let (session, credentials) = try harness.makeSession()
        let client = try harness.client(credentials)
        let proxy = try await harness.localProxy(through: client)

        let first = try BlockingClient(proxy.address)
        try first.send(Array("hello".utf8))
        XCTAssertEqual(first.receive(5), Array("hello".utf8))
        let second = try BlockingClient(proxy.address)
        try second.send(Array("world!".utf8))
        XCTAssertEqual(second.receive(6), Array("world!".utf8))

        let stored = try XCTUnwrap(harness.store.session(id: session.id))
        XCTAssertEqual(stored.status, .active)
        XCTAssertEqual(stored.tofuToken, client.tofuToken)
        XCTAssertEqual(stored.connections.count, 2)

        first.close()
        second.close()
        let outcomes = try await proxy.waitForOutcomes(2)
        for case .success(let outcome) in outcomes {
            XCTAssertNil(outcome.error)
        }
        XCTAssertEqual(
            outcomes.compactMap { try? $0.get().bytesUp }.sorted(), [5, 6], "payload bytes sent per connection")
        try await waitUntil { self.harness.store.session(id: session.id)?.openConnectionCount == 0 }
        let closed = try XCTUnwrap(harness.store.session(id: session.id)).connections
        XCTAssertEqual(closed.map(\.bytesUp).sorted(), [5, 6])
        XCTAssertEqual(closed.map(\.bytesDown).sorted(), [5, 6])
        XCTAssertEqual(Set(closed.compactMap(\.closedReason)), ["closed by end-user"])
    }

    func testHandshakeResultReportsUnlimitedConnections() async throws {
        let (_, credentials) = try harness.makeSession()
        let client = try harness.client(credentials)
        let connection = try await client.connect(to: [harness.workerEndpoint], on: harness.group.next()).get()
        XCTAssertEqual(connection.handshakeResult.connectionLimit, -1)
        XCTAssertEqual(connection.handshakeResult.connectionsLeft, -1)
        XCTAssertEqual(
            connection.handshakeResult.expiration?.seconds, credentials.expiration?.seconds, "session expiry")
        connection.close()
        let outcome = try await connection.outcome.get()
        XCTAssertNil(outcome.error, "closing our side is a clean end")
    }

    func testASecondTofuTokenIsRefusedAsInUse() async throws {
        let (_, credentials) = try harness.makeSession()
        let owner = try harness.client(credentials)
        let connection = try await owner.connect(to: [harness.workerEndpoint], on: harness.group.next()).get()
        let intruder = try harness.client(credentials)
        let error = await intruder.connect(to: [harness.workerEndpoint], on: harness.group.next()).failure()
        XCTAssertEqual(error as? DataPlaneError, .sessionInUse)
        // The owner can still open more.
        let again = try await owner.connect(to: [harness.workerEndpoint], on: harness.group.next()).get()
        again.close()
        connection.close()
        XCTAssertTrue(harness.logEvents("worker-handshake").contains { $0.contains("tofu token not allowed") })
    }

    func testConnectionLimitOneRefusesTheSecondConnection() async throws {
        let (_, credentials) = try harness.makeSession(connectionLimit: 1)
        let client = try harness.client(credentials)
        let connection = try await client.connect(to: [harness.workerEndpoint], on: harness.group.next()).get()
        XCTAssertEqual(connection.handshakeResult.connectionLimit, 1)
        XCTAssertEqual(connection.handshakeResult.connectionsLeft, 0)
        let error = await client.connect(to: [harness.workerEndpoint], on: harness.group.next()).failure()
        XCTAssertEqual(error as? DataPlaneError, .noConnectionsLeft)
        connection.close()
    }

    func testSessionCancelThroughTheWorkerEndsOpenStreams() async throws {
        await harness.shutdown()
        harness = WorkerTestHarness(pollInterval: .seconds(2))  // the real worker's interval
        try await harness.start()
        let (session, credentials) = try harness.makeSession()
        let client = try harness.client(credentials)
        let proxy = try await harness.localProxy(through: client)
        let stream = try BlockingClient(proxy.address)
        try stream.send([1, 2, 3])
        XCTAssertEqual(stream.receive(3), [1, 2, 3])

        let started = Date()
        try await client.cancelSession(via: [harness.workerEndpoint], on: harness.group.next()).get()
        let status = try XCTUnwrap(harness.store.session(id: session.id)).status
        XCTAssertTrue(status == .canceling || status == .terminated, "\(status)")
        XCTAssertTrue(stream.waitForClose(), "the open stream is cut")
        XCTAssertLessThan(Date().timeIntervalSince(started), 3.5, "within about two seconds of the cancel")
        stream.close()

        let error = await client.connect(to: [harness.workerEndpoint], on: harness.group.next()).failure()
        XCTAssertEqual(error as? DataPlaneError, .sessionNotAuthorized)
        try await waitUntil { self.harness.store.session(id: session.id)?.status == .terminated }
        XCTAssertEqual(harness.store.session(id: session.id)?.connections.first?.closedReason, "canceled")
    }

    func testCancelWithAnotherTofuTokenStillCancels() async throws {
        // §3.3 step 3: the tofu token is not compared for SESSION_CANCEL.
        let (session, credentials) = try harness.makeSession()
        let owner = try harness.client(credentials)
        try await owner.connect(to: [harness.workerEndpoint], on: harness.group.next()).get().close()
        let other = try harness.client(credentials)
        try await other.cancelSession(via: [harness.workerEndpoint], on: harness.group.next()).get()
        XCTAssertNotEqual(harness.store.session(id: session.id)?.status, .active)
    }

    func testExpiryClosesOpenStreams() async throws {
        let (_, credentials) = try harness.makeSession(lifetime: 2)
        let client = try harness.client(credentials)
        let proxy = try await harness.localProxy(through: client)
        let stream = try BlockingClient(proxy.address)
        try stream.send([9])
        XCTAssertEqual(stream.receive(1), [9])
        XCTAssertTrue(stream.waitForClose(), "cut at expiry")
        stream.close()
        let outcomes = try await proxy.waitForOutcomes(1)
        XCTAssertEqual(try outcomes.first?.get().error, .sessionExpired)
        let error = await client.connect(to: [harness.workerEndpoint], on: harness.group.next()).failure()
        XCTAssertEqual(error as? DataPlaneError, .sessionNotAuthorized, "an expired session fails the TLS handshake")
    }

    func testUnknownSessionFailsTheTLSHandshake() async throws {
        let now = DevSessionStore.now()
        let material = try SessionCertificateFactory.make(
            sessionID: "s_0000000000", workerAddresses: ["127.0.0.1:9202"], expiration: now + 60, now: now)
        let client = try harness.client(
            DataPlaneCredentials(
                sessionID: "s_0000000000", certificateDER: material.certificateDER, privateKey: material.privateKey,
                expiration: nil))
        let error = await client.connect(to: [harness.workerEndpoint], on: harness.group.next()).failure()
        XCTAssertEqual(error as? DataPlaneError, .sessionNotAuthorized)
        let events = harness.logEvents("worker-tls")
        XCTAssertTrue(
            events.contains {
                $0.contains("\"result\":\"unknown-session\"") && $0.contains("\"alpn\":[\"http/1.1\",\"s_0000000000\"]")
            }, "\(events)")
    }

    func testClientRefusesAWorkerWithoutTheSessionCertificate() async throws {
        // The ALPN names session A, but we hold session B's certificate: the worker presents A's.
        let (a, _) = try harness.makeSession()
        let (_, b) = try harness.makeSession()
        var mixed = b
        mixed.sessionID = a.id
        let client = try harness.client(mixed)
        let error = await client.connect(to: [harness.workerEndpoint], on: harness.group.next()).failure()
        XCTAssertEqual(error as? DataPlaneError, .workerCertificateMismatch)
    }

    func testWorkerRefusesAClientCertificateThatIsNotTheSessions() async throws {
        let (a, credentialsA) = try harness.makeSession()
        let (_, b) = try harness.makeSession()
        let outcome = try await RawTLSClient.exchange(
            harness: harness, sessionID: a.id, certificate: b.certificateDER, key: b.privateKey,
            acceptServer: credentialsA.certificateDER, request: Self.upgradeRequest())
        XCTAssertNil(outcome.response, "no HTTP answer with the wrong client certificate")
        XCTAssertTrue("\(outcome.error ?? "")".contains("CERTIFICATE"), "\(String(describing: outcome.error))")
        XCTAssertTrue(harness.logEvents("worker-tls").contains { $0.contains("client-certificate-rejected") })
    }

    func testPlainHTTPErrorsForOtherRequests() async throws {
        let (session, credentials) = try harness.makeSession()
        func ask(_ request: String) async throws -> String {
            let outcome = try await RawTLSClient.exchange(
                harness: harness, sessionID: session.id, certificate: credentials.certificateDER,
                key: credentials.privateKey, acceptServer: credentials.certificateDER, request: request)
            return outcome.response ?? "no response: \(String(describing: outcome.error))"
        }
        let notFound = try await ask("GET /v1/other HTTP/1.1\r\nHost: w\r\n\r\n")
        XCTAssertTrue(notFound.hasPrefix("HTTP/1.1 404"), notFound)
        let noUpgrade = try await ask("GET /v1/proxy HTTP/1.1\r\nHost: w\r\n\r\n")
        XCTAssertTrue(noUpgrade.hasPrefix("HTTP/1.1 426"), noUpgrade)
        let wrongProtocol = try await ask(Self.upgradeRequest(subprotocol: "boundary-tcp-v1"))
        XCTAssertTrue(wrongProtocol.hasPrefix("HTTP/1.1 426"), wrongProtocol)
        XCTAssertFalse(wrongProtocol.lowercased().contains("sec-websocket-accept"), wrongProtocol)
        let good = try await ask(Self.upgradeRequest())
        XCTAssertTrue(good.hasPrefix("HTTP/1.1 101"), good)
        XCTAssertTrue(good.lowercased().contains("sec-websocket-protocol: boundary-tcp-proxy-v1"), good)
        XCTAssertTrue(good.lowercased().contains("cache-control: no-store"), good)
    }

    func testADeadFirstWorkerAddressFallsThroughToTheNext() async throws {
        let (_, credentials) = try harness.makeSession()
        let client = try harness.client(credentials)
        let dead = WorkerEndpoint(literal: try WorkerAddress(parsing: "127.0.0.1:\(try Self.closedPort())"))!
        let connection = try await client.connect(to: [dead, harness.workerEndpoint], on: harness.group.next()).get()
        XCTAssertEqual(connection.endpoint, harness.workerEndpoint)
        connection.close()

        let error = await client.connect(to: [dead, dead], on: harness.group.next()).failure()
        guard case .workersUnreachable(let tried) = error as? DataPlaneError else {
            return XCTFail("\(String(describing: error))")
        }
        XCTAssertEqual(tried.count, 2)
        let none = await client.connect(to: [], on: harness.group.next()).failure()
        XCTAssertEqual(none as? DataPlaneError, .noWorkers)
    }

    func testAnUnreachableEndpointClosesWith3000AfterTheResult() async throws {
        let (_, credentials) = try harness.makeSession(endpointPort: try Self.closedPort())
        let client = try harness.client(credentials)
        let proxy = try await harness.localProxy(through: client)
        let stream = try BlockingClient(proxy.address)
        XCTAssertTrue(stream.waitForClose())
        stream.close()
        let outcomes = try await proxy.waitForOutcomes(1)
        XCTAssertEqual(try outcomes.first?.get().error, .proxySetupFailed("unable to setup proxying"))
    }

    func testBytesTheTargetSendsBeforeTheSpliceArrive() async throws {
        let banner = try await ServerBootstrap(group: harness.group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([BannerHandler(), EchoHandler()])
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { banner.close(promise: nil) }
        let (_, credentials) = try harness.makeSession(endpointPort: banner.localAddress!.port!)
        let client = try harness.client(credentials)
        let proxy = try await harness.localProxy(through: client)
        let stream = try BlockingClient(proxy.address)
        XCTAssertEqual(
            String(decoding: stream.receive(BannerHandler.banner.utf8.count), as: UTF8.self), BannerHandler.banner)
        try stream.send(Array("ls\n".utf8))
        XCTAssertEqual(stream.receive(3), Array("ls\n".utf8))
        stream.close()
    }

    /// Volume, byte-exact. The issue's full sizes (100 MB, 1,000 connections) run with
    /// BCA_DATAPLANE_FULL=1; by default a smaller run keeps `swift test` quick.
    func testEchoVolumeThroughOneSessionIsByteExact() async throws {
        let full = ProcessInfo.processInfo.environment["BCA_DATAPLANE_FULL"] == "1"
        let megabytes = full ? 100 : 8
        let connections = full ? 1000 : 50
        let (_, credentials) = try harness.makeSession()
        let client = try harness.client(credentials)
        let proxy = try await harness.localProxy(through: client)

        let total = megabytes * 1_000_000
        let seconds = try Self.echo(total: total, through: proxy.address)
        print(
            "echo: \(megabytes) MB in \(String(format: "%.2f", seconds)) s = \(String(format: "%.1f", Double(megabytes) / seconds)) MB/s"
        )

        let started = Date()
        for i in 0..<connections {
            let c = try BlockingClient(proxy.address)
            let message = Array("connection \(i)".utf8)
            try c.send(message)
            XCTAssertEqual(c.receive(message.count), message, "connection \(i)")
            c.close()
        }
        let elapsed = Date().timeIntervalSince(started)
        print(
            "sequential: \(connections) connections in \(String(format: "%.2f", elapsed)) s = \(String(format: "%.0f", Double(connections) / elapsed))/s"
        )
        let outcomes = try await proxy.waitForOutcomes(connections + 1, timeout: 30)
        XCTAssertEqual(outcomes.filter { (try? $0.get().error) != nil }.count, 0, "every stream ended cleanly")
    }

    // MARK: helpers

    /// Sends `total` pseudo-random bytes from one thread while this one reads the echo and compares.
    static func echo(total: Int, through address: SocketAddress) throws -> Double {
        let period = 1_048_583  // a prime, so the pattern never lines up with frame or buffer sizes
        var rng = SystemRandomNumberGenerator()
        let base = (0..<period).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let pattern = base + base.prefix(65536)  // periodic, so any 64 KiB window starting below `period` is valid
        let client = try BlockingClient(address, timeoutSeconds: 30)
        defer { client.close() }
        let started = Date()
        let writer = Thread {
            var sent = 0
            while sent < total {
                let n = min(65536, total - sent)
                let offset = sent % period
                let ok = pattern[offset..<(offset + n)].withUnsafeBytes { p -> Bool in
                    var done = 0
                    while done < n {
                        let w = write(client.fd, p.baseAddress! + done, n - done)
                        if w <= 0 { return false }
                        done += w
                    }
                    return true
                }
                if !ok { return }
                sent += n
            }
        }
        writer.start()
        var received = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        while received < total {
            let n = buffer.withUnsafeMutableBytes { read(client.fd, $0.baseAddress, min(65536, total - received)) }
            guard n > 0 else { throw POSIXError(.ECONNRESET) }
            let offset = received % period
            let equal = pattern[offset..<(offset + n)].withUnsafeBytes { p in
                buffer.withUnsafeBytes { memcmp(p.baseAddress!, $0.baseAddress!, n) == 0 }
            }
            guard equal else {
                XCTFail("echo differs within bytes \(received)..<\(received + n)")
                return 0
            }
            received += n
        }
        return Date().timeIntervalSince(started)
    }

    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: sin.sin_port))
    }

    static func upgradeRequest(subprotocol: String = "boundary-tcp-proxy-v1") -> String {
        "GET /v1/proxy HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + "Sec-WebSocket-Protocol: \(subprotocol)\r\n\r\n"
    }

    func waitUntil(timeout: Double = 5, _ condition: @escaping () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard Date() < deadline else { return XCTFail("condition not met in \(timeout) s") }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }
}

/// A target that speaks first, like an SSH server.
final class BannerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer
    static let banner = "SSH-2.0-bca-test\r\n"

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: Self.banner)), promise: nil)
        context.fireChannelActive()
    }
}
