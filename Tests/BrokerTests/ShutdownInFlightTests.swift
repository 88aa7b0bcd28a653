import BoundaryAPI
import NIOCore
import NIOPosix
import XCTest

@testable import Broker

/// Requests in flight when their event loop group shuts down end with an error: NIO fails scheduled
/// tasks at shutdown instead of running them, so a promise completed only by a timer would never be
/// completed (and a debug build traps on the leaked promise).
final class ShutdownInFlightTests: XCTestCase {
    /// A DNS server that takes queries and never answers.
    var silentGroup: MultiThreadedEventLoopGroup!
    var silent: Channel!

    override func setUpWithError() throws {
        silentGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        silent = try DatagramBootstrap(group: silentGroup).bind(host: "127.0.0.1", port: 0).wait()
    }

    override func tearDown() {
        try? silent?.close().wait()
        try? silentGroup?.syncShutdownGracefully()
    }

    func resolver() throws -> DNSHostResolver {
        DNSHostResolver(server: try XCTUnwrap(silent.localAddress), timeout: .seconds(30))
    }

    /// Shuts `group` down once the request had time to be sent, then expects `future` to fail.
    func expectFailureAfterShutdown<T>(_ future: EventLoopFuture<T>, group: MultiThreadedEventLoopGroup) throws {
        usleep(200_000)
        let ended = expectation(description: "the request ended")
        future.whenComplete { result in
            if case .success = result { XCTFail("expected an error") }
            ended.fulfill()
        }
        try group.syncShutdownGracefully()
        wait(for: [ended], timeout: 5)
    }

    func testResolutionInFlight() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let future = try resolver().resolve(host: "ctl.bca.test", port: 9200, on: group.next())
        try expectFailureAfterShutdown(future, group: group)
    }

    func testHTTPRequestWaitingForItsResolver() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = try HTTPClient(
            group: group, resolver: try resolver(),
            configuration: HTTPClientConfiguration(trust: .insecure, userAgent: "Boundary-client-agent/0.1.0"))
        let future = client.execute(
            HTTPRequest(method: .GET, target: "/v1/auth-tokens/at_1"),
            to: try HTTPEndpoint(url: "http://ctl.bca.test:9200"))
        try expectFailureAfterShutdown(future, group: group)
    }
}
