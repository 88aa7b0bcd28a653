import AgentConfig
import DNSCodec
import NIOCore
import XCTest

/// Every reader on many deterministic mutations of valid messages: results may be anything, but nothing
/// may trap (bounds, loops, arithmetic). A small in-process stand-in until the real fuzzer runs.
final class MutationTests: XCTestCase {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            // SplitMix64: deterministic, so a failure reproduces.
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    func testMutatedMessagesNeverTrap() throws {
        let owner = try DNSName("host.example.com")
        var header = DNSHeader(id: 3)
        header.isResponse = true
        let seeds: [[UInt8]] = [
            try TestMessages.query("web.boundary.dev", .a, edns: EDNS(options: [EDNSOption(code: 10, data: [1, 2])])),
            try TestMessages.bytes(
                DNSMessage(
                    header: header, questions: [DNSQuestion(name: owner, type: .a)],
                    answers: [
                        ResourceRecord(name: owner, ttl: 60, data: .cname(try DNSName("x.example.com"))),
                        ResourceRecord(name: try DNSName("x.example.com"), ttl: 60, data: .a(IPv4Address(1, 2, 3, 4))),
                    ],
                    authorities: [
                        ResourceRecord(
                            name: try DNSName("example.com"), ttl: 60,
                            data: .soa(
                                SOAData(
                                    primaryServer: owner, responsibleMailbox: owner, serial: 1, refresh: 2, retry: 3,
                                    expire: 4, minimum: 5)))
                    ], edns: EDNS())),
        ]
        let nameBuffer = DNSNameBuffer()
        var random = Generator(state: 42)
        var parsed = 0
        for iteration in 0..<20000 {
            var bytes = seeds[iteration % seeds.count]
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                switch Int.random(in: 0..<4, using: &random) {
                case 0:
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes[Int.random(in: 0..<bytes.count, using: &random)] = 0xC0
                case 2: bytes.removeLast(Int.random(in: 0..<min(8, bytes.count - 1), using: &random))
                default:
                    bytes.insert(
                        UInt8.random(in: 0...255, using: &random), at: Int.random(in: 0..<bytes.count, using: &random))
                }
            }
            if case .query = DNSQueryParser.parse(ByteBuffer(bytes: bytes), name: nameBuffer) { parsed += 1 }
            _ = try? DNSMessage.read(from: ByteBuffer(bytes: bytes))
            nameBuffer.set(owner)
            _ = try? bytes.withUnsafeBytes {
                try DNSResponseScanner.scan($0, name: nameBuffer, type: .a, questionClass: .in, ttlOffsets: nil)
            }
        }
        XCTAssertGreaterThan(parsed, 0)  // some mutations stay valid queries
    }
}
