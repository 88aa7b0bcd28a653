import AgentConfig
import Glibc
import PrivSep
import XCTest

@testable import AgentIPC

/// Every message of every direction survives encode → SEQPACKET fragments → assemble → decode,
/// over a real socketpair, fds included.
final class MessageRoundTripTests: XCTestCase {
    var a: Int32 = -1
    var b: Int32 = -1

    override func setUpWithError() throws {
        (a, b) = try Posix.socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue))
    }

    override func tearDown() {
        Posix.closeQuietly(a)
        Posix.closeQuietly(b)
    }

    /// A fresh fd to attach (a pipe's read end); the test closes what it gets back.
    func someFD() throws -> Int32 {
        var fds: [Int32] = [-1, -1]
        try Posix.call("pipe") { pipe(&fds) }
        Posix.closeQuietly(fds[1])
        return fds[0]
    }

    func roundTrip<M: IPCMessage & Equatable>(_ message: M, file: StaticString = #filePath, line: UInt = #line) throws
        -> M
    {
        let sender = IPCLink(fd: a, inbound: .dnsToBroker)
        let receiver = IPCLink(fd: b, inbound: M.direction)
        try sender.send(message)
        let back = try receiver.receive(M.self)
        let sent = message.frame()
        let got = back.frame()
        XCTAssertEqual(got.kind, sent.kind, file: file, line: line)
        XCTAssertEqual(got.payload, sent.payload, file: file, line: line)
        XCTAssertEqual(got.fds.count, sent.fds.count, file: file, line: line)
        for fd in got.fds {
            XCTAssertFalse(sent.fds.contains(fd), "a received fd is a new descriptor", file: file, line: line)
            Posix.closeQuietly(fd)
        }
        for fd in sent.fds { Posix.closeQuietly(fd) }
        if sent.fds.isEmpty { XCTAssertEqual(back, message, file: file, line: line) }
        return back
    }

    let upstreams = [
        UpstreamServer(address: .v4(IPv4Address(192, 0, 2, 53))),
        UpstreamServer(address: .v6(IPv6Address(high: 0xfd00_0000_0000_0000, low: 0x53)), port: 5353),
        UpstreamServer(
            address: .v6(IPv6Address(high: 0xfe80_0000_0000_0000, low: 1)), link: .init(index: 2, name: "enp0s31f6")),
    ]

    func testHelperToDNS() throws {
        let messages: [HelperToDNS] = try [
            .configText("log_level = \"debug\"\n# é\n"), .upstreamServers(upstreams), .upstreamServers([]),
            .logFile(someFD()), .peerLink(someFD()), .listener(.udp4, someFD()), .listener(.tcp4, someFD()),
            .listener(.udp6, someFD()), .listener(.tcp6, someFD()), .bootstrapEnd, .reloadBegin, .reloadEnd,
            .shutdown, .requestResult(RequestResult(id: 7, succeeded: false, message: "no")),
        ]
        for m in messages {
            let back = try roundTrip(m)
            if case .listener(let slot, _) = m, case .listener(let backSlot, _) = back {
                XCTAssertEqual(slot, backSlot)
            }
        }
    }

    func testHelperToProxy() throws {
        let messages: [HelperToProxy] = try [
            .configText(""), .upstreamServers(upstreams), .logFile(someFD()), .peerLink(someFD()),
            .statusJournal(someFD()), .listener(.proxy4, someFD()), .listener(.proxy6, someFD()),
            .listener(.apiUnix, someFD()),
            .listener(.apiTCP, someFD()), .bootstrapEnd, .reloadBegin, .reloadEnd, .shutdown,
            .requestResult(RequestResult(id: UInt32.max, succeeded: true, message: "{\"a\":1}")),
        ]
        for m in messages {
            let back = try roundTrip(m)
            if case .listener(let slot, _) = m, case .listener(let backSlot, _) = back {
                XCTAssertEqual(slot, backSlot)
            }
        }
    }

    func testWorkerToHelper() throws {
        for m: DNSToHelper in [.ready, .reportError("upstream 192.0.2.53 timed out")] { _ = try roundTrip(m) }
        let proxy: [ProxyToHelper] = [
            .ready, .pause(id: 1, reason: "user alice asked"), .resume(id: 2), .reportError("x"),
            .restoreResolver(id: 3), .status(id: 4),
        ]
        for m in proxy { _ = try roundTrip(m) }
    }

    func testBrokerAndDNS() throws {
        let entries = (0..<3).map {
            AliasEntry(
                alias: "db\($0).corp", ipv4: IPv4Address(100, 64, 0, UInt8(10 + $0)),
                ipv6: IPv6Address(high: 0xfd5b_c1a6_e7a0_0000, low: UInt64(10 + $0)))
        }
        let toDNS: [BrokerToDNS] = [
            .setView(uid: 1000, entries: entries), .setView(uid: 1001, entries: []), .setFallbackUsers([1002, 1003]),
            .setFallbackUsers([]),
            .resolveResult(
                requestID: 9, uid: 1002, name: "pg.corp", ipv4: IPv4Address(100, 64, 0, 9), ipv6: nil),
            .resolveResult(requestID: 10, uid: 1002, name: "nothing.corp", ipv4: nil, ipv6: nil), .flushCache,
        ]
        for m in toDNS { _ = try roundTrip(m) }
        var counters = DNSCounters()
        counters.queries = 12
        counters.tcpConnections = UInt64.max
        var failing = counters
        failing.failuresByUpstream = ["127.0.0.2:53": 3, "[fd00::53]:5353": 0]
        var most = DNSCounters()
        for i in 0..<IPCLimits.maxUpstreams {
            most.failuresByUpstream["[fd00:ffff:ffff:ffff:ffff:ffff:ffff:\(i)]:65535"] = UInt64.max - UInt64(i)
        }
        let toBroker: [DNSToBroker] = [
            .aliasQueried(uid: unknownUID, alias: "db.corp"),
            .resolveRequest(requestID: 1 << 40, uid: 1002, name: "x.corp"),
            .counters(counters), .counters(failing), .counters(most),
        ]
        for m in toBroker { _ = try roundTrip(m) }
    }

    /// A view big enough to need many fragments arrives whole and equal.
    func testLargeViewIsFragmentedAndReassembled() throws {
        let entries = (0..<5000).map {
            AliasEntry(
                alias: "host-\($0).some-long-domain-name.example.corp",
                ipv4: IPv4Address(value: 0x6440_0000 + UInt32($0)),
                ipv6: IPv6Address(high: 0xfd5b_c1a6_e7a0_0000, low: UInt64($0)))
        }
        let message = BrokerToDNS.setView(uid: 1000, entries: entries)
        XCTAssertGreaterThan(message.frame().fragments().count, 10)
        // The sender blocks once the socket buffer is full, so it needs its own thread.
        let sender = IPCLink(fd: a, inbound: .dnsToBroker)
        let thread = Thread { try? sender.send(message) }
        thread.start()
        let back = try IPCLink(fd: b, inbound: .brokerToDNS).receive(BrokerToDNS.self)
        XCTAssertEqual(back, message)
    }

    /// One user with 100,000 aliases (the benchmark's scale case) fits one setView.
    func testHundredThousandAliasViewFits() throws {
        let entries = (0..<100_000).map {
            AliasEntry(
                alias: "s0-\($0).scale.test", ipv4: IPv4Address(value: 0x6440_0000 + UInt32($0)),
                ipv6: IPv6Address(high: 0xfd5b_c1a6_e7a0_0000, low: UInt64($0)))
        }
        let message = BrokerToDNS.setView(uid: 1000, entries: entries)
        var assembler = FrameAssembler(direction: .brokerToDNS)
        var frame: Frame?
        for bytes in message.frame().fragments() {
            XCTAssertNil(frame, "only the last fragment completes the frame")
            frame = try assembler.add(ReceivedMessage(bytes: bytes, fds: []))
        }
        XCTAssertEqual(try BrokerToDNS(frame: try XCTUnwrap(frame)), message)
    }
}
