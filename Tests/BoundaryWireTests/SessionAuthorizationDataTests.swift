import XCTest

@testable import BoundaryWire

final class SessionAuthorizationDataTests: XCTestCase {
    /// Made with `protoc --encode` from a .proto copying upstream's field numbers (target.proto)
    /// and this text message: the whole message with every field set, connection_limit -1, two
    /// workers. The Swift encoder must produce exactly these bytes and decode them back.
    static let goldenHex =
        "520c735f31323334353637383930a2010f747463705f31323334353637383930f2013e0a0c705f31323334353637383930"
        + "120770726f6a6563741a1747656e6572617465642070726f6a6563742073636f70652a0c6f5f31323334353637383930"
        + "c2020b0880e2cfaa06108094ef3a820503746370d005ffffffffffffffffff01b00616ca06060880c3d1aa06c2070630"
        + "820102dead920840000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324252627"
        + "28292a2b2c2d2e2f303132333435363738393a3b3c3d3e3fe2080f747463705f31323334353637383930ea0812746370"
        + "3a2f2f3132372e302e302e313a3232b20910520e3132372e302e302e313a39323032b209155213776f726b65722e6578"
        + "616d706c653a39323032800aae11"

    /// The same bytes in base58 (computed independently in Python).
    static let goldenToken =
        "94xc7coKNmYR4a5Nkqby5D7sXPequvwT32jKWDC8SE8ARcEkdKrxJjQgTzyuh4F8UDXkVNjsDvVBM1TwwMjsgZTEddBeLdZNHCcHy"
        + "Vuye7yGeprjMWPQmLKn13Gtg5jmojWDMGn37QtYbM4mEJ2sXMUMRerL6hmYCJA4WGu1ragNnqC7embCEabytzKpqSpzBYb1np7c6"
        + "Va2Y2u6yh1fmYb6QZsg5wYTmGZpvRTU2vG81LuVK2xzUwwF1uv367xNEGTSCe4dHhdCKJsoBQKDddnuRjyyjHcLBSR7LUmU2Ny1o"
        + "PckxKCgt5f25MCxaKBEivs5tkyz2LRVTkAqZGEjYnNmLXwNwBpD1CW3ELfRp33DU7JHyaksdLACjbDYRhnVWzP9hiV2hpGJRpjbJ"
        + "zKhwu8dj3C4Ti"

    static var golden: SessionAuthorizationData {
        SessionAuthorizationData(
            sessionID: "s_1234567890", targetID: "ttcp_1234567890",
            scope: ScopeInfo(
                id: "p_1234567890", type: "project", name: "Generated project scope", parentScopeID: "o_1234567890"),
            createdTime: Timestamp(seconds: 1_700_000_000, nanos: 123_456_000), type: "tcp", connectionLimit: -1,
            endpointPort: 22, expiration: Timestamp(seconds: 1_700_028_800),
            certificate: [0x30, 0x82, 0x01, 0x02, 0xDE, 0xAD], privateKey: Array(0..<64), hostID: "ttcp_1234567890",
            endpoint: "tcp://127.0.0.1:22",
            workerInfo: [.init(address: "127.0.0.1:9202"), .init(address: "worker.example:9202")],
            defaultClientPort: 2222)
    }

    func testEncodesTheGoldenBytes() {
        XCTAssertEqual(hex(Self.golden.protobuf), Self.goldenHex)
        XCTAssertEqual(Self.golden.authorizationToken, Self.goldenToken)
    }

    func testDecodesTheGoldenToken() throws {
        let data = try SessionAuthorizationData(authorizationToken: Self.goldenToken)
        XCTAssertEqual(data, Self.golden)
        XCTAssertEqual(data.workerInfo.first?.address, "127.0.0.1:9202")
        XCTAssertEqual(data.privateKey.count, 64)
        XCTAssertNoThrow(try data.checkUsable())
    }

    func testTagBytesFromTheProtocolDoc() {
        // boundary-protocol.md §2: each field alone must start with the documented tag bytes.
        func first(_ d: SessionAuthorizationData, _ count: Int) -> String { hex(Array(d.protobuf.prefix(count))) }
        XCTAssertEqual(first(.init(sessionID: "s_x"), 1), "52")
        XCTAssertEqual(first(.init(targetID: "t"), 2), "a201")
        XCTAssertEqual(first(.init(scope: ScopeInfo(id: "global")), 2), "f201")
        XCTAssertEqual(first(.init(createdTime: Timestamp(seconds: 1)), 2), "c202")
        XCTAssertEqual(first(.init(type: "tcp"), 2), "8205")
        XCTAssertEqual(hex(SessionAuthorizationData(connectionLimit: -1).protobuf), "d005ffffffffffffffffff01")
        XCTAssertEqual(first(.init(endpointPort: 22), 2), "b006")
        XCTAssertEqual(first(.init(expiration: Timestamp(seconds: 1)), 2), "ca06")
        XCTAssertEqual(first(.init(certificate: [1]), 2), "c207")
        XCTAssertEqual(first(.init(privateKey: [1]), 2), "9208")
        XCTAssertEqual(first(.init(hostID: "h"), 2), "e208")
        XCTAssertEqual(first(.init(endpoint: "e"), 2), "ea08")
        XCTAssertEqual(hex(SessionAuthorizationData(workerInfo: [.init(address: "a:1")]).protobuf), "b209055203613a31")
        XCTAssertEqual(first(.init(defaultClientPort: 1), 2), "800a")
        // An all-zero message encodes to nothing, as Go's proto.Marshal does.
        XCTAssertEqual(SessionAuthorizationData().protobuf, [])
    }

