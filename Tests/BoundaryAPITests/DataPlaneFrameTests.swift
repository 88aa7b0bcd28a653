import NIOCore
import NIOEmbedded
import NIOWebSocket
import XCTest

@testable import BoundaryAPI

/// Our streaming frame parser and masking writer, checked byte for byte and against NIO's own
/// WebSocket codec (an independent implementation of RFC 6455).
final class DataPlaneFrameTests: XCTestCase {
    // MARK: parser

    func testUnmaskedBinaryFrameBecomesOnePayloadAndAMessageEnd() throws {
        var parser = WebSocketFrameParser()
        var input = ByteBuffer(bytes: [0x82, 0x03, 0x61, 0x62, 0x63])
        XCTAssertEqual(try parser.next(from: &input), .payload(ByteBuffer(string: "abc")))
        XCTAssertEqual(try parser.next(from: &input), .messageEnd)
        XCTAssertNil(try parser.next(from: &input))
        XCTAssertEqual(input.readableBytes, 0)
    }

    func testEveryByteSplitGivesTheSameStream() throws {
        // Two messages: one fragmented (binary + continuation), one 300 bytes (16-bit length),
        // with a ping and a pong in between.
        let body = (0..<300).map { UInt8($0 & 0xFF) }
        let wire: [UInt8] =
            [0x02, 0x02, 1, 2] + [0x89, 0x01, 0x70] + [0x80, 0x01, 3] + [0x8A, 0x00]
            + [0x82, 0x7E, 0x01, 0x2C] + body
        for split in 0...wire.count {
            var parser = WebSocketFrameParser()
            var payload: [UInt8] = []
            var events: [String] = []
            for part in [wire[..<split], wire[split...]] {
                var buffer = ByteBuffer(bytes: part)
                while let event = try parser.next(from: &buffer) {
                    switch event {
                    case .payload(let b): payload += b.readableBytesView
                    case .messageEnd: events.append("end")
                    case .ping(let b): events.append("ping \(Array(b.readableBytesView))")
                    case .pong: events.append("pong")
                    case .close: events.append("close")
                    }
                }
            }
            XCTAssertEqual(payload, [1, 2, 3] + body, "split at \(split)")
            XCTAssertEqual(events, ["ping [112]", "end", "pong", "end"], "split at \(split)")
        }
    }

    func testSixtyFourBitLengthAndEmptyFrames() throws {
        var parser = WebSocketFrameParser()
        var input = ByteBuffer(bytes: [0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0, 2, 9, 9, 0x82, 0x00])
        XCTAssertEqual(try parser.next(from: &input), .payload(ByteBuffer(bytes: [9, 9])))
        XCTAssertEqual(try parser.next(from: &input), .messageEnd)
        XCTAssertEqual(try parser.next(from: &input), .messageEnd, "an empty binary message")
        XCTAssertNil(try parser.next(from: &input))
    }

    func testCloseFrames() throws {
        var parser = WebSocketFrameParser()
        var input = ByteBuffer(bytes: [0x88, 0x18, 0x03, 0xF0] + Array("tofu token not allowed".utf8))
        XCTAssertEqual(try parser.next(from: &input), .close(code: 1008, reason: "tofu token not allowed"))
        parser = WebSocketFrameParser()
        input = ByteBuffer(bytes: [0x88, 0x00])
        XCTAssertEqual(try parser.next(from: &input), .close(code: nil, reason: ""))
        parser = WebSocketFrameParser()
        input = ByteBuffer(bytes: [0x88, 0x02, 0x0B, 0xB8])
        XCTAssertEqual(try parser.next(from: &input), .close(code: 3000, reason: ""), "Boundary's setup-error code")
    }

    func testProtocolViolationsAreTypedWithTheirCloseCodes() {
        let cases: [([UInt8], WebSocketFrameParser.ParseError, UInt16)] = [
            ([0xC2, 0x00], .reservedBitsSet, 1002),
            ([0x82, 0x81, 1, 2, 3, 4, 0], .maskedFrameFromServer, 1002),
            ([0x83, 0x00], .unknownOpcode(3), 1002),
            ([0x81, 0x01, 0x61], .textMessage, 1003),
            ([0x09, 0x00], .fragmentedControlFrame, 1002),
            ([0x89, 0x7E, 0x00, 0x7E], .controlFrameTooLong(126), 1002),
            ([0x80, 0x00], .unexpectedContinuation, 1002),
            ([0x02, 0x00, 0x82, 0x00], .unfinishedMessage, 1002),
            ([0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0], .lengthTooLarge, 1002),
            ([0x88, 0x01, 0x03], .invalidClosePayload, 1002),
            ([0x88, 0x02, 0x03, 0xED], .invalidCloseCode(1005), 1002),
            ([0x88, 0x02, 0x00, 0x10], .invalidCloseCode(16), 1002),
            ([0x88, 0x04, 0x03, 0xE8, 0xC3, 0x28], .invalidCloseReason, 1007),
        ]
        for (bytes, expected, code) in cases {
            var parser = WebSocketFrameParser()
            var input = ByteBuffer(bytes: bytes)
            XCTAssertThrowsError(try { while try parser.next(from: &input) != nil {} }(), "\(bytes)") { error in
                XCTAssertEqual(error as? WebSocketFrameParser.ParseError, expected)
                XCTAssertEqual((error as? WebSocketFrameParser.ParseError)?.closeCode, code)
            }
        }
    }

