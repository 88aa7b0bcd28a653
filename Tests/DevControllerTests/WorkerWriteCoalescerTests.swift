import NIOCore
import NIOEmbedded
import XCTest

@testable import DevController

/// The dev worker's write coalescer: what is written between flushes leaves as one buffer (one TLS
/// record), up to a record's worth, in order, with every write's promise completed.
final class WorkerWriteCoalescerTests: XCTestCase {
    private func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(WorkerWriteCoalescer())
        return channel
    }

    private func outbound(_ channel: EmbeddedChannel) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { out.append(Array(buffer.readableBytesView)) }
        return out
    }

    func testAFrameHeaderAndPayloadLeaveAsOneBuffer() throws {
        let channel = try channel()
        let first = channel.eventLoop.makePromise(of: Void.self)
        let second = channel.eventLoop.makePromise(of: Void.self)
        channel.write(ByteBuffer(bytes: [0x82, 0x05]), promise: first)
        channel.write(ByteBuffer(bytes: [1, 2, 3, 4, 5]), promise: second)
        XCTAssertEqual(try outbound(channel), [], "nothing leaves before the flush")
        channel.flush()
        XCTAssertEqual(try outbound(channel), [[0x82, 0x05, 1, 2, 3, 4, 5]])
        var completed = 0
        first.futureResult.whenSuccess { completed += 1 }
        second.futureResult.whenSuccess { completed += 1 }
        channel.embeddedEventLoop.run()
        XCTAssertEqual(completed, 2, "both writes' promises succeed")
        channel.writeAndFlush(ByteBuffer(bytes: [9]), promise: nil)
        XCTAssertEqual(try outbound(channel), [[9]])
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testBulkPayloadsAreNotCopiedTogether() throws {
        let channel = try channel()
        let big = [UInt8](repeating: 7, count: WorkerWriteCoalescer.recordPayload)
        channel.write(ByteBuffer(bytes: [0x82, 0x7E, 0x40, 0x00]), promise: nil)
        channel.write(ByteBuffer(bytes: big), promise: nil)
        channel.write(ByteBuffer(bytes: [0x82, 0x01]), promise: nil)
        channel.write(ByteBuffer(bytes: [42]), promise: nil)
        channel.flush()
        XCTAssertEqual(try outbound(channel), [[0x82, 0x7E, 0x40, 0x00], big, [0x82, 0x01, 42]])
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testUnflushedWritesGoDownBeforeAClose() throws {
        let channel = EmbeddedChannel()
        let recorder = OutboundRecorder()
        try channel.pipeline.syncOperations.addHandler(recorder)
        try channel.pipeline.syncOperations.addHandler(WorkerWriteCoalescer())
        channel.write(ByteBuffer(bytes: [1, 2]), promise: nil)
        channel.write(ByteBuffer(bytes: [3]), promise: nil)
        channel.close(promise: nil)
        // What TLS below would see without the coalescer, joined: the writes, then the close.
        XCTAssertEqual(recorder.events, ["write [1, 2, 3]", "close"])
    }
}

/// Records what reaches it from above, in order.
private final class OutboundRecorder: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    var events: [String] = []

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        events.append("write \(Array(unwrapOutboundIn(data).readableBytesView))")
        context.write(data, promise: promise)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        events.append("close")
        context.close(mode: mode, promise: promise)
    }
}
