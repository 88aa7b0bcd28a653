import AgentConfig
import DNSCodec
import NIOCore
import XCTest

final class DNSMessageTests: XCTestCase {
    private func everyRecordType() throws -> DNSMessage {
        let owner = try DNSName("host.example.com")
        var header = DNSHeader(id: 0xBEEF)
        header.isResponse = true
        header.isAuthoritative = true
        header.recursionDesired = true
        return DNSMessage(
            header: header,
            questions: [DNSQuestion(name: owner, type: .any)],
            answers: [
                ResourceRecord(name: owner, ttl: 300, data: .a(IPv4Address(192, 0, 2, 1))),
                ResourceRecord(name: owner, ttl: 300, data: .aaaa(IPv6Address("2001:db8::1")!)),
                ResourceRecord(name: try DNSName("www.example.com"), ttl: 60, data: .cname(owner)),
                ResourceRecord(name: try DNSName("example.com"), ttl: 60, data: .ns(try DNSName("ns1.example.com"))),
                ResourceRecord(
                    name: try DNSName("1.2.0.192.in-addr.arpa"), ttl: 60, data: .ptr(owner)),
                ResourceRecord(
                    name: try DNSName("example.com"), ttl: 60,
                    data: .mx(preference: 10, exchange: try DNSName("mail.example.com"))),
                ResourceRecord(name: owner, ttl: 60, data: .txt([Array("v=spf1 -all".utf8), [], [0xFF]])),
                ResourceRecord(
                    name: try DNSName("_ldap._tcp.example.com"), ttl: 60,
                    data: .srv(priority: 1, weight: 2, port: 389, target: owner)),
                ResourceRecord(name: owner, type: DNSType(rawValue: 99), ttl: 1, data: .unknown([1, 2, 3])),
            ],
            authorities: [
                ResourceRecord(
                    name: try DNSName("example.com"), ttl: 3600,
                    data: .soa(
                        SOAData(
                            primaryServer: try DNSName("ns1.example.com"),
                            responsibleMailbox: try DNSName("hostmaster.example.com"), serial: 2024, refresh: 1,
                            retry: 2, expire: 3, minimum: 30)))
            ],
            additionals: [ResourceRecord(name: owner, ttl: 5, data: .a(IPv4Address(10, 0, 0, 1)))],
            edns: EDNS(
                udpPayloadSize: 4096, extendedResponseCodeHigh: 0, version: 0, flags: EDNS.dnssecOKFlag,
                options: [EDNSOption(code: 10, data: [1, 2, 3, 4, 5, 6, 7, 8]), EDNSOption(code: 65001, data: [])]))
    }

    func testRoundTripEveryRecordTypeWithAndWithoutCompression() throws {
        let message = try everyRecordType()
        let compressed = try TestMessages.bytes(message)
        let plain = try TestMessages.bytes(message, compress: false)
        XCTAssertLessThan(compressed.count, plain.count)
        var expected = message
        expected.header.questionCount = 1
        expected.header.answerCount = UInt16(message.answers.count)
        expected.header.authorityCount = 1
        expected.header.additionalCount = 2
        XCTAssertEqual(try TestMessages.read(compressed), expected)
        XCTAssertEqual(try TestMessages.read(plain), expected)
        XCTAssertTrue(try TestMessages.read(compressed).edns!.dnssecOK)
    }

    func testCompressionPointsBackAndSRVTargetStaysPlain() throws {
        let name = try DNSName("a.example.com")
        let message = DNSMessage(
            questions: [DNSQuestion(name: name, type: .srv)],
            answers: [ResourceRecord(name: name, ttl: 1, data: .srv(priority: 0, weight: 0, port: 1, target: name))])
        let bytes = try TestMessages.bytes(message)
        // Question at 12 (15 bytes + 4), answer owner is the pointer C00C.
        XCTAssertEqual(Array(bytes[31...32]), [0xC0, 0x0C])
        // The SRV target at the end is written out in full.
        XCTAssertEqual(Array(bytes.suffix(name.wire.count)), name.wire)
    }

    func testExtendedResponseCode() throws {
        var message = DNSMessage()
        message.responseCode = .badVersion
        XCTAssertEqual(message.header.responseCodeLow, 0)
        XCTAssertEqual(message.edns?.extendedResponseCodeHigh, 1)
        XCTAssertEqual(try TestMessages.read(try TestMessages.bytes(message)).responseCode, .badVersion)
    }