    func testPayloadSlicesShareTheInputStorage() throws {
        var parser = WebSocketFrameParser()
        var input = ByteBuffer(bytes: [0x82, 0x7E, 0x04, 0x00] + [UInt8](repeating: 7, count: 1024))
        guard case .payload(let slice) = try parser.next(from: &input) else { return XCTFail() }
        let same = slice.withUnsafeReadableBytes { s in input.withVeryUnsafeBytes { s.baseAddress! - $0.baseAddress! } }
        XCTAssertEqual(same, 4, "the payload is a view at offset 4 of the input, not a copy")
    }

    // MARK: writer

    func testMaskedFramesDecodeWithNIOsDecoder() throws {
        var writer = WebSocketFrameWriter(allocator: ByteBufferAllocator())
        for length in [0, 1, 3, 4, 7, 8, 9, 125, 126, 127, 1000, 32000, WebSocketFrameWriter.maximumPayload] {
            let payload = ByteBuffer(bytes: (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
            let frame = writer.frame(.binary, payload: payload)
            XCTAssertEqual(frame.readableBytes, length + (length < 126 ? 6 : 8), "header size for \(length)")
            let channel = EmbeddedChannel(
                handler: ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 20)))
            try channel.writeInbound(frame)
            let decoded = try XCTUnwrap(try channel.readInbound(as: WebSocketFrame.self))
            XCTAssertEqual(decoded.opcode, .binary)
            XCTAssertTrue(decoded.fin)
            XCTAssertNotNil(decoded.maskKey, "client frames are masked")
            XCTAssertEqual(decoded.unmaskedData, payload, "length \(length)")
            XCTAssertTrue(try channel.finish().isClean)
        }
    }

    func testCloseFrameCarriesCodeAndTrimmedReason() throws {
        var writer = WebSocketFrameWriter(allocator: ByteBufferAllocator())
        let reason = String(repeating: "é", count: 100)  // 200 bytes: trimmed to whole characters
        let frame = writer.closeFrame(code: 1000, reason: reason, allocator: ByteBufferAllocator())
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(WebSocketFrameDecoder()))
        try channel.writeInbound(frame)
        var data = try XCTUnwrap(try channel.readInbound(as: WebSocketFrame.self)).unmaskedData
        XCTAssertEqual(data.readInteger(as: UInt16.self), 1000)
        XCTAssertEqual(data.readableBytes, 122, "123 bytes at most, never half a character")
        XCTAssertNotNil(String(validating: data.readableBytesView, as: UTF8.self))
    }

    func testMaskingMatchesTheRFCDefinitionAtEveryOffset() {
        let key: UInt32 = 0x3D21_FA37
        let keyBytes: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        for count in Array(0..<140) + [1000, 4097, WebSocketFrameWriter.maximumPayload] {
            let source = (0..<count).map { UInt8($0 * 13 & 0xFF) }
            var out = [UInt8](repeating: 0, count: count)
            source.withUnsafeBytes { s in
                out.withUnsafeMutableBytes { WebSocketFrameWriter.maskCopy(from: s, to: $0, key: key) }
            }
            XCTAssertEqual(out, source.enumerated().map { $0.element ^ keyBytes[$0.offset % 4] }, "count \(count)")
        }
    }

    func testMaskingKeysDiffer() {
        var keys = MaskingKeySource()
        XCTAssertGreaterThan(Set((0..<64).map { _ in keys.next() }).count, 60)
    }

    func testServerFramesFromNIOsEncoderParse() throws {
        let channel = EmbeddedChannel(handler: WebSocketFrameEncoder())
        let body = ByteBuffer(bytes: (0..<70_000).map { UInt8(truncatingIfNeeded: $0) })
        try channel.writeOutbound(WebSocketFrame(fin: true, opcode: .binary, data: body))
        var parser = WebSocketFrameParser()
        var received = ByteBuffer()
        while var chunk = try channel.readOutbound(as: ByteBuffer.self) {
            while let event = try parser.next(from: &chunk) {
                if case .payload(var b) = event { received.writeBuffer(&b) }
            }
        }
        XCTAssertEqual(received, body, "64-bit length form from an independent encoder")
    }
}
