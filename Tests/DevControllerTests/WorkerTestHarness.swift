import BoundaryAPI
import BoundaryWire
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import XCTest

@testable import DevController

#if canImport(Glibc)
    import Glibc
#endif

/// A dev worker on a loopback port, a real TCP echo server as the session endpoint, and a local
/// listener that splices every accepted connection through the data-plane client, as the broker
/// will. Everything is real sockets on 127.0.0.1.
final class WorkerTestHarness: @unchecked Sendable {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    let store = DevSessionStore()
    let logPath: String
    let log: DevRequestLog
    let worker: DevWorker
    private(set) var workerAddress: SocketAddress!
    private(set) var echoAddress: SocketAddress!
    private var channels: [Channel] = []
    let logger = Logger(label: "test.dataplane")

    init(pollInterval: TimeAmount = .milliseconds(500)) {
        logPath = "/tmp/bca-dataplane-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).jsonl"
        log = DevRequestLog(path: logPath)
        worker = DevWorker(store: store, log: log, group: group, pollInterval: pollInterval)
    }

    func start() async throws {
        workerAddress = try await worker.start(host: "127.0.0.1", port: 0)
        let echo = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(EchoHandler()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        channels.append(echo)
        echoAddress = echo.localAddress!
    }

    func shutdown() async {
        await worker.stop()
        for c in channels { try? await c.close() }
        try? await group.shutdownGracefully()
        unlink(logPath)
    }

    var workerEndpoint: WorkerEndpoint {
        WorkerEndpoint(literal: try! WorkerAddress(parsing: "127.0.0.1:\(workerAddress.port!)"))!
    }

    /// Inserts a session like authorize-session does, with a certificate from the factory.
    @discardableResult
    func makeSession(
        connectionLimit: Int32 = -1, lifetime: Double = 3600, endpointPort: Int? = nil
    ) throws -> (DevSessionStore.Session, DataPlaneCredentials) {
        let now = DevSessionStore.now()
        let id = "s_" + DevIDs.random(count: 10)
        let material = try SessionCertificateFactory.make(
            sessionID: id, workerAddresses: ["127.0.0.1:\(workerAddress.port!)"], expiration: now + lifetime, now: now)
        let session = DevSessionStore.Session(
            id: id, userID: "u_1234567890", authTokenID: "at_1234567890", targetID: "ttcp_1234567890",
            scopeID: "p_1234567890", endpointHost: "127.0.0.1", endpointPort: endpointPort ?? echoAddress.port!,
            createdTime: now, updatedTime: now, expiration: now + lifetime, certificateDER: material.certificateDER,
            privateKey: material.privateKey, connectionLimit: connectionLimit)
        store.insert(session)
        let credentials = DataPlaneCredentials(
            sessionID: id, certificateDER: material.certificateDER, privateKey: material.privateKey,
            expiration: Timestamp(secondsSinceEpoch: now + lifetime))
        return (session, credentials)
    }

    func client(_ credentials: DataPlaneCredentials, tofu: String = TofuToken.generate()) throws -> DataPlaneClient {
        var configuration = DataPlaneClient.Configuration()
        configuration.connectTimeout = .seconds(2)
        configuration.handshakeTimeout = .seconds(10)
        return try DataPlaneClient(
            credentials: credentials, tofuToken: tofu, configuration: configuration, logger: logger)
    }

    /// A local listener whose accepted connections are each carried through `client`, the way the
    /// broker does it: autoRead off until the splice. Outcomes are collected in `outcomes`.
    func localProxy(through client: DataPlaneClient, endpoints: [WorkerEndpoint]? = nil) async throws -> LocalProxy {
        let proxy = LocalProxy()
        let targets = endpoints ?? [workerEndpoint]
        let listener = try await ServerBootstrap(group: group)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { local in
                local.eventLoop.makeCompletedFuture {
                    try local.pipeline.syncOperations.addHandler(
                        SpliceOnActiveHandler(client: client, endpoints: targets, proxy: proxy))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        channels.append(listener)
        proxy.address = listener.localAddress!
        return proxy
    }

    func logEvents(_ name: String) -> [String] {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map(String.init).filter { $0.contains("\"event\":\"\(name)\"") }
    }
}

final class LocalProxy: @unchecked Sendable {
    var address: SocketAddress!
    private let results = Mutex<[Result<DataPlaneOutcome, Error>]>([])

    func record(_ result: Result<DataPlaneOutcome, Error>) {
        results.withLock { $0.append(result) }
    }

    var outcomes: [Result<DataPlaneOutcome, Error>] { results.withLock { $0 } }

    func waitForOutcomes(_ count: Int, timeout: Double = 10) async throws -> [Result<DataPlaneOutcome, Error>] {
        let deadline = DevSessionStore.now() + timeout
        while outcomes.count < count {
            guard DevSessionStore.now() < deadline else {
                XCTFail("expected \(count) outcomes, have \(outcomes.count)")
                return outcomes
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        return outcomes
    }
}

/// What the broker's accept handler will do: once the local connection is up, open a worker
/// connection on the same event loop and splice the two.
final class SpliceOnActiveHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    let client: DataPlaneClient
    let endpoints: [WorkerEndpoint]
    let proxy: LocalProxy

    init(client: DataPlaneClient, endpoints: [WorkerEndpoint], proxy: LocalProxy) {
        self.client = client
        self.endpoints = endpoints
        self.proxy = proxy
    }

    func channelActive(context: ChannelHandlerContext) {
        let local = context.channel
        let proxy = self.proxy
        context.pipeline.syncOperations.removeHandler(self, promise: nil)
        client.connect(to: endpoints, on: local.eventLoop).flatMap { connection in
            connection.outcome.whenSuccess { proxy.record(.success($0)) }
            return connection.splice(with: local)
        }.whenFailure { error in
            proxy.record(.failure(error))
            local.close(promise: nil)
        }
        context.fireChannelActive()
    }
}

/// The endpoint: a real TCP echo server.
final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// A blocking loopback TCP client (plain sockets: the application side of a proxied connection).
struct BlockingClient {
    let fd: Int32

    init(_ address: SocketAddress, timeoutSeconds: Int = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = in_port_t(UInt16(address.port!).bigEndian)
        sin.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else { throw POSIXErrorCode(rawValue: errno).map { POSIXError($0) } ?? POSIXError(.EIO) }
    }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw POSIXError(.EPIPE) }
            sent += n
        }
    }

    /// Reads exactly `count` bytes, or fewer if the peer closes or the timeout hits.
    func receive(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = out[got...].withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            got += n
        }
        return Array(out[..<got])
    }

    /// True when the peer closed (read returns 0 or a reset) within the timeout.
    func waitForClose() -> Bool {
        var byte: UInt8 = 0
        let n = read(fd, &byte, 1)
        return n == 0 || (n < 0 && errno == ECONNRESET)
    }

    func close() {
        _ = Glibc.close(fd)
    }
}

func XCTAssertDataPlaneError(
    _ result: Result<DataPlaneOutcome, Error>?, _ expected: DataPlaneError, file: StaticString = #filePath,
    line: UInt = #line
) {
    switch result {
    case .failure(let error as DataPlaneError):
        XCTAssertEqual(error, expected, file: file, line: line)
    case .failure(let error):
        XCTFail("unexpected error \(error)", file: file, line: line)
    case .success(let outcome):
        XCTFail("expected \(expected), got outcome \(outcome)", file: file, line: line)
    case nil:
        XCTFail("no result", file: file, line: line)
    }
}

extension EventLoopFuture where Value: Sendable {
    /// The error a future fails with, or nil if it succeeds.
    func failure() async -> Error? {
        do {
            _ = try await get()
            return nil
        } catch {
            return error
        }
    }
}
