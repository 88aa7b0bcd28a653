import NIOCore
import NIOEmbedded
import NIOSSL
import XCTest

@testable import DevController

/// The dev worker's ClientHello reader, fed real ClientHellos from BoringSSL (via NIOSSL).
final class WorkerClientHelloTests: XCTestCase {
    func clientHello(serverName: String?, alpn: [String]) throws -> [UInt8] {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv13
        tls.applicationProtocols = alpn
        let handler = try NIOSSLClientHandler(
            context: try NIOSSLContext(configuration: tls), serverHostname: serverName)
        let channel = EmbeddedChannel(handler: handler)
        _ = try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9202)).wait()
        var bytes: [UInt8] = []
        while let b = try channel.readOutbound(as: ByteBuffer.self) { bytes += b.readableBytesView }
        _ = try? channel.finish()
        return bytes
    }

    func testSNIAndALPNFromARealClientHello() throws {
        let hello = try clientHello(serverName: "s_1234567890", alpn: ["http/1.1", "s_1234567890"])
        let parsed = try XCTUnwrap(try WorkerClientHello.parse(hello))
        XCTAssertEqual(parsed.serverName, "s_1234567890")
        XCTAssertEqual(parsed.alpn, ["http/1.1", "s_1234567890"])
        XCTAssertEqual(WorkerTLSSniffHandler.sessionID(from: parsed), "s_1234567890")
    }

    func testSessionFromALPNWhenSNIIsAHostName() throws {
        let hello = try clientHello(serverName: "worker.example.com", alpn: ["http/1.1", "s_abc"])
        let parsed = try XCTUnwrap(try WorkerClientHello.parse(hello))
        XCTAssertEqual(WorkerTLSSniffHandler.sessionID(from: parsed), "s_abc")
        let none = try XCTUnwrap(try WorkerClientHello.parse(try clientHello(serverName: nil, alpn: ["http/1.1"])))
        XCTAssertNil(none.serverName)
        XCTAssertNil(WorkerTLSSniffHandler.sessionID(from: none))
    }

    func testEveryPrefixNeedsMoreAndFragmentedRecordsParse() throws {
        let hello = try clientHello(serverName: "s_x", alpn: ["http/1.1", "s_x"])
        for n in 0..<hello.count { XCTAssertNil(try WorkerClientHello.parse(Array(hello.prefix(n))), "prefix \(n)") }
        // Re-split the handshake message into 100-byte records (RFC 8446 §5.1 allows fragmentation).
        let body = Array(hello[5...])
        var fragmented: [UInt8] = []
        var i = 0
        while i < body.count {
            let chunk = body[i..<min(i + 100, body.count)]
            fragmented += [22, 3, 1, 0, UInt8(chunk.count)] + chunk
            i += 100
        }
        XCTAssertEqual(try WorkerClientHello.parse(fragmented)?.alpn, ["http/1.1", "s_x"])
    }

    func testGarbageIsRefused() {
        XCTAssertThrowsError(try WorkerClientHello.parse(Array("GET / HTTP/1.1\r\n\r\n".utf8))) {
            XCTAssertEqual($0 as? WorkerClientHello.ParseError, .notTLSHandshake)
        }
        XCTAssertThrowsError(try WorkerClientHello.parse([22, 3, 1, 0, 4, 2, 0, 0, 0])) {
            XCTAssertEqual($0 as? WorkerClientHello.ParseError, .notClientHello)
        }
        XCTAssertThrowsError(try WorkerClientHello.parse([22, 3, 1, 0, 4, 1, 0x10, 0, 0])) {
            XCTAssertEqual($0 as? WorkerClientHello.ParseError, .tooLong)
        }
        // A hello whose extension length runs past the message.
        var bad: [UInt8] = [3, 3] + [UInt8](repeating: 0, count: 32) + [0, 0, 2, 0x13, 0x01, 1, 0, 0x00, 0x10]
        bad = [1, 0, 0, UInt8(bad.count)] + bad
        XCTAssertThrowsError(try WorkerClientHello.parse([22, 3, 1, 0, UInt8(bad.count)] + bad))
        XCTAssertThrowsError(try WorkerClientHello.parse([22, 3, 1, 0, 0]), "empty record")
    }
}
