import NIOCore
import NIOEmbedded
import XCTest

@testable import Broker

/// TransparentProxy identifies a connection only once it is active: NIO registers an accepted
/// channel after its initializer, and a connection carried before that was refused at the splice.
final class ActivationHandlerTests: XCTestCase {
    func testRunsOnceWhenTheChannelBecomesActiveAndLeaves() throws {
        let channel = EmbeddedChannel()
        var calls = 0
        var activeWhenCalled: Bool?
        try channel.pipeline.syncOperations.addHandler(
            ActivationHandler {
                calls += 1
                activeWhenCalled = channel.isActive
            })
        XCTAssertEqual(calls, 0, "not before the channel is active")
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        XCTAssertEqual(calls, 1)
        XCTAssertEqual(activeWhenCalled, true)
        XCTAssertThrowsError(try channel.pipeline.syncOperations.handler(type: ActivationHandler.self))
        channel.pipeline.fireChannelActive()
        XCTAssertEqual(calls, 1, "once")
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testAddedToAnActiveChannelRunsAtOnce() throws {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        var calls = 0
        try channel.pipeline.syncOperations.addHandler(ActivationHandler { calls += 1 })
        XCTAssertEqual(calls, 1)
        XCTAssertTrue(try channel.finish().isClean)
    }
}
