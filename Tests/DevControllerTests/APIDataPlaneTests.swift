import BoundaryAPI
import BoundaryWire
import JSON
import NIOCore
import NIOPosix
import XCTest

@testable import DevController

/// The whole dev controller as the agent meets it: a session authorized through the API carries
/// bytes through the dev worker to a real echo server, becomes active, and a cancel through the
/// API cuts the open stream.
final class APIDataPlaneTests: XCTestCase {
    var harness: APITestHarness!

    override func tearDown() async throws {
        await harness?.shutdown()
        harness = nil
    }

    func testAuthorizedSessionCarriesBytesAndCancelCutsIt() async throws {
        harness = try APITestHarness(workerPollInterval: .milliseconds(300))
        try await harness.start()
        let echo = try await ServerBootstrap(group: harness.group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(EchoHandler()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { echo.close(promise: nil) }
        let echoPort = try XCTUnwrap(echo.localAddress?.port)
        try await harness.admin(
            .POST, "/admin/targets",
            ["id": "ttcp_echo000001", "name": "echo", "address": "127.0.0.1", "port": .int(Int64(echoPort))])
        try await harness.admin(.POST, "/admin/aliases", ["value": "echo.example.test", "target": "ttcp_echo000001"])

        let (token, _) = try await harness.login()
        let api = try harness.client()
        let session = try await api.authorizeSession(target: "echo.example.test", token: token)
        let client = try DataPlaneClient(
            credentials: DataPlaneCredentials(session.data), tofuToken: TofuToken.generate(), logger: harness.logger)
        let endpoints = try WorkerAddress.list(from: session.data).compactMap { WorkerEndpoint(literal: $0) }
        XCTAssertEqual(endpoints.count, 1)

        let proxy = LocalProxy()
        let listener = try await ServerBootstrap(group: harness.group)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { local in
                local.eventLoop.makeCompletedFuture {
                    try local.pipeline.syncOperations.addHandler(
                        SpliceOnActiveHandler(client: client, endpoints: endpoints, proxy: proxy))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { listener.close(promise: nil) }

        let app = try BlockingClient(listener.localAddress!, timeoutSeconds: 10)
        defer { app.close() }
        let message = Array("hello through boundary".utf8)
        try app.send(message)
        XCTAssertEqual(app.receive(message.count), message)

        // The first connection activated the session (version bumped by the activation).
        let active = try await api.readSession(id: session.authorization.sessionID, token: token)
        XCTAssertEqual(active.status, "active")
        XCTAssertEqual(active.version, 2)
        XCTAssertEqual(active.connections.count, 1)

        // Cancel through the API with automatic versioning: the open stream is cut.
        let canceled = try await api.cancelSession(id: session.authorization.sessionID, version: nil, token: token)
        XCTAssertEqual(canceled.status, "canceling")
        XCTAssertTrue(app.waitForClose(), "the worker must close the stream after the cancel")
    }
}
