import XCTest

@testable import AgentCLI

final class HTTPResponseParserTests: XCTestCase {
    func parse(_ text: String, limit: Int = 1 << 20, dripFeed: Bool = false, eof: Bool = true) throws
        -> LocalHTTPResponse?
    {
        var parser = HTTPResponseParser(maximumBodyBytes: limit)
        let bytes = Array(text.utf8)
        if dripFeed {
            for b in bytes {
                try parser.append([b])
                if let r = try parser.response(atEOF: false) { return r }
            }
        } else {
            try parser.append(bytes)
            if let r = try parser.response(atEOF: false) { return r }
        }
        return eof ? try parser.response(atEOF: true) : nil
    }

    func assertMalformed(_ text: String, limit: Int = 1 << 20, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(text, limit: limit), file: file, line: line) { error in
            guard let e = error as? CLIError else { return XCTFail("\(error)", file: file, line: line) }
            switch e {
            case .malformedResponse, .responseTooLarge: break
            default: XCTFail("\(e)", file: file, line: line)
            }
        }
    }

    func testChunkSizeMustBeHexDigits() {
        // Found by fuzz-cli-http (fuzz/corpus/cli-http/crash-negative-chunk-size): `Int(_:radix:)` takes a
        // sign, so a chunk size of "-5a" was -90 and slicing the body with it trapped: anything listening
        // on the agent's port could crash the CLI. RFC 9112 §7.1: chunk-size = 1*HEXDIG.
        for size in ["-5a", "+5", "-0", " 5", "0x5"] {
            assertMalformed("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n\(size)\r\n{\"a\":1}\r\n0\r\n\r\n")
        }
        XCTAssertEqual(
            try parse("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2;ext=1\r\n{}\r\n0\r\n\r\n")?.body,
            Array("{}".utf8))
    }

    func testContentLength() throws {
        let r = try XCTUnwrap(try parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A:  b \r\n\r\n{}"))
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.body, Array("{}".utf8))
        XCTAssertEqual(r.header("x-a"), "b")
        // Complete before EOF: no need to wait for the close.
        XCTAssertNotNil(try parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", eof: false))
    }

    func testDripFedAndChunked() throws {
        let plain = try XCTUnwrap(try parse("HTTP/1.1 404 Not Found\r\ncontent-length: 5\r\n\r\nhello", dripFeed: true))
        XCTAssertEqual(plain.status, 404)
        XCTAssertEqual(String(decoding: plain.body, as: UTF8.self), "hello")
        let chunked = try XCTUnwrap(
            try parse(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nT: x\r\n\r\n",
                dripFeed: true))
        XCTAssertEqual(String(decoding: chunked.body, as: UTF8.self), "abc0123456789")
    }

    func testBodyUntilClose() throws {
        XCTAssertNil(try parse("HTTP/1.0 200 OK\r\n\r\n{\"a\":1}", eof: false))
        let r = try XCTUnwrap(try parse("HTTP/1.0 200 OK\r\n\r\n{\"a\":1}"))
        XCTAssertEqual(r.body.count, 7)
    }

    func testNoBodyStatuses() throws {
        let r = try XCTUnwrap(try parse("HTTP/1.1 204 No Content\r\n\r\n", eof: false))
        XCTAssertEqual(r.status, 204)
        XCTAssertEqual(r.body, [])
    }

    func testMalformed() {
        assertMalformed("")
        assertMalformed("SSH-2.0-OpenSSH_9.2\r\n\r\n")
        assertMalformed("HTTP/1.1 2000 OK\r\n\r\n")
        assertMalformed("HTTP/1.1 abc OK\r\n\r\n")
        assertMalformed("HTTP/2 200\r\n\r\n")
        assertMalformed("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n")
        assertMalformed("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n")
        assertMalformed("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")
        assertMalformed("HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\n{}")
        assertMalformed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}")
        assertMalformed("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n")
        assertMalformed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
        assertMalformed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n")
        // Truncated: inside the head, inside a counted body, inside a chunked body.
        assertMalformed("HTTP/1.1 200 OK\r\nContent-Le")
        assertMalformed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}")
        assertMalformed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab")
        assertMalformed("HTTP/1.1 200 OK\r\n\u{FF}\r\n\r\n")
    }

    func testOversized() {
        assertMalformed("HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: 20_000) + "\r\n\r\n")
        assertMalformed("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n0123456789A", limit: 10)
        assertMalformed("HTTP/1.1 200 OK\r\n\r\n0123456789A", limit: 10)
        assertMalformed(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\nabcdef\r\n0\r\n\r\n", limit: 10)
        // The early bound: a body far over the cap stops the reading before any framing decision.
        var parser = HTTPResponseParser(maximumBodyBytes: 10)
        XCTAssertThrowsError(
            try parser.append(Array(("HTTP/1.1 200 OK\r\n\r\n" + String(repeating: "x", count: 70_000)).utf8)))
    }

    func testRequestBytesCarryLoopbackHostAndNoOrigin() {
        let client = LocalHTTPClient(endpoint: .tcp(port: 9300), userAgent: "boundary-agent/0.1.0")
        let get = String(decoding: client.requestBytes(method: "GET", target: "/v1/status", body: nil), as: UTF8.self)
        XCTAssertTrue(get.hasPrefix("GET /v1/status HTTP/1.1\r\nHost: localhost\r\n"), get)
        XCTAssertFalse(get.lowercased().contains("origin"))
        XCTAssertTrue(get.hasSuffix("\r\n\r\n"))
        let post = String(decoding: client.requestBytes(method: "POST", target: "/v1/pause", body: nil), as: UTF8.self)
        XCTAssertTrue(post.contains("Content-Length: 0\r\n"))
        let withBody = String(
            decoding: client.requestBytes(method: "POST", target: "/v1/tokens", body: Array("{}".utf8)), as: UTF8.self)
        XCTAssertTrue(withBody.contains("Content-Type: application/json\r\nContent-Length: 2\r\n"))
        XCTAssertTrue(withBody.hasSuffix("\r\n\r\n{}"))
    }
}
