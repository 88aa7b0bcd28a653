import BoundaryWire
import NIOCore
import NIOEmbedded
import NIOWebSocket
import XCTest

@testable import BoundaryAPI

/// The data-plane handlers in `EmbeddedChannel`: bytes in, exact bytes and events out.
final class DataPlaneHandlerTests: XCTestCase {
    /// A stream handler in stream mode on an active embedded channel.
    func makeStream(deadline: NIODeadline? = nil) throws -> (EmbeddedChannel, WebSocketStreamHandler) {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9202)).wait()
        let handler = WebSocketStreamHandler(
            eventLoop: channel.eventLoop, deadline: deadline, closeTimeout: .seconds(2))
        try channel.pipeline.syncOperations.addHandler(handler)
        return (channel, handler)
    }

    /// Decodes what the handler wrote with NIO's decoder (so masking is checked independently).
    func writtenFrames(_ channel: EmbeddedChannel) throws -> [WebSocketFrame] {
        let decoder = EmbeddedChannel(handler: ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 20)))
        while let bytes = try channel.readOutbound(as: ByteBuffer.self) { try decoder.writeInbound(bytes) }
        var frames: [WebSocketFrame] = []
        while let frame = try decoder.readInbound(as: WebSocketFrame.self) { frames.append(frame) }
        return frames
    }

    func testPayloadFlowsUpAndLargeWritesAreSplitIntoFrames() throws {
        let (channel, handler) = try makeStream()
        try channel.writeInbound(ByteBuffer(bytes: [0x82, 0x02, 0x68, 0x69]))
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self), ByteBuffer(string: "hi"))

        let big = ByteBuffer(bytes: (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        try channel.writeOutbound(big)
        let frames = try writtenFrames(channel)
        XCTAssertEqual(frames.map(\.data.readableBytes), [32760, 32760, 32760, 1720])
        XCTAssertTrue(frames.allSatisfy { $0.opcode == .binary && $0.fin && $0.maskKey != nil })
        var joined = ByteBuffer()
        for f in frames {
            var d = f.unmaskedData
            joined.writeBuffer(&d)
        }
        XCTAssertEqual(joined, big)

        channel.pipeline.fireChannelInactive()
        let outcome = try handler.outcome.wait()
        XCTAssertEqual(outcome.error, .connectionLost("closed without a WebSocket close frame"))
        XCTAssertEqual(outcome.bytesDown, 2)
        XCTAssertEqual(outcome.bytesUp, 100_000)
    }

    func testPingIsAnsweredWithAMaskedPong() throws {
        let (channel, _) = try makeStream()
        try channel.writeInbound(ByteBuffer(bytes: [0x89, 0x02, 0x01, 0x02]))
        let frames = try writtenFrames(channel)
        XCTAssertEqual(frames.count, 1)
        XCTAssertEqual(frames.first?.opcode, .pong)
        XCTAssertEqual(frames.first?.unmaskedData, ByteBuffer(bytes: [1, 2]))
        XCTAssertNotNil(frames.first?.maskKey)
    }

    func testWorkerCloseIsEchoedAndMappedAndTheChannelCloses() throws {
        let (channel, handler) = try makeStream()
        var events: [WebSocketStreamHandler.Event] = []
        try channel.pipeline.syncOperations.addHandler(EventRecorder { events.append($0) })
        try channel.writeInbound(ByteBuffer(bytes: closeFrame(1011, "unable to authorize connection")))
        XCTAssertFalse(channel.isActive)
        let frames = try writtenFrames(channel)
        XCTAssertEqual(frames.first?.opcode, .connectionClose)
        var echoed = frames.first!.unmaskedData
        XCTAssertEqual(echoed.readInteger(as: UInt16.self), 1011, "the status code is echoed")
        XCTAssertEqual(try handler.outcome.wait().error, .noConnectionsLeft)
        XCTAssertEqual(events.count, 1)
    }

    func testNormalCloseFromTheWorkerIsEndOfStream() throws {
        let (channel, handler) = try makeStream()
        try channel.writeInbound(ByteBuffer(bytes: [0x82, 0x01, 0x41, 0x88, 0x02, 0x03, 0xE8]))
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self), ByteBuffer(string: "A"))
        let outcome = try handler.outcome.wait()
        XCTAssertNil(outcome.error)
        XCTAssertEqual(outcome.bytesDown, 1)
    }

    func testOurCloseSendsACloseFrameAndWaitsForTheWorkers() throws {
        let (channel, handler) = try makeStream()
        let closed = channel.close()
        XCTAssertTrue(channel.isActive, "waits for the worker's close frame")
        var close = try XCTUnwrap(try writtenFrames(channel).first).unmaskedData
        XCTAssertEqual(close.readInteger(as: UInt16.self), 1000)
        channel.writeAndFlush(ByteBuffer(string: "late"), promise: nil)  // dropped after our close frame
        XCTAssertNil(try channel.readOutbound(as: ByteBuffer.self))
        try channel.writeInbound(ByteBuffer(bytes: [0x88, 0x02, 0x03, 0xE8]))
        XCTAssertFalse(channel.isActive)
        try closed.wait()
        XCTAssertNil(try handler.outcome.wait().error)
    }

    func testCloseTimesOutWithoutAnAnswer() throws {
        let (channel, handler) = try makeStream()
        let closed = channel.close()
        (channel.eventLoop as! EmbeddedEventLoop).advanceTime(by: .seconds(3))
        try closed.wait()
        XCTAssertFalse(channel.isActive)
        XCTAssertNil(try handler.outcome.wait().error, "we ended it: a clean end")
    }

    func testProtocolViolationClosesWith1002() throws {
        let (channel, handler) = try makeStream()
        try channel.writeInbound(ByteBuffer(bytes: [0x82, 0x81, 0, 0, 0, 0, 0]))
        var close = try XCTUnwrap(try writtenFrames(channel).first).unmaskedData
        XCTAssertEqual(close.readInteger(as: UInt16.self), 1002)
        XCTAssertEqual(
            try handler.outcome.wait().error, .protocolViolation("masked frame from the server (RFC 6455 §5.1)"))
    }

    func testExpiryClosesTheStream() throws {
        let (channel, handler) = try makeStream(deadline: .uptimeNanoseconds(0) + .seconds(5))
        (channel.eventLoop as! EmbeddedEventLoop).advanceTime(by: .seconds(6))
        XCTAssertFalse(channel.isActive)
        XCTAssertEqual(try handler.outcome.wait().error, .sessionExpired)
    }

    // MARK: handshake handler

    func makeHandshake(command: HandshakeCommand = .unspecified) throws -> (
        EmbeddedChannel, EventLoopFuture<HandshakeResult?>
    ) {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9202)).wait()
        let promise = channel.eventLoop.makePromise(of: HandshakeResult?.self)
        let setup = DataPlaneSetup(promise: promise)
        try channel.pipeline.syncOperations.addHandlers([
            WebSocketStreamHandler(eventLoop: channel.eventLoop, deadline: nil, closeTimeout: .seconds(2)),
            DataPlaneHandshakeHandler(
                handshake: ClientHandshake(tofuToken: "abcdefghijABCDEFGHIJ", command: command), setup: setup),
        ])
        return (channel, promise.futureResult)
    }

    func testHandshakeSendsClientHandshakeAndHoldsEarlyBytesUntilRemoved() throws {
        let (channel, result) = try makeHandshake()
        let sent = try writtenFrames(channel)
        XCTAssertEqual(sent.count, 1)
        XCTAssertEqual(sent.first?.opcode, .binary)
        XCTAssertEqual(
            try ClientHandshake(protobuf: Array(sent.first!.unmaskedData.readableBytesView)).tofuToken,
            "abcdefghijABCDEFGHIJ")

        // HandshakeResult split over two frames, then an SSH banner in the same read.
        let message = HandshakeResult(expiration: Timestamp(seconds: 99), connectionLimit: 1, connectionsLeft: 0)
            .serialized
        let wire: [UInt8] =
            [0x02, 0x02] + message[0..<2] + [0x80, UInt8(message.count - 2)] + message[2...] + [0x82, 0x03]
            + Array("SSH".utf8)
        try channel.writeInbound(ByteBuffer(bytes: wire))
        XCTAssertEqual(try result.wait()?.connectionsLeft, 0)
        XCTAssertNil(try channel.readInbound(as: ByteBuffer.self), "held until the splice")

        let handshake = try channel.pipeline.syncOperations.handler(type: DataPlaneHandshakeHandler.self)
        try channel.pipeline.syncOperations.removeHandler(handshake).wait()
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self), ByteBuffer(string: "SSH"))
    }

    func testHandshakeRefusalsBecomeTypedErrors() throws {
        let refusals: [([UInt8], DataPlaneError)] = [
            (closeFrame(1008, "tofu token not allowed"), .sessionInUse),
            (closeFrame(1011, "unable to authorize connection"), .noConnectionsLeft),
            (closeFrame(1011, "refusing to activate session"), .refusingToActivateSession),
            (closeFrame(1003, "invalid tofu token"), .invalidTofuToken),
            (closeFrame(3000, "unable to setup proxying"), .proxySetupFailed("unable to setup proxying")),
            (
                closeFrame(1008, "invalid handshake received"),
                .closedByWorker(code: 1008, reason: "invalid handshake received")
            ),
        ]
        for (frame, expected) in refusals {
            let (channel, result) = try makeHandshake()
            try channel.writeInbound(ByteBuffer(bytes: frame))
            XCTAssertThrowsError(try result.wait()) { XCTAssertEqual($0 as? DataPlaneError, expected) }
        }
        let (channel, result) = try makeHandshake()
        try channel.writeInbound(ByteBuffer(bytes: [0x82, 0x02, 0x52, 0x05]))  // truncated protobuf
        XCTAssertThrowsError(try result.wait()) {
            guard case .invalidHandshakeResult = $0 as? DataPlaneError else { return XCTFail("\($0)") }
        }
    }

    func testSessionCancelSucceedsOnSessionCanceled() throws {
        let (channel, result) = try makeHandshake(command: .sessionCancel)
        XCTAssertEqual(
            try ClientHandshake(protobuf: Array(try writtenFrames(channel)[0].unmaskedData.readableBytesView)).command,
            .sessionCancel)
        try channel.writeInbound(ByteBuffer(bytes: closeFrame(1000, "session canceled")))
        XCTAssertNil(try result.wait())

        let (other, failed) = try makeHandshake(command: .sessionCancel)
        try other.writeInbound(ByteBuffer(bytes: closeFrame(1011, "unable to cancel session")))
        XCTAssertThrowsError(try failed.wait()) {
            XCTAssertEqual($0 as? DataPlaneError, .cancelFailed("1011 unable to cancel session"))
        }
    }

    func testAClosedConnectionBeforeTheResultFailsTheSetup() throws {
        let (channel, result) = try makeHandshake()
        channel.pipeline.fireChannelInactive()
        XCTAssertThrowsError(try result.wait()) {
            XCTAssertEqual($0 as? DataPlaneError, .connectionClosedDuringSetup)
        }
    }

    // MARK: glue

    func testGlueRelaysClosesAndAppliesBackpressure() throws {
        let loop = EmbeddedEventLoop()
        let a = EmbeddedChannel(handler: nil, loop: loop)
        let b = EmbeddedChannel(handler: nil, loop: loop)
        try a.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try b.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 2)).wait()
        let (ga, gb) = GlueHandler.matchedPair()
        try a.pipeline.syncOperations.addHandler(ga)
        try b.pipeline.syncOperations.addHandler(gb)

        try a.writeInbound(ByteBuffer(string: "to b"))
        XCTAssertEqual(try b.readOutbound(as: ByteBuffer.self), ByteBuffer(string: "to b"))
        try b.writeInbound(ByteBuffer(string: "to a"))
        XCTAssertEqual(try a.readOutbound(as: ByteBuffer.self), ByteBuffer(string: "to a"))

        // b cannot take more: a's reads are withheld until b is writable again.
        let reads = ReadCounter()
        try a.pipeline.syncOperations.addHandler(reads, position: .first)
        b.isWritable = false
        a.read()
        XCTAssertEqual(reads.count, 0)
        b.isWritable = true
        b.pipeline.fireChannelWritabilityChanged()
        XCTAssertEqual(reads.count, 1)

        a.close(promise: nil)
        XCTAssertFalse(a.isActive)
        XCTAssertFalse(b.isActive, "one side closing closes the other")
    }

    func testGlueAddedToAClosedChannelClosesItsPartner() throws {
        let loop = EmbeddedEventLoop()
        let a = EmbeddedChannel(handler: nil, loop: loop)
        let b = EmbeddedChannel(handler: nil, loop: loop)
        try a.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let (ga, gb) = GlueHandler.matchedPair()
        try a.pipeline.syncOperations.addHandler(ga)
        try b.pipeline.syncOperations.addHandler(gb)  // b never became active: a must not hang open
        XCTAssertFalse(a.isActive)
        _ = try? b.finish()
    }

    // MARK: small pieces

    func testRecvAllocatorGrowsToOneFramePayloadAndShrinks() {
        var allocator = DataPlaneRecvAllocator()
        XCTAssertEqual(allocator.nextBufferSize(), 2048)
        for _ in 0..<6 { _ = allocator.record(actualReadBytes: allocator.nextBufferSize()!) }
        XCTAssertEqual(allocator.nextBufferSize(), WebSocketFrameWriter.maximumPayload)
        XCTAssertEqual(
            allocator.buffer(allocator: ByteBufferAllocator()).writableBytes, 32760,
            "a read fills exactly one frame's payload")
        for _ in 0..<20 { _ = allocator.record(actualReadBytes: 10) }
        XCTAssertEqual(allocator.nextBufferSize(), 2048)
    }

    func testTofuTokens() {
        let tokens = (0..<100).map { _ in TofuToken.generate() }
        XCTAssertEqual(Set(tokens).count, 100)
        for t in tokens { XCTAssertTrue(TofuToken.isValid(t), t) }
        XCTAssertFalse(TofuToken.isValid("abc"))
        XCTAssertFalse(TofuToken.isValid("abcdefghijABCDEFGHI_"))
        XCTAssertFalse(TofuToken.isValid("abcdefghijABCDEFGHIJK"))
    }

    func testWorkerAddresses() throws {
        let v4 = try WorkerAddress(parsing: "127.0.0.1:9202")
        XCTAssertEqual(WorkerEndpoint(literal: v4)?.serverName, nil, "no SNI for IP literals")
        let v6 = try WorkerAddress(parsing: "[::1]:9202")
        XCTAssertEqual(v6.host, "::1")
        XCTAssertEqual(WorkerEndpoint(literal: v6)?.address.port, 9202)
        let name = try WorkerAddress(parsing: "worker.example.com:443")
        XCTAssertNil(WorkerEndpoint(literal: name), "names need the resolver")
        let resolved = WorkerEndpoint(worker: name, address: try SocketAddress(ipAddress: "192.0.2.1", port: 443))
        XCTAssertEqual(resolved.serverName, "worker.example.com")
        for bad in ["", "host", "host:", ":9202", "::1:9202", "[::1]", "[::1]9202", "h:0", "h:65536", "h:12a", "a b:1"]
        {
            XCTAssertThrowsError(try WorkerAddress(parsing: bad), bad)
        }
    }
}

/// An unmasked server close frame.
func closeFrame(_ code: UInt16, _ reason: String) -> [UInt8] {
    let payload = [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8)
    return [0x88, UInt8(payload.count)] + payload
}

final class EventRecorder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let record: (WebSocketStreamHandler.Event) -> Void
    init(_ record: @escaping (WebSocketStreamHandler.Event) -> Void) { self.record = record }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? WebSocketStreamHandler.Event { record(e) }
    }
}

final class ReadCounter: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    var count = 0
    func read(context: ChannelHandlerContext) {
        count += 1
        context.read()
    }
}
