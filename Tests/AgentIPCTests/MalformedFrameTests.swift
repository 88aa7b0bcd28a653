import AgentConfig
import Glibc
import PrivSep
import XCTest

@testable import AgentIPC

/// What a compromised or buggy peer might send: each is refused with a precise error, and any fds
/// that came with it are closed (checked by watching a pipe's write end see EOF/EPIPE).
final class MalformedFrameTests: XCTestCase {
    func header(_ kind: UInt16, flags: UInt16 = 0, length: Int) -> [UInt8] {
        var w = IPCWriter()
        w.u16(kind)
        w.u16(flags)
        w.u32(UInt32(length))
        return w.bytes
    }

    func assemble(_ bytes: [UInt8], fds: [Int32] = [], _ direction: Direction) throws -> Frame? {
        var assembler = FrameAssembler(direction: direction)
        return try assembler.add(ReceivedMessage(bytes: bytes, fds: fds))
    }

    func expect(_ expected: IPCError, _ body: () throws -> Any?, line: UInt = #line) {
        XCTAssertThrowsError(try body(), line: line) { error in
            XCTAssertEqual(error as? IPCError, expected, line: line)
        }
    }

    /// A pipe: returns (read end to attach, write end to probe). Once every copy of the read end is
    /// closed, writing to the write end fails with EPIPE.
    func probePipe() throws -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        try Posix.call("pipe") { pipe(&fds) }
        try Posix.setNonBlocking(fds[1], true)
        addTeardownBlock { Posix.closeQuietly(fds[1]) }
        return (fds[0], fds[1])
    }

    func assertClosed(_ writeEnd: Int32, line: UInt = #line) {
        signal(SIGPIPE, SIG_IGN)
        var byte: UInt8 = 1
        XCTAssertEqual(write(writeEnd, &byte, 1), -1, "the attached fd was closed", line: line)
        XCTAssertEqual(errno, EPIPE, line: line)
    }

    func testShortAndLyingHeaders() {
        expect(.malformedFrame("3 bytes is shorter than a header")) { try self.assemble([0, 1, 2], .helperToDNS) }
        expect(.malformedFrame("header says 5 bytes, 0 arrived")) {
            try self.assemble(self.header(130, length: 5), .helperToDNS)
        }
        expect(.malformedFrame("unknown flags 2")) {
            try self.assemble(self.header(130, flags: 2, length: 0), .helperToDNS)
        }
    }

    func testUnknownKindAndWrongDirection() {
        expect(.unknownKind(999)) { try self.assemble(self.header(999, length: 0), .helperToDNS) }
        // The DNS worker may not send pause: the direction itself does not carry it.
        expect(.unexpectedKind(.pause, .dnsToHelper)) {
            try self.assemble(self.header(MessageKind.pause.rawValue, length: 4) + [0, 0, 0, 1], .dnsToHelper)
        }
        // A proxy listener never goes to the DNS worker.
        expect(.unexpectedKind(.proxyListener4, .helperToDNS)) {
            try self.assemble(self.header(MessageKind.proxyListener4.rawValue, length: 0), .helperToDNS)
        }
        // The status journal goes to the broker only.
        expect(.unexpectedKind(.statusJournal, .helperToDNS)) {
            try self.assemble(self.header(MessageKind.statusJournal.rawValue, length: 0), .helperToDNS)
        }
        // Broker vocabulary on the helper link.
        expect(.unexpectedKind(.setView, .proxyToHelper)) {
            try self.assemble(self.header(MessageKind.setView.rawValue, length: 0), .proxyToHelper)
        }
    }

    func testOversizedPayloads() {
        // A reason past the per-kind limit is refused from the header alone.
        let limit = MessageKind.pause.maxLength
        let big = [UInt8](repeating: 0x61, count: limit + 1)
        expect(.oversized(.pause, length: limit + 1, limit: limit)) {
            try self.assemble(self.header(MessageKind.pause.rawValue, length: big.count) + big, .proxyToHelper)
        }
        // A kind that fits one fragment may not claim continuation.
        expect(.badFragment("\(MessageKind.reportError) continues after 3 bytes")) {
            try self.assemble(
                self.header(MessageKind.reportError.rawValue, flags: 1, length: 3) + [0, 0, 0], .proxyToHelper)
        }
        // Fragments adding up past the limit are cut off at the fragment that crosses it.
        var assembler = FrameAssembler(direction: .brokerToDNS)
        let fragment = [UInt8](repeating: 0, count: IPCLimits.fragmentPayload)
        let kind = MessageKind.setFallbackUsers
        var failed: IPCError? = nil
        for _ in 0...(kind.maxLength / IPCLimits.fragmentPayload + 1) {
            do {
                _ = try assembler.add(
                    ReceivedMessage(
                        bytes: header(kind.rawValue, flags: 1, length: fragment.count) + fragment, fds: []))
            } catch {
                failed = error as? IPCError
                break
            }
        }
        guard case .oversized(.setFallbackUsers, _, kind.maxLength) = failed else {
            return XCTFail("expected oversized, got \(String(describing: failed))")
        }
    }

    func testFragmentKindChangeAndFDsOnContinuation() throws {
        var assembler = FrameAssembler(direction: .brokerToDNS)
        let fragment = [UInt8](repeating: 0, count: IPCLimits.fragmentPayload)
        XCTAssertNil(
            try assembler.add(
                ReceivedMessage(
                    bytes: header(MessageKind.setView.rawValue, flags: 1, length: fragment.count) + fragment, fds: [])))
        XCTAssertThrowsError(
            try assembler.add(ReceivedMessage(bytes: header(MessageKind.flushCache.rawValue, length: 0), fds: []))
        ) { XCTAssertEqual($0 as? IPCError, .badFragment("\(MessageKind.flushCache) inside \(MessageKind.setView)")) }

        var again = FrameAssembler(direction: .brokerToDNS)
        _ = try again.add(
            ReceivedMessage(
                bytes: header(MessageKind.setView.rawValue, flags: 1, length: fragment.count) + fragment, fds: []))
        let (readEnd, writeEnd) = try probePipe()
        XCTAssertThrowsError(
            try again.add(ReceivedMessage(bytes: header(MessageKind.setView.rawValue, length: 0), fds: [readEnd]))
        ) { XCTAssertEqual($0 as? IPCError, .badFragment("fds on a continuation of \(MessageKind.setView)")) }
        assertClosed(writeEnd)
    }

    func testUnexpectedAndMissingFDs() throws {
        // An fd on a kind that carries none: refused, and the fd closed.
        let (readEnd, writeEnd) = try probePipe()
        expect(.wrongFDCount(.ready, expected: 0, got: 1)) {
            try self.assemble(self.header(MessageKind.ready.rawValue, length: 0), fds: [readEnd], .dnsToHelper)
        }
        assertClosed(writeEnd)
        // A listener message without its fd: the frame assembles, decoding refuses it.
        let frame = try XCTUnwrap(assemble(header(MessageKind.dnsUDP4.rawValue, length: 0), .helperToDNS))
        expect(.wrongFDCount(.dnsUDP4, expected: 1, got: 0)) { try HelperToDNS(frame: frame) }
        // The status journal without its fd, and with bytes it never carries.
        let journal = try XCTUnwrap(assemble(header(MessageKind.statusJournal.rawValue, length: 0), .helperToProxy))
        expect(.wrongFDCount(.statusJournal, expected: 1, got: 0)) { try HelperToProxy(frame: journal) }
        expect(.oversized(.statusJournal, length: 1, limit: 0)) {
            try HelperToProxy(frame: Frame(kind: .statusJournal, payload: [1]))
        }
        // Two fds where one belongs.
        let (r1, w1) = try probePipe()
        let (r2, w2) = try probePipe()
        expect(.wrongFDCount(.logFile, expected: 1, got: 2)) {
            try HelperToProxy(frame: Frame(kind: .logFile, fds: [r1, r2]))
        }
        assertClosed(w1)
        assertClosed(w2)
    }

    func testWrongLengthsInsidePayloads() {
        // resume carries exactly a u32 id.
        expect(.truncated(.resume, field: "id")) { try ProxyToHelper(frame: Frame(kind: .resume, payload: [0, 0])) }
        // One byte more than a resume can hold is refused by length before decoding...
        expect(.oversized(.resume, length: 5, limit: 4)) {
            try ProxyToHelper(frame: Frame(kind: .resume, payload: [0, 0, 0, 1, 9]))
        }
        // ...and a byte left after the last field of a variable-length kind by the decoder.
        expect(.trailingBytes(.reportError, count: 1)) {
            try DNSToHelper(frame: Frame(kind: .reportError, payload: [0, 0, 0, 1, 0x61, 9]))
        }
        // A string length running past the end.
        expect(.truncated(.reportError, field: "text")) {
            try DNSToHelper(frame: Frame(kind: .reportError, payload: [0, 0, 0, 9, 0x61]))
        }
        // A string longer than its field's limit, though within the kind's.
        var w = IPCWriter()
        w.u32(1)
        w.u32(UInt32(IPCLimits.maxReason + 1))
        expect(.invalidField(.pause, field: "reason length \(IPCLimits.maxReason + 1)")) {
            try ProxyToHelper(frame: Frame(kind: .pause, payload: w.bytes))
        }
        // Invalid UTF-8.
        expect(.invalidField(.reportError, field: "text (not UTF-8)")) {
            try DNSToHelper(frame: Frame(kind: .reportError, payload: [0, 0, 0, 2, 0xC3, 0x28]))
        }
        // A list count that the payload cannot hold.
        expect(.invalidField(.setFallbackUsers, field: "uids count 1000")) {
            try BrokerToDNS(frame: Frame(kind: .setFallbackUsers, payload: [0, 0, 0x03, 0xE8, 0, 0, 0, 1]))
        }
        // A bool that is neither 0 nor 1, a bad address family, a zero port.
        let noLink: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0]
        expect(.invalidField(.requestResult, field: "succeeded")) {
            try HelperToDNS(frame: Frame(kind: .requestResult, payload: [0, 0, 0, 1, 2, 0, 0, 0, 0]))
        }
        expect(.invalidField(.upstreamServers, field: "server family")) {
            try HelperToDNS(frame: Frame(kind: .upstreamServers, payload: [0, 0, 0, 1, 5, 1, 2, 3, 4, 0, 53] + noLink))
        }
        expect(.invalidField(.upstreamServers, field: "port")) {
            try HelperToDNS(frame: Frame(kind: .upstreamServers, payload: [0, 0, 0, 1, 4, 1, 2, 3, 4, 0, 0] + noLink))
        }
        // A link (interface) belongs to an IPv6 server and has both an index and a name.
        let eth0: [UInt8] = [0, 0, 0, 4] + Array("eth0".utf8)
        expect(.invalidField(.upstreamServers, field: "link")) {
            try HelperToDNS(
                frame: Frame(kind: .upstreamServers, payload: [0, 0, 0, 1, 4, 1, 2, 3, 4, 0, 53, 0, 0, 0, 2] + eth0))
        }
        let fe80: [UInt8] = [6, 0xfe, 0x80] + [UInt8](repeating: 0, count: 13) + [1, 0, 53]
        expect(.invalidField(.upstreamServers, field: "link")) {
            try HelperToDNS(frame: Frame(kind: .upstreamServers, payload: [0, 0, 0, 1] + fe80 + [0, 0, 0, 0] + eth0))
        }
        expect(.invalidField(.upstreamServers, field: "link")) {
            try HelperToDNS(
                frame: Frame(kind: .upstreamServers, payload: [0, 0, 0, 1] + fe80 + [0, 0, 0, 2] + noLink))
        }
        let longName = "averylonginterfacename"
        XCTAssertThrowsError(
            try HelperToDNS(
                frame: Frame(
                    kind: .upstreamServers,
                    payload: [0, 0, 0, 1] + fe80 + [0, 0, 0, 2, 0, 0, 0, UInt8(longName.utf8.count)]
                        + Array(longName.utf8))
            ))
        expect(.invalidField(.counters, field: "fieldCount")) {
            try DNSToBroker(frame: Frame(kind: .counters, payload: [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]))
        }
        // Per-upstream failures: too many, a label too long, one label twice, cut short.
        let scalars: [UInt8] = [0, 0, 0, 14] + [UInt8](repeating: 0, count: 14 * 8)
        func upstream(_ label: String) -> [UInt8] {
            [0, 0, 0, UInt8(label.utf8.count)] + Array(label.utf8) + [0, 0, 0, 0, 0, 0, 0, 1]
        }
        let many = (0...IPCLimits.maxUpstreams).flatMap { upstream("10.0.0.\($0):53") }
        expect(.invalidField(.counters, field: "upstreams count 33")) {
            try DNSToBroker(frame: Frame(kind: .counters, payload: scalars + [0, 0, 0, 33] + many))
        }
        expect(.invalidField(.counters, field: "upstream length 65")) {
            try DNSToBroker(
                frame: Frame(
                    kind: .counters, payload: scalars + [0, 0, 0, 1] + upstream(String(repeating: "a", count: 65))))
        }
        expect(.invalidField(.counters, field: "upstream 10.0.0.1:53 repeated")) {
            try DNSToBroker(
                frame: Frame(
                    kind: .counters,
                    payload: scalars + [0, 0, 0, 2] + upstream("10.0.0.1:53") + upstream("10.0.0.1:53")))
        }
        XCTAssertThrowsError(try DNSToBroker(frame: Frame(kind: .counters, payload: scalars)), "no upstream count")
    }

    func testEveryDirectionKnowsItsKinds() {
        // Each kind belongs to exactly the directions the vocabulary says, and every kind is used.
        var used = Set<MessageKind>()
        for d in Direction.allCases { used.formUnion(d.kinds) }
        XCTAssertEqual(used, Set(MessageKind.allCases))
        XCTAssertEqual(Direction.dnsToHelper.kinds, [.ready, .reportError])
        for kind in MessageKind.allCases where kind.fdCount > 0 { XCTAssertEqual(kind.maxLength, 0, "\(kind)") }
    }
}
