import AgentConfig
import DNSCodec
import NIOCore
import XCTest

/// The allocation-free serving path: query parser, answer writer, response scanner.
final class QueryPathTests: XCTestCase {
    let nameBuffer = DNSNameBuffer()

    private func parse(_ bytes: [UInt8]) -> DNSQueryParseResult {
        DNSQueryParser.parse(ByteBuffer(bytes: bytes), name: nameBuffer)
    }

    func testParsesAQueryWithEDNS() throws {
        let bytes = try TestMessages.query(
            "Web.Boundary.Dev", .aaaa, id: 77,
            edns: EDNS(udpPayloadSize: 4096, flags: EDNS.dnssecOKFlag, options: [EDNSOption(code: 10, data: [1, 2])]))
        guard case .query(let info) = parse(bytes) else { return XCTFail("not a query") }
        XCTAssertEqual(info.id, 77)
        XCTAssertEqual(info.questionType, .aaaa)
        XCTAssertEqual(info.questionClass, .in)
        XCTAssertTrue(info.recursionDesired)
        XCTAssertEqual(info.edns?.udpPayloadSize, 4096)
        XCTAssertTrue(info.dnssecOK)
        XCTAssertEqual(info.udpLimit, 4096)
        XCTAssertEqual(nameBuffer.name, try DNSName("web.boundary.dev"))
        XCTAssertEqual(nameBuffer.name.description, "Web.Boundary.Dev.")  // case kept
        XCTAssertEqual(
            nameBuffer.caseInsensitiveHash,
            try { () throws -> Int in
                let other = DNSNameBuffer()
                other.set(try DNSName("WEB.boundary.DEV"))
                return other.caseInsensitiveHash
            }())
    }

    func testClientLimits() throws {
        guard case .query(let plain) = parse(try TestMessages.query("a")) else { return XCTFail() }
        XCTAssertEqual(plain.udpLimit, 512)
        guard case .query(let small) = parse(try TestMessages.query("a", edns: EDNS(udpPayloadSize: 100))) else {
            return XCTFail()
        }
        XCTAssertEqual(small.udpLimit, 512)  // RFC 6891 §6.2.5
    }

    func testMalformedQueriesAreClassified() throws {
        let good = try TestMessages.query("example.com")
        // No header: dropped. Every longer prefix has a header: FORMERR.
        for length in 0..<12 {
            guard case .drop = parse(Array(good[0..<length])) else { return XCTFail("prefix \(length)") }
        }
        for length in 12..<good.count {
            guard case .formatError(let id, _, _) = parse(Array(good[0..<length])) else {
                return XCTFail("prefix \(length)")
            }
            XCTAssertEqual(id, 0x1234)
        }
        var response = good
        response[2] |= 0x80
        guard case .drop = parse(response) else { return XCTFail("response not dropped") }
        var notify = good
        notify[2] = (notify[2] & 0x87) | (4 << 3)
        guard case .notImplemented = parse(notify) else { return XCTFail("opcode") }
        var noQuestion = good
        noQuestion[5] = 0
        guard case .formatError = parse(Array(noQuestion[0..<12])) else { return XCTFail("qdcount 0") }
        var twoQuestions = good
        twoQuestions[5] = 2
        guard case .formatError = parse(twoQuestions + Array(good[12...])) else { return XCTFail("qdcount 2") }
        guard case .formatError = parse(good + [0]) else { return XCTFail("trailing byte") }
        let version1 = try TestMessages.query("a", edns: EDNS(version: 1))
        guard case .badVersion = parse(version1) else { return XCTFail("EDNS version") }
    }