    func testSkipsUnknownFieldsAndKeepsLastScalar() throws {
        var bytes = Self.golden.protobuf
        // Unknown field 999 (varint), field 50 (a SessionAuthorization-only number, bytes) and a
        // fixed32/fixed64 field: all skipped.
        bytes += [0xB8, 0x3E, 0x01]
        bytes += [0x92, 0x03, 0x02, 0x41, 0x42]
        bytes += [0xFD, 0x3E, 1, 2, 3, 4]
        bytes += [0xF9, 0x3E, 1, 2, 3, 4, 5, 6, 7, 8]
        // A second session_id: last one wins.
        bytes += [0x52, 0x03] + Array("s_z".utf8)
        let data = try SessionAuthorizationData(protobuf: bytes)
        XCTAssertEqual(data.sessionID, "s_z")
        XCTAssertEqual(data.certificate, Self.golden.certificate)
    }

    func testRejectsTruncatedAndMalformedInput() {
        let bytes = Self.golden.protobuf
        // Every proper prefix either decodes to something smaller or throws; none may crash.
        var threw = 0
        for n in 0..<bytes.count {
            if (try? SessionAuthorizationData(protobuf: Array(bytes.prefix(n)))) == nil { threw += 1 }
        }
        XCTAssertGreaterThan(threw, bytes.count / 2)
        // A length running past the end.
        XCTAssertThrowsError(try SessionAuthorizationData(protobuf: [0x52, 0x7F, 0x41]))
        // session_id as a varint: wrong wire type.
        XCTAssertThrowsError(try SessionAuthorizationData(protobuf: [0x50, 0x01]))
        // Invalid UTF-8 in a string field.
        XCTAssertThrowsError(try SessionAuthorizationData(protobuf: [0x52, 0x02, 0xC3, 0x28]))
        // connection_limit outside int32.
        XCTAssertThrowsError(try SessionAuthorizationData(protobuf: [0xD0, 0x05, 0x80, 0x80, 0x80, 0x80, 0x10]))
        // endpoint_port above UInt32.
        XCTAssertThrowsError(try SessionAuthorizationData(protobuf: [0xB0, 0x06, 0x80, 0x80, 0x80, 0x80, 0x10]))
        // An 11-byte varint.
        XCTAssertThrowsError(
            try SessionAuthorizationData(protobuf: [0xD0, 0x05] + Array(repeating: 0xFF, count: 10) + [0x01]))
        // Groups are refused.
        XCTAssertThrowsError(try SessionAuthorizationData(protobuf: [0x53]))
        // Expiration with nanos out of range.
        XCTAssertThrowsError(
            try SessionAuthorizationData(protobuf: [0xCA, 0x06, 0x06, 0x10, 0x80, 0x94, 0xEB, 0xDC, 0x03]))
    }

    func testAuthorizationTokenErrors() {
        XCTAssertThrowsError(try SessionAuthorizationData(authorizationToken: "")) {
            XCTAssertEqual($0 as? BoundaryWireError, .invalidAuthorizationToken("empty"))
        }
        // base64 characters that are not base58.
        XCTAssertThrowsError(try SessionAuthorizationData(authorizationToken: "Ug0/s+1234==")) {
            guard case .invalidAuthorizationToken = $0 as? BoundaryWireError else { return XCTFail("\($0)") }
        }
        // Oversized: refused before decoding.
        let huge = String(repeating: "2", count: SessionAuthorizationData.maximumTokenLength + 1)
        XCTAssertThrowsError(try SessionAuthorizationData(authorizationToken: huge))
        // Valid base58, not a protobuf message (a truncated length).
        XCTAssertThrowsError(try SessionAuthorizationData(authorizationToken: Base58.encode([0x52, 0x09, 0x41]))) {
            guard case .protobuf = $0 as? BoundaryWireError else { return XCTFail("\($0)") }
        }
    }

    func testCheckUsable() {
        var d = Self.golden
        XCTAssertNoThrow(try d.checkUsable())
        d.privateKey = Array(0..<32)
        XCTAssertThrowsError(try d.checkUsable())
        d = Self.golden
        d.workerInfo = []
        XCTAssertThrowsError(try d.checkUsable())
        d = Self.golden
        d.sessionID = "x"
        XCTAssertThrowsError(try d.checkUsable())
        d = Self.golden
        d.expiration = nil
        XCTAssertThrowsError(try d.checkUsable())
        d = Self.golden
        d.certificate = []
        XCTAssertThrowsError(try d.checkUsable())
    }
}

func hex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef")
    return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
}
