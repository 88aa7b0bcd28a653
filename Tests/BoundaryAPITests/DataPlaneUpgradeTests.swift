import Foundation
import NIOCore
import XCTest

@testable import BoundaryAPI

/// The `/v1/proxy` opening handshake (RFC 6455 §4.1, boundary-protocol.md §3.2).
final class DataPlaneUpgradeTests: XCTestCase {
    // RFC 6455 §1.3's example key and accept value.
    let request = WebSocketUpgradeRequest(host: "127.0.0.1:9202", key: "dGhlIHNhbXBsZSBub25jZQ==")
    let accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

    func testRequestBytes() {
        var buffer = ByteBuffer()
        request.write(into: &buffer)
        XCTAssertEqual(
            String(buffer: buffer),
            "GET /v1/proxy HTTP/1.1\r\nHost: 127.0.0.1:9202\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Protocol: boundary-tcp-proxy-v1\r\n\r\n")
        XCTAssertEqual(request.expectedAccept, accept)
    }

    func testSHA1Vectors() {
        // FIPS 180-2 appendix A examples, and the empty message.
        func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }
        XCTAssertEqual(hex(SHA1.hash(Array("abc".utf8))), "a9993e364706816aba3e25717850c26c9cd0d89d")
        XCTAssertEqual(hex(SHA1.hash([])), "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        XCTAssertEqual(
            hex(SHA1.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        XCTAssertEqual(
            hex(SHA1.hash([UInt8](repeating: 0x61, count: 1_000_000))), "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    func testRandomKeysAreSixteenBytesOfBase64() {
        let keys = (0..<20).map { _ in WebSocketUpgradeRequest(host: "h:1").key }
        XCTAssertEqual(Set(keys).count, 20)
        for key in keys {
            XCTAssertEqual(key.count, 24)
            XCTAssertTrue(key.hasSuffix("=="))
        }
    }

    func response(_ lines: [String]) -> String { lines.joined(separator: "\r\n") + "\r\n\r\n" }

    var good: [String] {
        [
            "HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
            "Sec-WebSocket-Accept: \(accept)", "Sec-WebSocket-Protocol: boundary-tcp-proxy-v1",
            "Cache-Control: no-store",
        ]
    }

    func testAGoodResponseSplitAnywhereLeavesTheFramesAfterIt() throws {
        let wire = Array(response(good).utf8) + [0x82, 0x00]
        for split in 0..<wire.count {
            var buffer = ByteBuffer(bytes: wire[..<split])
            if split < wire.count - 2 {
                XCTAssertFalse(try request.parseResponse(&buffer), "incomplete at \(split)")
            }
            var all = ByteBuffer(bytes: wire)
            XCTAssertTrue(try request.parseResponse(&all))
            XCTAssertEqual(Array(all.readableBytesView), [0x82, 0x00])
        }
    }

    func testHeaderNamesAndUpgradeTokensAreCaseInsensitive() throws {
        var buffer = ByteBuffer(
            string: response([
                "HTTP/1.1 101 Switching Protocols", "upgrade: WebSocket", "connection: keep-alive, upgrade",
                "sec-websocket-accept: \(accept)", "sec-websocket-protocol:   boundary-tcp-proxy-v1  ",
            ]))
        XCTAssertTrue(try request.parseResponse(&buffer))
    }

    func testRefusals() {
        func expect(_ lines: [String], _ expected: DataPlaneError, file: StaticString = #filePath, line: UInt = #line) {
            var buffer = ByteBuffer(string: response(lines))
            XCTAssertThrowsError(try request.parseResponse(&buffer), file: file, line: line) { error in
                XCTAssertEqual(error as? DataPlaneError, expected, file: file, line: line)
            }
        }
        expect(["HTTP/1.1 500 Internal Server Error", "Content-Length: 0"], .upgradeRefused(status: 500))
        expect(["HTTP/1.1 426 Upgrade Required"], .upgradeRefused(status: 426))
        expect(
            ["HTTP/1.0 101 Switching Protocols"] + good.dropFirst(),
            .invalidUpgradeResponse("bad status line \"HTTP/1.0 101 Switching Protocols\""))
        expect(
            good.filter { !$0.hasPrefix("Upgrade") }, .invalidUpgradeResponse("Upgrade header is not \"websocket\""))
        expect(
            good.filter { !$0.hasPrefix("Connection") }, .invalidUpgradeResponse("Connection header lacks \"Upgrade\""))
        expect(
            good.map { $0.hasPrefix("Sec-WebSocket-Accept") ? "Sec-WebSocket-Accept: AAAA" : $0 },
            .invalidUpgradeResponse("Sec-WebSocket-Accept does not match the key"))
        expect(
            good + ["Sec-WebSocket-Extensions: permessage-deflate"],
            .invalidUpgradeResponse("worker enabled extensions we did not offer: permessage-deflate"))
        expect(good.filter { !$0.hasPrefix("Sec-WebSocket-Protocol") }, .subprotocolMismatch(nil))
        expect(
            good.map { $0.hasPrefix("Sec-WebSocket-Protocol") ? "Sec-WebSocket-Protocol: boundary-tcp-v1" : $0 },
            .subprotocolMismatch("boundary-tcp-v1"))
        expect(good + [" folded"], .invalidUpgradeResponse("malformed header line"))
        var huge = ByteBuffer(string: "HTTP/1.1 101 OK\r\n" + String(repeating: "X: y\r\n", count: 2000))
        XCTAssertThrowsError(try request.parseResponse(&huge))
    }
}

/// The close codes and reasons of `internal/daemon/worker/handler.go`, as the reference client reads them.
final class DataPlaneErrorTests: XCTestCase {
    func testCloseFrameMapping() {
        XCTAssertNil(DataPlaneError(closeCode: 1000, reason: ""))
        XCTAssertNil(DataPlaneError(closeCode: 1001, reason: "going away"))
        XCTAssertEqual(DataPlaneError(closeCode: 1008, reason: "tofu token not allowed"), .sessionInUse)
        XCTAssertEqual(DataPlaneError(closeCode: 1011, reason: "unable to authorize connection"), .noConnectionsLeft)
        XCTAssertEqual(
            DataPlaneError(closeCode: 1011, reason: "refusing to activate session"), .refusingToActivateSession)
        XCTAssertEqual(DataPlaneError(closeCode: 1003, reason: "invalid tofu token"), .invalidTofuToken)
        XCTAssertEqual(
            DataPlaneError(closeCode: 3000, reason: "unable to setup proxying"),
            .proxySetupFailed("unable to setup proxying"))
        XCTAssertEqual(
            DataPlaneError(closeCode: 1011, reason: "unable to establish proxy"),
            .proxySetupFailed("unable to establish proxy"))
        XCTAssertEqual(
            DataPlaneError(closeCode: 1008, reason: "invalid handshake received"),
            .closedByWorker(code: 1008, reason: "invalid handshake received"))
        XCTAssertEqual(DataPlaneError(closeCode: nil, reason: ""), .closedByWorker(code: nil, reason: ""))
    }

    func testTransportErrorsByBoringSSLText() {
        struct Text: Error, CustomStringConvertible { var description: String }
        XCTAssertEqual(
            DataPlaneError(transportError: Text(description: "handshakeFailed(... TLSV1_ALERT_INTERNAL_ERROR ...)")),
            .sessionNotAuthorized)
        XCTAssertEqual(
            DataPlaneError(transportError: Text(description: "CERTIFICATE_VERIFY_FAILED")), .workerCertificateMismatch)
        XCTAssertEqual(
            DataPlaneError(transportError: Text(description: "SSLV3_ALERT_CERTIFICATE_UNKNOWN")),
            .clientCertificateRejected)
        XCTAssertEqual(DataPlaneError(transportError: DataPlaneError.sessionInUse), .sessionInUse)
    }
}
