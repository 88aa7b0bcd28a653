import XCTest

@testable import BoundaryWire

/// Golden bytes for `worker.proxy.v1` (boundary-protocol.md §3.3): tags `52` (field 10), `A0 01`
/// (field 20) and `F0 01` (field 30); negative int32 values are ten-byte varints.
final class ProxyHandshakeTests: XCTestCase {
    let token = "abcdefghijABCDEFGHIJ"

    func testClientHandshakeForADataConnection() throws {
        let bytes = ClientHandshake(tofuToken: token).serialized
        XCTAssertEqual(bytes, [0x52, 0x14] + Array(token.utf8))
        let decoded = try ClientHandshake(protobuf: bytes)
        XCTAssertEqual(decoded.tofuToken, token)
        XCTAssertEqual(decoded.command, .unspecified)
    }

    func testClientHandshakeForSessionCancel() throws {
        let bytes = ClientHandshake(tofuToken: token, command: .sessionCancel).serialized
        XCTAssertEqual(bytes, [0x52, 0x14] + Array(token.utf8) + [0xA0, 0x01, 0x01])
        XCTAssertEqual(try ClientHandshake(protobuf: bytes).command, .sessionCancel)
    }

    func testEmptyClientHandshakeIsEmptyAndDecodes() throws {
        XCTAssertEqual(ClientHandshake(tofuToken: "").serialized, [])
        let decoded = try ClientHandshake(protobuf: [UInt8]())
        XCTAssertEqual(decoded.tofuToken, "")
        XCTAssertEqual(decoded.command, .unspecified)
    }

    func testUnknownFieldsAreSkippedAndUnknownCommandsKept() throws {
        // field 5 varint 7, field 99 bytes "x", then command 42, then the token.
        let bytes: [UInt8] = [0x28, 0x07, 0x9A, 0x06, 0x01, 0x78, 0xA0, 0x01, 0x2A, 0x52, 0x02, 0x61, 0x62]
        let decoded = try ClientHandshake(protobuf: bytes)
        XCTAssertEqual(decoded.tofuToken, "ab")
        XCTAssertEqual(decoded.command.rawValue, 42)
        XCTAssertEqual(decoded.command.description, "HANDSHAKECOMMAND(42)")
    }

    func testMalformedClientHandshakesThrow() {
        let bad: [[UInt8]] = [
            [0x52, 0x14, 0x61],  // token longer than the message
            [0x52],  // tag only
            [0x50, 0x01],  // field 10 as a varint
            [0xA2, 0x01, 0x00],  // field 20 as bytes
            [0xA0, 0x01, 0x80, 0x80, 0x80, 0x80, 0x10],  // command beyond int32
            [0x52, 0x02, 0xC3, 0x28],  // invalid UTF-8
        ]
        for bytes in bad {
            XCTAssertThrowsError(try ClientHandshake(protobuf: bytes), "\(bytes)")
        }
    }

    func testHandshakeResultUnlimited() throws {
        let result = HandshakeResult(
            expiration: Timestamp(seconds: 1_700_000_000, nanos: 5), connectionLimit: -1, connectionsLeft: -1)
        let minusOne: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]
        let expected: [UInt8] =
            [0x52, 0x08, 0x08, 0x80, 0xE2, 0xCF, 0xAA, 0x06, 0x10, 0x05]
            + [0xA0, 0x01] + minusOne + [0xF0, 0x01] + minusOne
        XCTAssertEqual(result.serialized, expected)
        XCTAssertEqual(try HandshakeResult(protobuf: expected), result)
    }

    func testHandshakeResultLastConnectionOmitsZeroLeft() throws {
        let result = HandshakeResult(expiration: Timestamp(seconds: 3), connectionLimit: 1, connectionsLeft: 0)
        let expected: [UInt8] = [0x52, 0x02, 0x08, 0x03, 0xA0, 0x01, 0x01]
        XCTAssertEqual(result.serialized, expected)
        let decoded = try HandshakeResult(protobuf: expected)
        XCTAssertEqual(decoded.connectionLimit, 1)
        XCTAssertEqual(decoded.connectionsLeft, 0)
        XCTAssertEqual(decoded.expiration, Timestamp(seconds: 3))
    }

    func testHandshakeResultWithoutExpiration() throws {
        let decoded = try HandshakeResult(protobuf: [0xF0, 0x01, 0x04])
        XCTAssertNil(decoded.expiration)
        XCTAssertEqual(decoded.connectionsLeft, 4)
        XCTAssertEqual(decoded.connectionLimit, 0)
    }

    func testMalformedHandshakeResultsThrow() {
        let bad: [[UInt8]] = [
            [0x52, 0x05, 0x08],  // expiration longer than the message
            [0x52, 0x02, 0x10, 0x80],  // truncated nanos varint inside expiration
            [0x52, 0x06, 0x10, 0x80, 0xDE, 0xA0, 0xCB, 0x05],  // nanos 1.5e9 is not below 1e9
            [0xA0, 0x01, 0x80, 0x80, 0x80, 0x80, 0x10],  // connection_limit beyond int32
            [0xF2, 0x01, 0x00],  // connections_left as bytes
            [0x50, 0x01],  // expiration as a varint
        ]
        for bytes in bad {
            XCTAssertThrowsError(try HandshakeResult(protobuf: bytes), "\(bytes)")
        }
    }

    func testRandomRoundTrips() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let r = HandshakeResult(
                expiration: Bool.random(using: &rng)
                    ? Timestamp(
                        seconds: Int64.random(in: -1_000_000...4_000_000_000, using: &rng),
                        nanos: Int32.random(in: 0..<1_000_000_000, using: &rng)) : nil,
                connectionLimit: Int32.random(in: -1...Int32.max, using: &rng),
                connectionsLeft: Int32.random(in: Int32.min...Int32.max, using: &rng))
            XCTAssertEqual(try HandshakeResult(protobuf: r.serialized), r)
        }
    }
}
