import BoundaryAPI
import BoundaryWire
import JSON
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import XCTest

@testable import DevController

#if canImport(Glibc)
    import Glibc
#endif

/// A dev controller (API, worker and admin listener on loopback ports the kernel picks) and the
/// agent's `ControllerClient` pointed at it: real sockets, real HTTP, both real components.
final class APITestHarness: @unchecked Sendable {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    let controller: DevController
    let logPath: String
    let logger = Logger(label: "test.control")

    init(config: DevControllerConfig = .devDefaults, workerPollInterval: TimeAmount = .seconds(2)) throws {
        logPath = "/tmp/bca-control-api-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).jsonl"
        var options = DevController.Options()
        options.apiAddress = .tcp(host: "127.0.0.1", port: 0)
        options.proxyAddress = .tcp(host: "127.0.0.1", port: 0)
        options.adminAddress = .tcp(host: "127.0.0.1", port: 0)
        options.requestLogPath = logPath
        options.workerPollInterval = workerPollInterval
        controller = try DevController(config: config, options: options, group: group, logger: logger)
    }

    func start() async throws {
        try await controller.start()
    }

    func shutdown() async {
        await controller.stop()
        try? await group.shutdownGracefully()
        unlink(logPath)
    }

    var apiURL: String { controller.apiURL! }

    func http(timeout: TimeAmount = .seconds(10), maximumResponseBytes: Int = 1 << 20) throws -> HTTPClient {
        try HTTPClient(
            group: group, resolver: nil,
            configuration: HTTPClientConfiguration(
                trust: .insecure, userAgent: ControllerClient.userAgent(version: "0.1.0"), requestTimeout: timeout,
                maximumResponseBytes: maximumResponseBytes))
    }

    func client(pageSize: UInt32? = nil, timeout: TimeAmount = .seconds(10)) throws -> ControllerClient {
        try ControllerClient(address: apiURL, http: try http(timeout: timeout), logger: logger, pageSize: pageSize)
    }

    /// Signs in and returns the token and the user id.
    func login(_ name: String = "user", password: String = "password") async throws -> (AuthTokenString, String) {
        let token = try await client().authenticate(
            authMethodID: "ampw_1234567890", loginName: name, password: password)
        return (try AuthTokenString(token.token), token.userID)
    }

    /// A raw API request (for shapes the client never sends).
    func raw(_ method: HTTPMethod, _ target: String, headers: [(String, String)] = [], body: String? = nil)
        async throws -> (Int, JSONValue)
    {
        let response = try await http().execute(
            HTTPRequest(method: method, target: target, headers: headers, body: body.map { Array($0.utf8) }),
            to: try HTTPEndpoint(url: apiURL))
        return (response.status, (try? JSONValue(parsing: response.body)) ?? .null)
    }

    /// An admin knob; fails the test unless it answers 200.
    @discardableResult
    func admin(
        _ method: HTTPMethod, _ path: String, _ body: JSONValue? = nil, file: StaticString = #filePath,
        line: UInt = #line
    )
        async throws -> JSONValue
    {
        guard let address = controller.adminAddress, let port = address.port else {
            throw DevControllerError.config("no admin listener")
        }
        let response = try await http().execute(
            HTTPRequest(method: method, target: path, body: body.map { JSONWriter().bytes($0) }),
            to: HTTPEndpoint(scheme: .http, host: "127.0.0.1", port: port))
        let json = (try? JSONValue(parsing: response.body)) ?? .null
        XCTAssertEqual(response.status, 200, "admin \(method) \(path): \(json)", file: file, line: line)
        return json
    }

    /// The request log's lines for one endpoint.
    func logLines(event: String) -> [JSONValue] {
        guard let f = fopen(logPath, "r") else { return [] }
        defer { fclose(f) }
        var lines: [JSONValue] = []
        var buffer = [CChar](repeating: 0, count: 1 << 16)
        while fgets(&buffer, Int32(buffer.count), f) != nil {
            var line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            while line.last == "\n" || line.last == "\r" { line.removeLast() }
            if let json = try? JSONValue(parsing: line), json["event"] == .string(event) {
                lines.append(json)
            }
        }
        return lines
    }
}

/// Runs `body` and returns the `ControllerError` it threw; fails the test when it threw nothing
/// or something else.
func controllerError<T>(
    _ body: () async throws -> T, file: StaticString = #filePath, line: UInt = #line
) async -> ControllerError? {
    do {
        let value = try await body()
        XCTFail("expected a ControllerError, got \(value)", file: file, line: line)
    } catch let error as ControllerError {
        return error
    } catch {
        XCTFail("expected a ControllerError, got \(error)", file: file, line: line)
    }
    return nil
}
