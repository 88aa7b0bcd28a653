import AgentConfig
import DNSCodec
import Foundation
import Glibc
import Logging
import NIOCore
import NIOPosix
import XCTest

@testable import DNSService

/// The real server on loopback ephemeral ports, asked by real kernel sockets. The "upstream" is a second
/// real DNSServer that answers its own alias view to everybody (its `unionUIDs` has our uid).
final class LiveServerTests: XCTestCase {
    var group: MultiThreadedEventLoopGroup!
    var servers: [DNSServer] = []
    let me = getuid()
    var loopback4: SocketAddress { get throws { try SocketAddress(ipAddress: "127.0.0.1", port: 0) } }
    var loopback6: SocketAddress { get throws { try SocketAddress(ipAddress: "::1", port: 0) } }

    override func setUp() {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    override func tearDown() {
        for server in servers { try? server.close().wait() }
        servers = []
        try? group.syncShutdownGracefully()
    }

    final class RecordingDelegate: DNSServerDelegate, @unchecked Sendable {
        var aliasReports: [(UInt32, String)] = []
        var requests: [(UInt64, UInt32, String)] = []
        var answer: ((UInt64, UInt32, String) -> Void)?
        func aliasQueried(uid: UInt32, alias: String) { aliasReports.append((uid, alias)) }
        func resolveRequest(requestID: UInt64, uid: UInt32, name: String) {
            requests.append((requestID, uid, name))
            answer?(requestID, uid, name)
        }
    }

    func start(
        _ configuration: DNSServerConfiguration = DNSServerConfiguration(), delegate: DNSServerDelegate? = nil,
        v6: Bool = false
    ) throws -> DNSServer {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let addresses = v6 ? [try loopback4, try loopback6] : [try loopback4]
        let server = try DNSServer.start(
            group: group, udpAddresses: addresses, tcpAddresses: addresses, configuration: configuration,
            delegate: delegate, logger: logger
        ).wait()
        servers.append(server)
        return server
    }

    /// An upstream answering `names` for everybody.
    func startUpstream(_ names: [String: String]) throws -> DNSServer {
        let upstream = try start(DNSServerConfiguration(cacheSize: 0, unionUIDs: [me]))
        upstream.setView(
            uid: 4_000_000, entries: names.map { AliasEntry(name: $0.key, ipv4: IPv4Address($0.value), ipv6: nil) })
        try settle(upstream)
        return upstream
    }

    func settle(_ server: DNSServer) throws {
        _ = try server.counters().wait()  // everything queued on the loop before this has run
    }

    func testAliasAnswersForTheViewOwnerOverUDPAndTCPv4AndV6() throws {
        let delegate = RecordingDelegate()
        let server = try start(delegate: delegate, v6: true)
        server.setView(
            uid: me,
            entries: [
                AliasEntry(name: "Web.Boundary.Dev.", ipv4: IPv4Address(100, 64, 0, 5), ipv6: IPv6Address("fd5b::5"))
            ])
        try settle(server)
        for address in server.udpAddresses {
            let a = TestClient.parse(TestClient.udp(try TestClient.query("web.BOUNDARY.dev"), to: address))
            XCTAssertEqual(a?.answers.first?.data, .a(IPv4Address(100, 64, 0, 5)), "\(address)")
            XCTAssertEqual(a?.header.isAuthoritative, true)
            XCTAssertEqual(a?.answers.first?.ttl, 5)
            XCTAssertEqual(a?.questions.first?.name.description, "web.BOUNDARY.dev.")
            let aaaa = TestClient.parse(
                TestClient.udp(try TestClient.query("web.boundary.dev", .aaaa, edns: EDNS()), to: address))
            XCTAssertEqual(aaaa?.answers.first?.data, .aaaa(IPv6Address("fd5b::5")!))
            XCTAssertNotNil(aaaa?.edns)
            let txt = TestClient.parse(TestClient.udp(try TestClient.query("web.boundary.dev", .txt), to: address))
            XCTAssertEqual(txt?.responseCode, .noError)
            XCTAssertEqual(txt?.answers.count, 0)
            XCTAssertEqual(txt?.authorities.first?.type, .soa)
        }
        for address in server.tcpAddresses {
            let a = TestClient.parse(TestClient.tcp(try TestClient.query("web.boundary.dev"), to: address))
            XCTAssertEqual(a?.answers.first?.data, .a(IPv4Address(100, 64, 0, 5)), "\(address)")
        }
        try settle(server)
        XCTAssertEqual(delegate.aliasReports.first?.0, me)
        XCTAssertEqual(delegate.aliasReports.first?.1, "Web.Boundary.Dev.")
        let counters = try server.counters().wait()
        XCTAssertEqual(counters.aliasAnswers, 8)
    }

    func testAnotherUsersAliasIsForwardedAndTheCacheServesRepeats() throws {
        let upstream = try startUpstream(["web.boundary.dev": "192.0.2.99", "other.test": "192.0.2.7"])
        let server = try start(DNSServerConfiguration(upstreams: upstream.udpAddresses))
        server.setView(
            uid: me &+ 1, entries: [AliasEntry(name: "web.boundary.dev", ipv4: IPv4Address(100, 64, 0, 5), ipv6: nil)])
        try settle(server)
        let address = server.udpAddresses[0]
        let first = TestClient.parse(TestClient.udp(try TestClient.query("web.boundary.dev"), to: address))
        XCTAssertEqual(first?.answers.first?.data, .a(IPv4Address(192, 0, 2, 99)))
        XCTAssertEqual(first?.header.id, 0x4242)
        let second = TestClient.parse(TestClient.udp(try TestClient.query("WEB.boundary.dev", id: 7), to: address))
        XCTAssertEqual(second?.answers.first?.data, .a(IPv4Address(192, 0, 2, 99)))
        XCTAssertEqual(second?.header.id, 7)
        XCTAssertEqual(second?.questions.first?.name.description, "WEB.boundary.dev.")
        let overTCP = TestClient.parse(TestClient.tcp(try TestClient.query("other.test"), to: server.tcpAddresses[0]))
        XCTAssertEqual(overTCP?.answers.first?.data, .a(IPv4Address(192, 0, 2, 7)))
        let counters = try server.counters().wait()
        XCTAssertEqual(counters.forwarded, 2)
        XCTAssertEqual(counters.cacheHits, 1)
        XCTAssertEqual(counters.aliasAnswers, 0)
        // A view change flushes the cache. (settle: setView only queues the change on the server's loop,
        // which may read the next datagram first; it once did, and the query was a cache hit.)
        server.setView(uid: me &+ 1, entries: [])
        try settle(server)
        _ = TestClient.udp(try TestClient.query("web.boundary.dev"), to: address)
        XCTAssertEqual(try server.counters().wait().forwarded, 3)
    }

    /// A cache hit is the stored answer with the asker's ID, question case, RD bit and EDNS, and TTLs
    /// aged by the time it was kept.
    func testCacheHitsPatchIDCaseFlagsTTLsAndEDNS() throws {
        let upstream = try startUpstream(["aged.test": "192.0.2.5"])
        let server = try start(DNSServerConfiguration(upstreams: upstream.udpAddresses))
        let address = server.udpAddresses[0]
        let first = TestClient.parse(TestClient.udp(try TestClient.query("aged.test"), to: address))
        XCTAssertEqual(first?.answers.first?.ttl, 5)
        XCTAssertNil(first?.edns)
        usleep(1_100_000)
        var noRecursion = try TestClient.query("AGED.test", id: 10)
        noRecursion[2] &= ~0x01  // RD off
        let plain = TestClient.parse(TestClient.udp(noRecursion, to: address))
        XCTAssertEqual(plain?.header.id, 10)
        XCTAssertEqual(plain?.questions.first?.name.description, "AGED.test.")
        XCTAssertEqual(plain?.answers.first?.data, .a(IPv4Address(192, 0, 2, 5)))
        XCTAssertEqual(plain?.answers.first?.ttl, 4, "aged by the second it was kept")
        XCTAssertEqual(plain?.header.recursionDesired, false, "RD is the asker's")
        XCTAssertTrue(plain?.header.isAuthoritative ?? false, "AA is the upstream's")
        XCTAssertNil(plain?.edns)
        // EDNS without DO shares the entry; the answer gets our OPT.
        let withEDNS = TestClient.parse(
            TestClient.udp(try TestClient.query("aged.test", id: 9, edns: EDNS()), to: address))
        XCTAssertEqual(withEDNS?.header.id, 9)
        XCTAssertEqual(withEDNS?.answers.first?.data, .a(IPv4Address(192, 0, 2, 5)))
        XCTAssertNotNil(withEDNS?.edns)
        XCTAssertEqual(withEDNS?.edns?.dnssecOK, false)
        XCTAssertTrue(withEDNS?.header.recursionDesired ?? false)
        XCTAssertEqual(try server.counters().wait().cacheHits, 2)
    }

    func testFailoverToTheSecondUpstreamAndServfailWhenAllAreDead() throws {
        let upstream = try startUpstream(["www.example.test": "192.0.2.10"])
        let dead = try TestClient.deadAddress()
        let server = try start(
            DNSServerConfiguration(upstreams: [dead, upstream.udpAddresses[0]], requestTimeout: .milliseconds(1500)))
        let answer = TestClient.parse(
            TestClient.udp(try TestClient.query("www.example.test"), to: server.udpAddresses[0]))
        XCTAssertEqual(answer?.answers.first?.data, .a(IPv4Address(192, 0, 2, 10)))
        XCTAssertGreaterThanOrEqual(try server.counters().wait().upstreamFailures["127.0.0.1:\(dead.port!)"] ?? 0, 1)

        // Every upstream dead (closed ports answer with ICMP, so this is fast) and silent (a blackhole
        // would wait for the timeout): SERVFAIL either way, within dns_request_timeout.
        let allDead = try start(
            DNSServerConfiguration(upstreams: [dead, try TestClient.deadAddress()], requestTimeout: .milliseconds(800)))
        let started = NIODeadline.now()
        let failure = TestClient.parse(
            TestClient.udp(try TestClient.query("www.example.test"), to: allDead.udpAddresses[0]))
        XCTAssertEqual(failure?.responseCode, .serverFailure)
        XCTAssertLessThan(NIODeadline.now() - started, .milliseconds(1200))
        XCTAssertEqual(try allDead.counters().wait().serverFailures, 1)
    }

    func testSilentUpstreamTimesOutWithServfail() throws {
        // A UDP socket that reads nothing: queries vanish, so only the timeout can end them.
        let silent = try DatagramBootstrap(group: group).bind(to: try loopback4).wait()
        defer { silent.close(promise: nil) }
        let server = try start(
            DNSServerConfiguration(upstreams: [silent.localAddress!], requestTimeout: .milliseconds(600)))
        let started = NIODeadline.now()
        let failure = TestClient.parse(TestClient.udp(try TestClient.query("x.test"), to: server.udpAddresses[0]))
        let elapsed = NIODeadline.now() - started
        XCTAssertEqual(failure?.responseCode, .serverFailure)
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(550))
        XCTAssertLessThan(elapsed, .milliseconds(1000))
    }

