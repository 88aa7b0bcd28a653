import XCTest

@testable import BoundaryWire

final class Base58Tests: XCTestCase {
    func testKnownVectors() throws {
        let vectors: [([UInt8], String)] = [
            ([], ""),
            ([0], "1"),
            ([0, 0, 0x28, 0x7F, 0xB4, 0xCD], "11233QC4"),
            (Array("Hello World!".utf8), "2NEpo7TZRRrLZSi2U"),
            (
                Array("The quick brown fox jumps over the lazy dog.".utf8),
                "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z"
            ),
            ([0xFF], "5Q"),
        ]
        for (bytes, text) in vectors {
            XCTAssertEqual(Base58.encode(bytes), text)
            XCTAssertEqual(try Base58.decode(text), bytes, text)
        }
    }

    func testRejectsCharactersOutsideTheAlphabet() {
        for bad in ["0", "O", "I", "l", "abc+", "ab c", "é"] {
            XCTAssertThrowsError(try Base58.decode(bad), bad)
        }
        XCTAssertThrowsError(try Base58.decode(String(repeating: "z", count: Base58.maximumEncodedLength + 1)))
    }

    func testRoundTripsRandomBytes() throws {
        var rng = SystemRandomNumberGenerator()
        for n in [1, 2, 31, 32, 64, 300, 2000] {
            var bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            bytes[0] = 0  // leading zeros must survive
            XCTAssertEqual(try Base58.decode(Base58.encode(bytes)), bytes)
        }
    }
}

final class ProtobufPrimitiveTests: XCTestCase {
    func testTagBytesFromTheProtocolDoc() {
        // boundary-protocol.md §2/§3.3: the wire-tag bytes of the fields we use.
        let cases: [(UInt32, ProtobufWireType, [UInt8])] = [
            (10, .lengthDelimited, [0x52]), (20, .lengthDelimited, [0xA2, 0x01]), (30, .lengthDelimited, [0xF2, 0x01]),
            (40, .lengthDelimited, [0xC2, 0x02]), (80, .lengthDelimited, [0x82, 0x05]), (90, .varint, [0xD0, 0x05]),
            (102, .varint, [0xB0, 0x06]), (105, .lengthDelimited, [0xCA, 0x06]), (120, .lengthDelimited, [0xC2, 0x07]),
            (130, .lengthDelimited, [0x92, 0x08]), (140, .lengthDelimited, [0xE2, 0x08]),
            (141, .lengthDelimited, [0xEA, 0x08]), (150, .lengthDelimited, [0xB2, 0x09]), (160, .varint, [0x80, 0x0A]),
            (20, .varint, [0xA0, 0x01]), (30, .varint, [0xF0, 0x01]),
        ]
        for (field, type, expected) in cases {
            var w = ProtobufWriter()
            w.writeTag(field: field, wireType: type)
            XCTAssertEqual(w.bytes, expected, "field \(field)")
        }
    }

    func testNegativeInt32IsTenBytes() throws {
        var w = ProtobufWriter()
        w.writeInt(field: 90, -1)
        XCTAssertEqual(w.bytes, [0xD0, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        var r = ProtobufReader(w.bytes)
        let f = try XCTUnwrap(try r.next())
        XCTAssertEqual(f.number, 90)
        XCTAssertEqual(try f.int32(), -1)
        XCTAssertNil(try r.next())
    }

    func testRoundTripOfEveryWireType() throws {
        var inner = ProtobufWriter()
        inner.writeString(field: 1, "global")
        var w = ProtobufWriter()
        w.writeString(field: 10, "s_1234567890")
        w.writeUInt(field: 102, 22)
        w.writeMessage(field: 30, inner)
        w.writeBytes(field: 120, [1, 2, 3])
        var r = ProtobufReader(w.bytes)
        XCTAssertEqual(try r.next()?.string(), "s_1234567890")
        XCTAssertEqual(try r.next()?.uint32(), 22)
        let scope = try XCTUnwrap(try r.next())
        var ir = ProtobufReader(try scope.bytes())
        XCTAssertEqual(try ir.next()?.string(), "global")
        XCTAssertEqual(Array(try XCTUnwrap(try r.next()).bytes()), [1, 2, 3])
        XCTAssertNil(try r.next())
    }

    func testMalformedInputThrows() {
        let bad: [[UInt8]] = [
            [0x52],  // tag without length
            [0x52, 0x05, 0x61],  // length beyond the end
            [0x52, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F],  // oversized length varint
            [0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],  // 11-byte varint
            [0x0F],  // wire type 7
            [0x0B],  // start group
            [0x00, 0x01],  // field number 0
            [0x09, 0x01, 0x02],  // truncated fixed64
        ]
        for bytes in bad {
            var r = ProtobufReader(bytes)
            XCTAssertThrowsError(try { while try r.next() != nil {} }(), "\(bytes)")
        }
        var r = ProtobufReader([0x52, 0x02, 0xC3, 0x28])
        XCTAssertThrowsError(try r.next()?.string())
    }
}
