import AgentAPI
import BoundaryAPI
import BoundaryWire
import JSON
import Logging
import NIOCore
import NIOPosix
import Synchronization
import XCTest

@testable import Broker
@testable import DevController

#if canImport(Glibc)
    import Glibc
#endif

/// The broker with its real clients against the dev controller and dev worker (real sockets, real
/// HTTP, TLS and WebSocket), in front of a real TCP echo target. Only the kernel's part of a
/// transparent connection is skipped: `listen(uid:)` hands its connections to the broker as if
/// nftables had redirected them and sock_diag had named `uid` (the integration tests do that part).
final class BrokerHarness: @unchecked Sendable {
    typealias Core = BrokerCore<ControllerAdapter, DataPlaneAdapter>

    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    let controller: DevController
    let logPath: String
    let logger: Logger
    var core: Core!
    let dns = RecordingDNSWorker()
    var helper: RecordingHelper!
    var echo: Channel!
    var listeners: [Channel] = []

    static let echoTargetID = "ttcp_echo000001"
    static let onceTargetID = "ttcp_once000001"
    static let credsTargetID = "ttcp_creds00001"

    init(
        settings: BrokerSettings = BrokerSettings(version: "test"),
        configure: (inout DevControllerConfig) -> Void = { _ in }
    )
        throws
    {
        logger = .test
        logPath = "/tmp/bca-broker-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).jsonl"
        // The echo target first: the targets need its port.
        echo = try ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(EchoHandler()) }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        let port = echo.localAddress!.port!
        var config = DevControllerConfig(
            users: [
                User(id: "u_1111111111", loginName: "alice", password: "password"),
                User(id: "u_2222222222", loginName: "bob", password: "password", targets: [Self.credsTargetID]),
                User(id: "u_3333333333", loginName: "carol", password: "password", mayListAliases: false),
            ],
            targets: [
                .init(id: Self.echoTargetID, name: "echo", address: "127.0.0.1", port: port),
                .init(id: Self.onceTargetID, name: "once", address: "127.0.0.1", port: port, connectionLimit: 1),
                .init(
                    id: Self.credsTargetID, name: "creds", address: "127.0.0.1", port: port,
                    credentials: [
                        .init(
                            id: "credup_1234567890", name: "db",
                            kind: .usernamePassword(username: "dba", password: "s3cret"))
                    ]),
            ],
            aliases: [
                .init(id: "alt_echo000001", value: "echo.bca.test", destinationID: Self.echoTargetID),
                .init(id: "alt_once000001", value: "once.bca.test", destinationID: Self.onceTargetID),
                .init(id: "alt_creds00001", value: "creds.bca.test", destinationID: Self.credsTargetID),
            ])
        configure(&config)
        var options = DevController.Options()
        options.apiAddress = .tcp(host: "127.0.0.1", port: 0)
        options.proxyAddress = .tcp(host: "127.0.0.1", port: 0)
        options.requestLogPath = logPath
        options.workerPollInterval = .milliseconds(200)
        controller = try DevController(config: config, options: options, group: group, logger: logger)
        let loop = group.next()
        helper = RecordingHelper(loop: loop)
        let http = try HTTPClient(
            group: group, resolver: nil,
            configuration: HTTPClientConfiguration(
                trust: .insecure, userAgent: "Boundary-client-agent/0.1.0", requestTimeout: .seconds(5),
                connectTimeout: .seconds(2)))
        let dns = self.dns
        let helper = self.helper!
        let logger = self.logger
        core = try loop.submit {
            let core = Core(
                loop: loop, settings: settings, controller: ControllerAdapter(http: http, logger: logger),
                dataPlane: DataPlaneAdapter(resolver: nil, logger: logger), dns: dns, helper: helper, logger: logger)
            core.start()
            return core
        }.wait()
    }

    typealias User = DevControllerConfig.User

    func start() async throws {
        try await controller.start()
    }

    func shutdown() async {
        for listener in listeners { try? await listener.close().get() }
        // Cancels still under way must finish before the loops go (NIO traps on a leaked promise).
        let core = self.core!
        _ = try? await core.loop.flatSubmit { core.shutdown() }.get()
        try? await echo.close().get()
        await controller.stop()
        try? await group.shutdownGracefully()
        unlink(logPath)
    }

    var apiURL: String { controller.apiURL! }

    /// Signs in at the dev controller and returns the full token.
    func login(_ name: String) async throws -> String {
        let http = try HTTPClient(
            group: group, resolver: nil,
            configuration: HTTPClientConfiguration(trust: .insecure, userAgent: "test"))
        let client = try ControllerClient(address: apiURL, http: http, logger: logger)
        return try await client.authenticate(authMethodID: "ampw_1234567890", loginName: name, password: "password")
            .token
    }

    /// Runs `route` as `uid` through the same entry the local API uses.
    func api(_ route: LocalAPIRoute, uid: UInt32) async throws -> JSONValue {
        try await core.handle(route, uid: uid).get()
    }

    func onCore<T: Sendable>(_ body: @escaping @Sendable (Core) -> T) async throws -> T {
        let core = self.core!
        return try await core.loop.submit { body(core) }.get()
    }

    /// Polls `condition` on the broker's loop for up to `seconds`.
    func eventually(_ seconds: Double = 5, _ condition: @escaping @Sendable (Core) -> Bool) async throws -> Bool {
        let deadline = NIODeadline.now() + .milliseconds(Int64(seconds * 1000))
        while NIODeadline.now() < deadline {
            if try await onCore(condition) { return true }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        return false
    }

    /// The address the broker gave `alias` (from what it pushed to the DNS worker for `uid`).
    func address(of alias: String, uid: UInt32) async throws -> SocketAddress? {
        let dns = self.dns
        let entry = try await onCore { _ in dns.views[uid]?.first { $0.alias == alias } }
        guard let entry else { return nil }
        return try SocketAddress(ipAddress: IPText.v4(entry.addresses.v4), port: 80)
    }

    /// A listener whose connections reach the broker as `uid`'s connections to `destination`.
    func listen(uid: UInt32, destination: SocketAddress) throws -> Int {
        let core = self.core!
        let channel = try ServerBootstrap(group: group)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { channel in
                let peer = "\(channel.remoteAddress.map { "\($0)" } ?? "?")"
                core.loop.execute { core.accept(channel: channel, uid: uid, destination: destination, peer: peer) }
                return channel.eventLoop.makeSucceededVoidFuture()
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        listeners.append(channel)
        return channel.localAddress!.port!
    }

    /// The request log's entries for `event` (e.g. "authorize-session").
    func logged(_ event: String) -> [JSONValue] {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }.filter {
            $0["event"]?.stringValue == event
        }
    }
}

/// The target: echoes every byte.
final class EchoHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(data, promise: nil)
    }
}

/// A blocking TCP client, like a real program: connect, send, read what comes back.
enum Client {
    enum Outcome: Equatable {
        case echoed(String)
        /// Closed or reset before any byte came back.
        case refused
    }

    static func roundTrip(port: Int, message: String = "hello through boundary\n", timeout: Int = 10) -> Outcome {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else { return .refused }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        _ = message.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while out.count < message.utf8.count {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return out.isEmpty ? .refused : .echoed(String(decoding: out, as: UTF8.self))
    }
}