    /// One sender may hold `maxPendingForwardsPerUser` forwards (counted from that many pending on), so
    /// past that its new ones get SERVFAIL at once, long before the global `maxPendingForwards`.
    func testOneSenderCannotHoldEveryPendingForward() throws {
        let silent = try DatagramBootstrap(group: group).bind(to: try loopback4).wait()
        defer { silent.close(promise: nil) }
        let server = try start(
            DNSServerConfiguration(
                upstreams: [silent.localAddress!], requestTimeout: .seconds(3), maxPendingForwards: 8,
                maxPendingForwardsPerUser: 2))
        let address = server.udpAddresses[0]
        let fd = TestClient.socket(for: address, type: Int32(SOCK_DGRAM.rawValue))
        defer { close(fd) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        for i in 0..<6 {
            let query = try TestClient.query("n\(i).test", id: UInt16(i))
            let sent = TestClient.withSockaddr(address) { sa, length in
                query.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, sa, length) }
            }
            XCTAssertEqual(sent, query.count)
        }
        // Two made below the share (not counted), two counted against us, two refused at once; the four
        // waiting ones only time out after 3 s, well after this 1 s read timeout.
        var refused: [UInt16] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while true {
            let received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard received > 0, let answer = TestClient.parse(Array(buffer[0..<received])) else { break }
            XCTAssertEqual(answer.responseCode, .serverFailure)
            refused.append(answer.header.id)
        }
        XCTAssertEqual(refused.sorted(), [4, 5])
        let counters = try server.counters().wait()
        XCTAssertEqual(counters.perUserRefusals, 2)
        XCTAssertEqual(counters.serverFailures, 2)
    }

    /// An upstream that answers every query with an empty NOERROR (not cacheable: no SOA) and notes the
    /// source port each query came from.
    final class PortRecordingUpstream: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        typealias OutboundOut = AddressedEnvelope<ByteBuffer>
        private let lock = NSLock()
        private var recorded: [Int] = []
        var ports: [Int] { lock.withLock { recorded } }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            lock.withLock { recorded.append(envelope.remoteAddress.port ?? -1) }
            var answer = envelope.data
            guard let flags = answer.getInteger(at: answer.readerIndex + 2, as: UInt16.self) else { return }
            answer.setInteger(flags | 0x8080, at: answer.readerIndex + 2)  // QR, RA
            context.writeAndFlush(
                wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: answer)), promise: nil)
        }
    }

    /// Each query to an upstream leaves from one of `upstreamSocketsPerServer` connected sockets; a socket
    /// is replaced by one on a new port after `upstreamSocketUses` queries, or at its first query once it is
    /// older than `upstreamSocketMaxAge` (RFC 5452 §9.2: ports keep changing, also on a quiet machine).
    func testUpstreamSocketsChangePortAfterTheirUsesAndTheirMaxAge() throws {
        let recorder = PortRecordingUpstream()
        let upstream = try DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(recorder) }
            }
            .bind(to: try loopback4).wait()
        defer { upstream.close(promise: nil) }
        let server = try start(
            DNSServerConfiguration(
                upstreams: [upstream.localAddress!], cacheSize: 0, upstreamSocketsPerServer: 1, upstreamSocketUses: 3,
                upstreamSocketMaxAge: .milliseconds(400)))
        func ask(_ name: String) throws {
            let answer = TestClient.parse(TestClient.udp(try TestClient.query(name), to: server.udpAddresses[0]))
            XCTAssertEqual(answer?.responseCode, .noError, name)
        }
        for i in 0..<7 { try ask("uses\(i).test") }
        let byUses = recorder.ports
        XCTAssertEqual(byUses.count, 7)
        // Three on the first port, three on the next, the seventh on a third.
        XCTAssertEqual(Set(byUses[0..<3]).count, 1, "\(byUses)")
        XCTAssertEqual(Set(byUses[3..<6]).count, 1, "\(byUses)")
        XCTAssertEqual(Set(byUses).count, 3, "\(byUses)")
        // The seventh's socket has carried one query: after 400 ms its next query still moves to a new port.
        usleep(600_000)
        try ask("aged.test")
        try ask("aged2.test")
        let afterAge = Array(recorder.ports.dropFirst(7))
        XCTAssertEqual(afterAge.count, 2)
        XCTAssertEqual(afterAge[0], byUses[6], "the aged socket carries the query that finds it aged")
        XCTAssertFalse(Set(byUses).contains(afterAge[1]), "\(recorder.ports)")
    }

    /// IPv4 answers carry DF (so the kernel skips the per-answer IP ID hash); IPv6 listeners are left alone.
    func testIPv4ListenersSetDontFragment() throws {
        let server = try start(v6: true)
        let option = ChannelOptions.Types.SocketOption(
            level: NIOBSDSocket.OptionLevel(rawValue: CInt(IPPROTO_IP)),
            name: NIOBSDSocket.Option(rawValue: CInt(IP_MTU_DISCOVER)))
        let udp4 = server.udpChannels.filter { $0.localAddress?.protocol == .inet }
        XCTAssertEqual(udp4.count, 1)
        for channel in udp4 {
            XCTAssertEqual(try channel.getOption(option).wait(), SocketOptionValue(IP_PMTUDISC_PROBE))
        }
        let answer = TestClient.parse(TestClient.udp(try TestClient.query("x.test"), to: server.udpAddresses[0]))
        XCTAssertEqual(answer?.responseCode, .serverFailure, "no upstream: still answers")
    }

    func testNoUpstreamGivesServfail() throws {
        let server = try start()
        let failure = TestClient.parse(TestClient.udp(try TestClient.query("x.test"), to: server.udpAddresses[0]))
        XCTAssertEqual(failure?.responseCode, .serverFailure)
    }

    func testFallbackUserAsksTheBroker() throws {
        let upstream = try startUpstream(["plain.test": "192.0.2.1"])
        let delegate = RecordingDelegate()
        let server = try start(DNSServerConfiguration(upstreams: upstream.udpAddresses), delegate: delegate)
        delegate.answer = { [weak server] id, uid, name in
            // The broker's addresses are the agent's (AgentConfig) type; AliasEntry converts from the codec's.
            let entry = AliasEntry(name: name, ipv4: name == "db.corp" ? IPv4Address(100, 64, 0, 9) : nil, ipv6: nil)
            server?.resolveResult(requestID: id, uid: uid, name: name, ipv4: entry.ipv4, ipv6: entry.ipv6)
        }
        server.setFallbackUsers([me])
        try settle(server)
        let alias = TestClient.parse(TestClient.udp(try TestClient.query("DB.corp"), to: server.udpAddresses[0]))
        XCTAssertEqual(alias?.answers.first?.data, .a(IPv4Address(100, 64, 0, 9)))
        let plain = TestClient.parse(TestClient.udp(try TestClient.query("plain.test"), to: server.udpAddresses[0]))
        XCTAssertEqual(plain?.answers.first?.data, .a(IPv4Address(192, 0, 2, 1)))
        try settle(server)
        XCTAssertEqual(delegate.requests.map { $0.2 }, ["db.corp", "plain.test"])
        XCTAssertEqual(delegate.requests.first?.1, me)
        XCTAssertEqual(delegate.aliasReports.first?.1, "db.corp")
    }

    func testBrokerSilenceFallsBackToForwarding() throws {
        let upstream = try startUpstream(["plain.test": "192.0.2.1"])
        let delegate = RecordingDelegate()  // never answers
        let server = try start(
            DNSServerConfiguration(upstreams: upstream.udpAddresses, requestTimeout: .milliseconds(800)),
            delegate: delegate)
        server.setFallbackUsers([me])
        try settle(server)
        let plain = TestClient.parse(TestClient.udp(try TestClient.query("plain.test"), to: server.udpAddresses[0]))
        XCTAssertEqual(plain?.answers.first?.data, .a(IPv4Address(192, 0, 2, 1)))
    }

    func testTCPPipeliningMalformedFramesAndIdleTimeout() throws {
        var configuration = DNSServerConfiguration()
        configuration.tcpIdleTimeout = .milliseconds(300)
        let server = try start(configuration)
        server.setView(uid: me, entries: [AliasEntry(name: "a.test", ipv4: IPv4Address(100, 64, 0, 1), ipv6: nil)])
        try settle(server)
        guard let fd = TestClient.connectTCP(server.tcpAddresses[0]) else { return XCTFail("connect") }
        defer { close(fd) }
        // Three queries in one write, one of them garbage with a readable header.
        let garbage: [UInt8] = [0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 63]
        TestClient.sendFramed(
            fd, [try TestClient.query("a.test", id: 1), garbage, try TestClient.query("a.test", .aaaa, id: 3)])
        var ids: [UInt16: DNSResponseCode] = [:]
        for _ in 0..<3 {
            guard let answer = TestClient.parse(TestClient.readFramed(fd)) else { return XCTFail("no answer") }
            ids[answer.header.id] = answer.responseCode
        }
        XCTAssertEqual(ids, [1: .noError, 9: .formatError, 3: .noError])
        // Idle: the server closes the connection.
        let started = NIODeadline.now()
        XCTAssertNil(TestClient.readFramed(fd))
        XCTAssertLessThan(NIODeadline.now() - started, .seconds(2))
    }

    func testTCPConnectionCap() throws {
        var configuration = DNSServerConfiguration()
        configuration.maxTCPConnections = 2
        let server = try start(configuration)
        let fds = (0..<3).compactMap { _ in TestClient.connectTCP(server.tcpAddresses[0]) }
        defer { fds.forEach { close($0) } }
        XCTAssertEqual(fds.count, 3)
        try settle(server)
        // The third was closed at once: a query on it gets nothing.
        TestClient.sendFramed(fds[2], [try TestClient.query("x.test")])
        XCTAssertNil(TestClient.readFramed(fds[2]))
        TestClient.sendFramed(fds[0], [try TestClient.query("x.test")])
        XCTAssertEqual(TestClient.parse(TestClient.readFramed(fds[0]))?.responseCode, .serverFailure)
    }

    func testMalformedUDPIsAnsweredOrDroppedAndServingGoesOn() throws {
        let server = try start()
        server.setView(uid: me, entries: [AliasEntry(name: "a.test", ipv4: IPv4Address(100, 64, 0, 1), ipv6: nil)])
        try settle(server)
        let address = server.udpAddresses[0]
        XCTAssertNil(TestClient.udp([1, 2, 3], to: address, timeoutSeconds: 1))  // no header: dropped
        let formerr = TestClient.parse(
            TestClient.udp([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1], to: address))
        XCTAssertEqual(formerr?.responseCode, .formatError)
        XCTAssertEqual(formerr?.header.id, 7)
        let ok = TestClient.parse(TestClient.udp(try TestClient.query("a.test"), to: address))
        XCTAssertEqual(ok?.answers.count, 1)
    }

    /// A query of `size` bytes for `name`: EDNS padding (option 12, RFC 7830) makes up the length.
    func paddedQuery(_ name: String, size: Int) throws -> [UInt8] {
        let bare = try TestClient.query(name, edns: EDNS(options: [EDNSOption(code: 12, data: [])]))
        let query = try TestClient.query(
            name, edns: EDNS(options: [EDNSOption(code: 12, data: [UInt8](repeating: 0, count: size - bare.count))]))
        XCTAssertEqual(query.count, size)
        return query
    }

    /// Every UDP query up to `queryDatagramRoom` is read whole (NIO's default receive buffer gave each one
    /// 128 bytes, and a longer one came back FORMERR); a longer one may have been cut, so it gets TC with its
    /// question, and over TCP the same query is answered.
    func testLongQueriesAreReadWholeAndLongerOnesAreSentToTCP() throws {
        let server = try start()
        let name = String(repeating: "n", count: 60) + "." + String(repeating: "m", count: 60) + ".test"
        server.setView(uid: me, entries: [AliasEntry(name: name, ipv4: IPv4Address(100, 64, 0, 3), ipv6: nil)])
        try settle(server)
        let address = server.udpAddresses[0]
        for size in [200, 1500, DNSServer.queryDatagramRoom - 1] {
            let answer = TestClient.parse(TestClient.udp(try paddedQuery(name, size: size), to: address))
            XCTAssertEqual(answer?.responseCode, .noError, "\(size) bytes")
            XCTAssertEqual(answer?.answers.first?.data, .a(IPv4Address(100, 64, 0, 3)), "\(size) bytes")
        }
        for size in [DNSServer.queryDatagramRoom, 6000] {
            let query = try paddedQuery(name, size: size)
            let cut = TestClient.parse(TestClient.udp(query, to: address))
            XCTAssertEqual(cut?.header.isTruncated, true, "\(size) bytes")
            XCTAssertEqual(cut?.responseCode, .noError)
            XCTAssertEqual(cut?.header.id, 0x4242)
            XCTAssertEqual(cut?.questions.first?.name.description, name + ".")
            XCTAssertEqual(cut?.answers.count, 0)
            let whole = TestClient.parse(TestClient.tcp(query, to: server.tcpAddresses[0]))
            XCTAssertEqual(whole?.answers.first?.data, .a(IPv4Address(100, 64, 0, 3)), "\(size) bytes over TCP")
        }
        let counters = try server.counters().wait()
        XCTAssertEqual(counters.truncatedAnswers, 2)
        XCTAssertEqual(counters.formatErrors, 0)
        XCTAssertEqual(counters.aliasAnswers, 5)
    }

    /// An upstream that answers `nN.test` with N A records, over UDP whatever their size (as if the client
    /// had allowed it), and over TCP; it notes each question and how it came.
    final class RecordCountUpstream: @unchecked Sendable {
        private let lock = NSLock()
        private var seen: [String] = []
        var queries: [String] { lock.withLock { seen } }

        func answer(to query: ByteBuffer, transport: String) -> ByteBuffer? {
            guard let message = try? DNSMessage.read(from: query), let question = message.questions.first,
                let count = Int(question.name.description.dropFirst().prefix { $0 != "." })
            else { return nil }
            lock.withLock { seen.append("\(transport) \(question.name)") }
            var header = message.header
            header.isResponse = true
            let records = (0..<count).map {
                ResourceRecord(name: question.name, ttl: 60, data: .a(IPv4Address(value: 0xC000_0200 + UInt32($0))))
            }
            var out = ByteBuffer()
            try? DNSMessage(header: header, questions: [question], answers: records).write(to: &out)
            return out
        }

        final class UDP: ChannelInboundHandler, @unchecked Sendable {
            typealias InboundIn = AddressedEnvelope<ByteBuffer>
            typealias OutboundOut = AddressedEnvelope<ByteBuffer>
            let upstream: RecordCountUpstream
            init(_ upstream: RecordCountUpstream) { self.upstream = upstream }
            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                let envelope = unwrapInboundIn(data)
                guard let out = upstream.answer(to: envelope.data, transport: "udp") else { return }
                context.writeAndFlush(
                    wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: out)), promise: nil)
            }
        }

        final class TCP: ChannelInboundHandler, @unchecked Sendable {
            typealias InboundIn = ByteBuffer
            typealias OutboundOut = ByteBuffer
            let upstream: RecordCountUpstream
            init(_ upstream: RecordCountUpstream) { self.upstream = upstream }
            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                guard let out = upstream.answer(to: unwrapInboundIn(data), transport: "tcp") else { return }
                var framed = ByteBuffer()
                framed.writeInteger(UInt16(out.readableBytes))
                framed.writeImmutableBuffer(out)
                context.writeAndFlush(wrapOutboundOut(framed), promise: nil)
            }
        }
    }

    /// Upstream answers up to `answerDatagramRoom` arrive whole over UDP (with NIO's default receive buffer
    /// each one had 256 bytes: a 500-byte answer was malformed, then SERVFAIL after the timeout); a longer
    /// one may have been cut, so the question is asked again over TCP and the client gets every record.
    func testLongUpstreamAnswersArriveWholeAndLongerOnesComeOverTCP() throws {
        let recorder = RecordCountUpstream()
        let udp = try DatagramBootstrap(group: group)
            .channelOption(ChannelOptions.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 8192))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RecordCountUpstream.UDP(recorder))
                }
            }
            .bind(to: try loopback4).wait()
        defer { udp.close(promise: nil) }
        let tcp = try ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(DNSTCPFrameDecoder()), RecordCountUpstream.TCP(recorder),
                    ])
                }
            }
            .bind(to: udp.localAddress!).wait()
        defer { tcp.close(promise: nil) }
        let server = try start(DNSServerConfiguration(upstreams: [udp.localAddress!], cacheSize: 0))
        let address = server.udpAddresses[0]
        let big = EDNS(udpPayloadSize: 65000)
        // 30 records ≈ 500 bytes, 240 ≈ 3,900: under the room. 300 ≈ 4,800: over it.
        for count in [30, 240, 300] {
            let answer = TestClient.parse(
                TestClient.udp(try TestClient.query("n\(count).test", edns: big), to: address))
            XCTAssertEqual(answer?.responseCode, .noError, "\(count) records")
            XCTAssertEqual(answer?.header.isTruncated, false)
            XCTAssertEqual(answer?.answers.count, count, "\(count) records")
            XCTAssertEqual(answer?.answers.last?.data, .a(IPv4Address(value: 0xC000_0200 + UInt32(count - 1))))
        }
        XCTAssertEqual(
            recorder.queries, ["udp n30.test.", "udp n240.test.", "udp n300.test.", "tcp n300.test."])
        let counters = try server.counters().wait()
        XCTAssertEqual(counters.tcpRetries, 1)
        XCTAssertEqual(counters.serverFailures, 0)
        XCTAssertEqual(counters.mismatchedAnswers, 0)
    }
}