    func testEveryTruncationOfAValidMessageThrows() throws {
        let bytes = try TestMessages.bytes(try everyRecordType())
        for length in 0..<bytes.count {
            XCTAssertThrowsError(try TestMessages.read(Array(bytes[0..<length])), "prefix \(length)")
        }
        XCTAssertThrowsError(try TestMessages.read(bytes + [0])) { error in
            XCTAssertEqual(error as? DNSCodecError, .trailingBytes(count: 1))
        }
    }

    func testPointerLoopsAndForwardPointersAreRefused() throws {
        let header: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        let cases: [(String, [UInt8])] = [
            ("self pointer", header + [0xC0, 12, 0, 1, 0, 1]),
            ("forward pointer", header + [0xC0, 14, 0, 0, 1, 0, 1]),
            ("into header", header + [0xC0, 2, 0, 1, 0, 1]),
            ("label then loop", header + [1, 65, 0xC0, 12, 0, 1, 0, 1]),
            ("reserved 0x40 label", header + [0x41, 65, 0, 0, 1, 0, 1]),
            ("reserved 0x80 label", header + [0x81, 65, 0, 0, 1, 0, 1]),
            ("half pointer", header + [0xC0]),
        ]
        for (label, bytes) in cases {
            XCTAssertThrowsError(try TestMessages.read(bytes), label)
        }
        // Two questions, the second pointing back at the first: fine.
        let twoQuestions: [UInt8] =
            [0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0] + [1, 65, 0, 0, 1, 0, 1] + [1, 66, 0xC0, 12, 0, 1, 0, 1]
        XCTAssertEqual(try TestMessages.read(twoQuestions).questions[1].name, try DNSName("B.a"))
    }

    func testNameOver255ThroughPointersIsRefused() throws {
        // Question 1: 62+62+62+60-byte labels = 251 wire bytes (valid). Question 2: a 10-byte label, then a
        // pointer to question 1 = 262 bytes, over the limit although each piece is fine.
        var bytes: [UInt8] = [0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0]
        for length in [62, 62, 62, 60] { bytes += [UInt8(length)] + [UInt8](repeating: 97, count: length) }
        bytes += [0, 0, 1, 0, 1]
        bytes += [10] + [UInt8](repeating: 98, count: 10) + [0xC0, 12, 0, 1, 0, 1]
        XCTAssertThrowsError(try TestMessages.read(bytes)) { error in
            XCTAssertEqual(error as? DNSCodecError, .nameTooLong)
        }
    }

    func testRecordDataBoundsAndOPTRules() throws {
        let question: [UInt8] = [1, 97, 0, 0, 1, 0, 1]
        func message(answers: [UInt8], additional: [UInt8] = [], an: UInt8 = 1, ar: UInt8 = 0) -> [UInt8] {
            [0, 1, 0x80, 0, 0, 1, 0, an, 0, 0, 0, ar] + question + answers + additional
        }
        let cases: [(String, [UInt8])] = [
            ("A with 3 bytes", message(answers: [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 3, 1, 2, 3])),
            ("AAAA with 4 bytes", message(answers: [0xC0, 12, 0, 28, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4])),
            ("CNAME overrunning rdlength", message(answers: [0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 1, 0, 1, 1, 97, 0])),
            ("TXT string overrun", message(answers: [0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 1, 0, 2, 5, 97])),
            ("empty TXT", message(answers: [0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 1, 0, 0])),
            ("MX too short", message(answers: [0xC0, 12, 0, 15, 0, 1, 0, 0, 0, 1, 0, 1, 0])),
            ("SOA too short", message(answers: [0xC0, 12, 0, 6, 0, 1, 0, 0, 0, 1, 0, 2, 0, 0])),
            ("rdlength past the end", message(answers: [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 9, 1, 2, 3, 4])),
            ("OPT in answers", message(answers: [0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0])),
            (
                "two OPTs",
                message(
                    answers: [], additional: [0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0] + [0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0],
                    an: 0, ar: 2)
            ),
            (
                "OPT owner not root",
                message(answers: [], additional: [0xC0, 12, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0], an: 0, ar: 1)
            ),
            (
                "option overrun",
                message(answers: [], additional: [0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 6, 0, 10, 0, 8, 1, 2], an: 0, ar: 1)
            ),
            (
                "option header overrun",
                message(answers: [], additional: [0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 2, 0, 10], an: 0, ar: 1)
            ),
        ]
        for (label, bytes) in cases {
            XCTAssertThrowsError(try TestMessages.read(bytes), label)
        }
    }

    func testCountsLargerThanTheMessageFailFast() {
        let bytes: [UInt8] = [0, 1, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        XCTAssertThrowsError(try TestMessages.read(bytes)) { error in
            guard case .truncated = error as? DNSCodecError else { return XCTFail("\(error)") }
        }
    }
}
