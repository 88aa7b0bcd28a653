import NIOCore
import NIOEmbedded
import XCTest

@testable import BoundaryAPI

/// Flushes while a worker connection is set up wait for the end of the event-loop tick, so what one
/// tick writes (TLS Finished, then the upgrade request) leaves together; closes and removal never
/// strand a held flush.
final class SetupFlushCoalescerTests: XCTestCase {
    private func outbound(_ channel: EmbeddedChannel) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { out.append(Array(buffer.readableBytesView)) }
        return out
    }

    func testFlushesOfOneTickLeaveTogetherAtItsEnd() throws {
        let channel = EmbeddedChannel(handler: SetupFlushCoalescer())
        channel.writeAndFlush(ByteBuffer(bytes: [1]), promise: nil)
        channel.writeAndFlush(ByteBuffer(bytes: [2, 3]), promise: nil)
        XCTAssertEqual(try outbound(channel), [], "held until the tick ends")
        channel.embeddedEventLoop.run()
        XCTAssertEqual(try outbound(channel), [[1], [2, 3]])
        channel.embeddedEventLoop.run()
        XCTAssertEqual(try outbound(channel), [])
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testCloseFlushesWhatIsHeld() throws {
        let channel = EmbeddedChannel(handler: SetupFlushCoalescer())
        channel.writeAndFlush(ByteBuffer(bytes: [21, 3, 3, 0, 2, 2, 40]), promise: nil)
        channel.close(promise: nil)
        XCTAssertEqual(try outbound(channel), [[21, 3, 3, 0, 2, 2, 40]], "an alert written before a close goes out")
        channel.embeddedEventLoop.run()
    }

    func testRemovalFlushesAndLaterFlushesPassStraightThrough() throws {
        let coalescer = SetupFlushCoalescer()
        let channel = EmbeddedChannel(handler: coalescer)
        channel.writeAndFlush(ByteBuffer(bytes: [5]), promise: nil)
        try channel.pipeline.syncOperations.removeHandler(coalescer).wait()
        XCTAssertEqual(try outbound(channel), [[5]])
        channel.writeAndFlush(ByteBuffer(bytes: [6]), promise: nil)
        XCTAssertEqual(try outbound(channel), [[6]])
        channel.embeddedEventLoop.run()
        XCTAssertEqual(try outbound(channel), [])
        XCTAssertTrue(try channel.finish().isClean)
    }
}