    func testAliasAnswerNODATAAndErrors() throws {
        guard
            case .query(let info) = parse(
                try TestMessages.query("Web.Boundary.Dev", .a, edns: EDNS(flags: EDNS.dnssecOKFlag)))
        else { return XCTFail() }
        var out = ByteBuffer()
        DNSResponseWriter.writeAliasAnswer(
            into: &out, query: info, name: nameBuffer, ipv4: IPv4Address(100, 64, 0, 5), ipv6: nil, ttl: 5)
        let answer = try DNSMessage.read(from: out)
        XCTAssertTrue(answer.header.isResponse)
        XCTAssertTrue(answer.header.isAuthoritative)
        XCTAssertTrue(answer.header.recursionDesired)
        XCTAssertEqual(answer.header.id, 0x1234)
        XCTAssertEqual(answer.questions.first?.name.description, "Web.Boundary.Dev.")
        XCTAssertEqual(
            answer.answers,
            [ResourceRecord(name: try DNSName("web.boundary.dev"), ttl: 5, data: .a(IPv4Address(100, 64, 0, 5)))])
        XCTAssertEqual(answer.edns?.dnssecOK, true)

        guard case .query(let mx) = parse(try TestMessages.query("web.boundary.dev", .mx)) else { return XCTFail() }
        out.clear()
        DNSResponseWriter.writeAliasAnswer(
            into: &out, query: mx, name: nameBuffer, ipv4: IPv4Address(100, 64, 0, 5), ipv6: nil, ttl: 5)
        let nodata = try DNSMessage.read(from: out)
        XCTAssertEqual(nodata.responseCode, .noError)
        XCTAssertTrue(nodata.answers.isEmpty)
        guard case .soa(let soa) = nodata.authorities.first?.data else { return XCTFail("no SOA") }
        XCTAssertEqual(soa.minimum, 5)
        XCTAssertNil(nodata.edns)

        out.clear()
        DNSResponseWriter.writeEmptyResponse(
            into: &out, query: mx, name: nameBuffer, rcode: .serverFailure, truncated: true)
        let failure = try DNSMessage.read(from: out)
        XCTAssertEqual(failure.responseCode, .serverFailure)
        XCTAssertTrue(failure.header.isTruncated)
        XCTAssertEqual(failure.questions.count, 1)

        out.clear()
        DNSResponseWriter.writeBadVersionResponse(into: &out, id: 9, queryFlags: 0x0100)
        XCTAssertEqual(try DNSMessage.read(from: out).responseCode, .badVersion)
    }

    func testScannerFindsTTLsNegativeTTLAndOPT() throws {
        nameBuffer.set(try DNSName("host.example.com"))
        var header = DNSHeader(id: 1)
        header.isResponse = true
        let owner = try DNSName("host.example.com")
        let positive = try TestMessages.bytes(
            DNSMessage(
                header: header, questions: [DNSQuestion(name: owner, type: .a)],
                answers: [
                    ResourceRecord(name: owner, ttl: 300, data: .a(IPv4Address(1, 2, 3, 4))),
                    ResourceRecord(name: owner, ttl: 0x8000_0000, data: .a(IPv4Address(1, 2, 3, 5))),
                ], edns: EDNS()))
        var offsets: [Int] = []
        let summary = try positive.withUnsafeBytes { bytes in
            try withUnsafeMutablePointer(to: &offsets) {
                try DNSResponseScanner.scan(bytes, name: nameBuffer, type: .a, questionClass: .in, ttlOffsets: $0)
            }
        }
        XCTAssertEqual(summary.minimumTTL, 0)  // RFC 2181 §8: top bit set counts as 0
        XCTAssertEqual(offsets.count, 2)
        XCTAssertEqual(Array(positive[offsets[0]..<(offsets[0] + 4)]), [0, 0, 1, 44])
        XCTAssertTrue(summary.optIsLast)
        XCTAssertTrue(summary.questionIsPlain)

        header.responseCodeLow = 3
        let negative = try TestMessages.bytes(
            DNSMessage(
                header: header, questions: [DNSQuestion(name: owner, type: .a)],
                authorities: [
                    ResourceRecord(
                        name: try DNSName("example.com"), ttl: 900,
                        data: .soa(
                            SOAData(
                                primaryServer: .root, responsibleMailbox: .root, serial: 1, refresh: 1, retry: 1,
                                expire: 1, minimum: 60)))
                ]))
        let negativeSummary = try negative.withUnsafeBytes {
            try DNSResponseScanner.scan($0, name: nameBuffer, type: .a, questionClass: .in, ttlOffsets: nil)
        }
        XCTAssertEqual(negativeSummary.responseCode, .nameError)
        XCTAssertEqual(negativeSummary.negativeTTL, 60)

        // A different question, a different type, or a query instead of a response: refused.
        let other = DNSNameBuffer()
        other.set(try DNSName("evil.example.com"))
        XCTAssertThrowsError(
            try positive.withUnsafeBytes {
                try DNSResponseScanner.scan($0, name: other, type: .a, questionClass: .in, ttlOffsets: nil)
            })
        XCTAssertThrowsError(
            try positive.withUnsafeBytes {
                try DNSResponseScanner.scan($0, name: nameBuffer, type: .aaaa, questionClass: .in, ttlOffsets: nil)
            })
        var query = positive
        query[2] &= 0x7F
        XCTAssertThrowsError(
            try query.withUnsafeBytes {
                try DNSResponseScanner.scan($0, name: nameBuffer, type: .a, questionClass: .in, ttlOffsets: nil)
            })
        for length in 0..<positive.count {
            XCTAssertThrowsError(
                try Array(positive[0..<length]).withUnsafeBytes {
                    try DNSResponseScanner.scan($0, name: nameBuffer, type: .a, questionClass: .in, ttlOffsets: nil)
                }, "prefix \(length)")
        }
    }
}
