import XCTest

@testable import BoundaryWire

final class TimestampTests: XCTestCase {
    func testParsesRFC3339() throws {
        // Expected seconds computed independently (Python calendar.timegm).
        let vectors: [(String, Int64, Int32)] = [
            ("1970-01-01T00:00:00Z", 0, 0),
            ("2024-01-02T03:04:05.123456Z", 1_704_164_645, 123_456_000),
            ("2024-01-02T03:04:05.1Z", 1_704_164_645, 100_000_000),
            ("2024-01-02T03:04:05.000000001Z", 1_704_164_645, 1),
            ("2024-02-29T13:30:00+01:30", 1_709_208_000, 0),
            ("2024-02-29T10:30:00-01:30", 1_709_208_000, 0),
            ("2000-03-01T00:00:00-00:00", 951_868_800, 0),
            ("1900-03-01t00:00:00z", -2_203_891_200, 0),
            ("2100-02-28T23:59:59Z", 4_107_542_399, 0),
            ("1969-12-31T23:59:59.5Z", -1, 500_000_000),
            ("0001-01-01T00:00:00Z", Timestamp.minimumSeconds, 0),
            ("9999-12-31T23:59:59.999999999Z", Timestamp.maximumSeconds, 999_999_999),
        ]
        for (text, seconds, nanos) in vectors {
            let t = try Timestamp(rfc3339: text)
            XCTAssertEqual(t.seconds, seconds, text)
            XCTAssertEqual(t.nanos, nanos, text)
        }
    }

    func testRejectsMalformedTimestamps() {
        let bad = [
            "", "2024", "2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z",
            "2024-04-31T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z", "2024-01-01T00:00:60Z",
            "2024-01-01 00:00:00Z", "2024-01-01T00:00:00", "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00.1234567890Z",
            "0000-12-31T23:59:59Z", "9999-12-31T23:59:59-01:00", "+2024-01-01T00:00:00Z", "2024-1-01T00:00:00Z",
            "2024-01-01T00:00:00Zjunk", "2024-01-01T00:00:00+0100", "2024-01-01T00:00:00+24:00",
            "2024-01-01T00:00:00+01:60", "２０２４-01-01T00:00:00Z", "2024-01-01T00:00:00.12a3Z",
            String(repeating: "9", count: 10_000),
        ]
        for text in bad {
            XCTAssertThrowsError(try Timestamp(rfc3339: text), text) { error in
                XCTAssertEqual(error as? BoundaryWireError, .invalidTimestamp(text))
            }
        }
    }

    func testFormatsLikeProtojson() {
        XCTAssertEqual(Timestamp(seconds: 0).rfc3339, "1970-01-01T00:00:00Z")
        XCTAssertEqual(Timestamp(seconds: 1_704_164_645, nanos: 123_456_000).rfc3339, "2024-01-02T03:04:05.123456Z")
        XCTAssertEqual(Timestamp(seconds: 1_704_164_645, nanos: 120_000_000).rfc3339, "2024-01-02T03:04:05.120Z")
        XCTAssertEqual(Timestamp(seconds: 1_704_164_645, nanos: 1).rfc3339, "2024-01-02T03:04:05.000000001Z")
        XCTAssertEqual(Timestamp(seconds: -1, nanos: 500_000_000).rfc3339, "1969-12-31T23:59:59.500Z")
        XCTAssertEqual(Timestamp(seconds: Timestamp.minimumSeconds).rfc3339, "0001-01-01T00:00:00Z")
        XCTAssertEqual(Timestamp(seconds: Timestamp.maximumSeconds).rfc3339, "9999-12-31T23:59:59Z")
        XCTAssertEqual(Timestamp(seconds: 1_709_208_000).rfc3339, "2024-02-29T12:00:00Z")
    }

    func testRoundTripsEveryDayAcrossCenturies() throws {
        // One instant per ~3 days from 1600 to 2500 exercises every month, leap rule and era.
        var s: Int64 = -11_676_096_000
        while s < 16_725_225_600 {
            let t = Timestamp(seconds: s, nanos: Int32(s & 0xFFFF) * 1000)
            XCTAssertEqual(try Timestamp(rfc3339: t.rfc3339), t)
            s += 259_201
        }
    }

    func testProtobufEncoding() throws {
        let t = Timestamp(seconds: 1_700_000_000, nanos: 123_456_000)
        // protoc --encode of `seconds: 1700000000 nanos: 123456000`.
        XCTAssertEqual(t.protobuf.bytes, [0x08, 0x80, 0xE2, 0xCF, 0xAA, 0x06, 0x10, 0x80, 0x94, 0xEF, 0x3A])
        XCTAssertEqual(try Timestamp(protobuf: t.protobuf.bytes[...]), t)
        XCTAssertEqual(Timestamp(seconds: 0).protobuf.bytes, [])
        // nanos out of range, and a seconds field of the wrong wire type.
        XCTAssertThrowsError(try Timestamp(protobuf: [0x10, 0x80, 0x94, 0xEB, 0xDC, 0x03][...]))
        XCTAssertThrowsError(try Timestamp(protobuf: [0x0A, 0x00][...]))
        XCTAssertThrowsError(try Timestamp(protobuf: [0x08][...]))
    }

    func testSecondsSinceEpochConversion() {
        let t = Timestamp(secondsSinceEpoch: 1_700_000_000.25)
        XCTAssertEqual(t.seconds, 1_700_000_000)
        XCTAssertEqual(t.nanos, 250_000_000)
        XCTAssertEqual(Timestamp(secondsSinceEpoch: -0.5), Timestamp(seconds: -1, nanos: 500_000_000))
        XCTAssertLessThan(Timestamp(seconds: 1, nanos: 5), Timestamp(seconds: 1, nanos: 6))
        XCTAssertGreaterThan(Timestamp.now().seconds, 1_700_000_000)
    }
}
