import AgentConfig
import DNSCodec
import Glibc
import Logging
import NIOCore
import NIOEmbedded
import NIOPosix
import XCTest

@testable import DNSService

final class AliasIndexTests: XCTestCase {
    func find(_ index: AliasIndex, _ text: String) throws -> Int32? {
        let name = DNSNameBuffer()
        name.set(try DNSName(text))
        return index.find(name, hash: name.caseInsensitiveHash)
    }

    func testViewsReplaceShareAndRemove() throws {
        var index = AliasIndex()
        let a = IPv4Address(100, 64, 0, 1)
        XCTAssertTrue(
            index.setView(
                uid: 1,
                entries: [
                    AliasEntry(name: "Web.Boundary.Dev.", ipv4: a, ipv6: nil),
                    AliasEntry(name: "db", ipv4: a, ipv6: nil),
                ]
            ).changed)
        XCTAssertFalse(
            index.setView(
                uid: 1,
                entries: [
                    AliasEntry(name: "Web.Boundary.Dev.", ipv4: a, ipv6: nil),
                    AliasEntry(name: "db", ipv4: a, ipv6: nil),
                ]
            ).changed)
        _ = index.setView(uid: 2, entries: [AliasEntry(name: "web.boundary.dev", ipv4: a, ipv6: nil)])
        let web = try XCTUnwrap(try find(index, "WEB.boundary.dev"))
        XCTAssertNotNil(index.owner(of: web, uid: 1))
        XCTAssertNotNil(index.owner(of: web, uid: 2))
        XCTAssertNil(index.owner(of: web, uid: 3))
        XCTAssertEqual(index.nameCount, 2)
        _ = index.setView(uid: 1, entries: [])
        XCTAssertNil(try find(index, "db"))
        let stillWeb = try XCTUnwrap(try find(index, "web.boundary.dev."))
        XCTAssertNil(index.owner(of: stillWeb, uid: 1))
        XCTAssertEqual(index.nameCount, 1)
        XCTAssertEqual(
            index.setView(uid: 3, entries: [AliasEntry(name: "bad..name", ipv4: a, ipv6: nil)]).rejected, ["bad..name"])
    }

    func testManyNamesSurviveChurn() throws {
        var index = AliasIndex()
        for round in 0..<3 {
            let entries = (0..<2000).map {
                AliasEntry(name: "host\($0 + round * 1000).corp", ipv4: IPv4Address(value: UInt32($0)), ipv6: nil)
            }
            _ = index.setView(uid: 7, entries: entries)
        }
        XCTAssertEqual(index.nameCount, 2000)
        XCTAssertNotNil(try find(index, "host3999.corp"))
        XCTAssertNil(try find(index, "host1999.corp"))
    }
}

extension AliasIndexTests {
    func addresses(_ index: AliasIndex, _ text: String, uid: UInt32) throws -> (IPv4Address?, IPv6Address?)? {
        guard let entry = try find(index, text), let owner = index.owner(of: entry, uid: uid) else { return nil }
        return index.addresses(ofOwner: owner)
    }

    func testCaseInsensitiveAddressesAndSpelling() throws {
        var index = AliasIndex()
        let v6 = IPv6Address(high: 0xfd5b_c1a6_e7a0_0000, low: 0x1234)
        _ = index.setView(
            uid: 1,
            entries: [
                AliasEntry(name: "ssh.boundary.dev", ipv4: IPv4Address(100, 64, 0, 9), ipv6: v6),
                AliasEntry(name: "Mixed.Case.Test.", ipv4: nil, ipv6: v6),
                AliasEntry(name: "only4.test", ipv4: IPv4Address(100, 64, 0, 10), ipv6: nil),
            ])
        let ssh = try XCTUnwrap(try addresses(index, "SSH.Boundary.DEV", uid: 1))
        XCTAssertEqual(ssh.0, IPv4Address(100, 64, 0, 9))
        XCTAssertEqual(ssh.1, v6)
        let mixed = try XCTUnwrap(try addresses(index, "mixed.case.test", uid: 1))
        XCTAssertNil(mixed.0)
        XCTAssertEqual(mixed.1, v6)
        let only4 = try XCTUnwrap(try addresses(index, "only4.test", uid: 1))
        XCTAssertEqual(only4.0, IPv4Address(100, 64, 0, 10))
        XCTAssertNil(only4.1)
        XCTAssertNil(try addresses(index, "only4.test", uid: 2))
        // What aliasQueried reports: the value as pushed.
        XCTAssertEqual(index.alias(of: try XCTUnwrap(try find(index, "ssh.boundary.dev"))), "ssh.boundary.dev")
        XCTAssertEqual(index.alias(of: try XCTUnwrap(try find(index, "MIXED.case.test"))), "Mixed.Case.Test.")
        XCTAssertNil(try find(index, "ssh.boundary"))
        XCTAssertNil(try find(index, "ssh.boundary.dev.x"))
    }

    func testReplacementKeepsSharedNamesAndRepeatedNameLastWins() throws {
        var index = AliasIndex()
        let a = IPv4Address(100, 64, 0, 1)
        let b = IPv4Address(100, 64, 0, 2)
        _ = index.setView(
            uid: 1,
            entries: [AliasEntry(name: "x.test", ipv4: a, ipv6: nil), AliasEntry(name: "y.test", ipv4: a, ipv6: nil)])
        _ = index.setView(uid: 2, entries: [AliasEntry(name: "x.test", ipv4: a, ipv6: nil)])
        XCTAssertEqual(index.ownerCount, 3)
        // uid 1 replaces its view: y goes, z comes, x is repeated (the last one wins).
        XCTAssertTrue(
            index.setView(
                uid: 1,
                entries: [
                    AliasEntry(name: "x.test", ipv4: a, ipv6: nil), AliasEntry(name: "z.test", ipv4: a, ipv6: nil),
                    AliasEntry(name: "X.TEST", ipv4: b, ipv6: nil),
                ]
            ).changed)
        XCTAssertEqual(try addresses(index, "x.test", uid: 1)?.0, b)
        XCTAssertEqual(try addresses(index, "x.test", uid: 2)?.0, a)
        XCTAssertNil(try find(index, "y.test"))
        XCTAssertNotNil(try addresses(index, "z.test", uid: 1))
        XCTAssertEqual(index.nameCount, 2)
        XCTAssertEqual(index.ownerCount, 3)
        let x = try XCTUnwrap(try find(index, "x.test"))
        XCTAssertNotNil(index.anyOwner(of: x))
        _ = index.setView(uid: 2, entries: [])
        _ = index.setView(uid: 1, entries: [])
        XCTAssertEqual(index.nameCount, 0)
        XCTAssertEqual(index.ownerCount, 0)
        XCTAssertEqual(index.userCount, 0)
        XCTAssertNil(try find(index, "x.test"))
        XCTAssertFalse(index.setView(uid: 1, entries: []).changed)
    }

    /// Many names, many users, removals in between: every lookup agrees with a plain dictionary model
    /// (linear probing clusters and backward-shift deletion included).
    func testManyEntriesAgreeWithAModel() throws {
        var index = AliasIndex()
        var model: [UInt32: [String: UInt32]] = [:]
        var generator = SystemRandomNumberGenerator()
        for round in 0..<12 {
            let uid = UInt32(round % 4)
            let count = Int.random(in: 0..<3000, using: &generator)
            let base = Int.random(in: 0..<4000, using: &generator)
            var view: [String: UInt32] = [:]
            var entries: [AliasEntry] = []
            for k in 0..<count {
                let name = "h\((base + k * 7) % 9000).Zone\(k % 3).test"
                let v4 = UInt32(round * 100_000 + k)
                entries.append(AliasEntry(name: name, ipv4: IPv4Address(value: v4), ipv6: nil))
                view[name.lowercased()] = v4
            }
            _ = index.setView(uid: uid, entries: entries)
            model[uid] = view.isEmpty ? nil : view
            var names = Set<String>()
            for view in model.values { names.formUnion(view.keys) }
            XCTAssertEqual(index.nameCount, names.count)
            XCTAssertEqual(index.ownerCount, model.values.reduce(0) { $0 + $1.count })
            for probe in 0..<9000 where probe % 13 == round % 13 {
                for zone in 0..<3 {
                    let name = "h\(probe).zone\(zone).test"
                    for user in UInt32(0)..<4 {
                        let got = try addresses(index, name.uppercased(), uid: user)?.0?.value
                        XCTAssertEqual(got, model[user]?[name], "\(name) uid \(user) round \(round)")
                    }
                }
            }
        }
        for uid in UInt32(0)..<4 { _ = index.setView(uid: uid, entries: []) }
        XCTAssertEqual(index.nameCount, 0)
    }

    func testReportRateLimit() {
        var index = AliasIndex()
        let second: UInt64 = 1_000_000_000
        XCTAssertTrue(index.shouldReport(AliasIndex.ownerKey(3), now: 5 * second, interval: 10 * second))
        XCTAssertFalse(index.shouldReport(AliasIndex.ownerKey(3), now: 9 * second, interval: 10 * second))
        XCTAssertTrue(index.shouldReport(AliasIndex.unionKey(3), now: 9 * second, interval: 10 * second))
        XCTAssertTrue(index.shouldReport(AliasIndex.ownerKey(3), now: 15 * second, interval: 10 * second))
        for key in 0..<10_000 {
            XCTAssertTrue(index.shouldReport(UInt64(key) + 100, now: 100 * second, interval: 10 * second))
        }
        XCTAssertFalse(index.shouldReport(9_000, now: 101 * second, interval: 10 * second))
    }
}

final class ResponseCacheTests: XCTestCase {
    func testInsertLookupExpireEvict() throws {
        var cache = ResponseCache(capacity: 2)
        let name = DNSNameBuffer()
        func key(_ text: String) throws -> Int {
            name.set(try DNSName(text))
            return ResponseCache.hash(name: name, type: .a, questionClass: .in, flags: 0)
        }
        let second: UInt64 = 1_000_000_000
        let h1 = try key("one.test")
        // Shorter than a DNS header: refused (a hit copies at least the header and the question).
        cache.insert(
            name: name, type: .a, questionClass: .in, flags: 0, hash: h1, message: [1], ttlOffsets: [], ttl: 10, now: 0)
        XCTAssertEqual(cache.count, 0)
        let header = [UInt8](repeating: 0, count: 12)
        cache.insert(
            name: name, type: .a, questionClass: .in, flags: 0, hash: h1, message: header + [9, 9, 9, 9],
            ttlOffsets: [12, 13, -1], ttl: 10, now: 0)
        let hit = try XCTUnwrap(
            cache.lookup(name: name, type: .a, questionClass: .in, flags: 0, hash: h1, now: second))
        // The message comes back whole; only in-bounds TTL offsets were kept.
        cache.withEntry(hit) { storedAt, message, offsets in
            XCTAssertEqual(storedAt, 0)
            XCTAssertEqual(Array(message), header + [9, 9, 9, 9])
            XCTAssertEqual(Array(offsets), [12])
        }
        name.set(try DNSName("ONE.test"))
        XCTAssertNotNil(cache.lookup(name: name, type: .a, questionClass: .in, flags: 0, hash: h1, now: 5 * second))
        XCTAssertNil(cache.lookup(name: name, type: .aaaa, questionClass: .in, flags: 0, hash: h1, now: 5 * second))
        XCTAssertNil(cache.lookup(name: name, type: .a, questionClass: .in, flags: 1, hash: h1, now: 5 * second))
        XCTAssertNil(cache.lookup(name: name, type: .a, questionClass: .in, flags: 0, hash: h1, now: 11 * second))
        for text in ["a.test", "b.test", "c.test"] {
            let h = try key(text)
            cache.insert(
                name: name, type: .a, questionClass: .in, flags: 0, hash: h, message: header + [2], ttlOffsets: [],
                ttl: 100, now: 12 * second)
        }
        XCTAssertLessThanOrEqual(cache.count, 2)
        var zero = ResponseCache(capacity: 0)
        zero.insert(
            name: name, type: .a, questionClass: .in, flags: 0, hash: 1, message: header, ttlOffsets: [], ttl: 10,
            now: 0)
        XCTAssertEqual(zero.count, 0)
    }
}

final class FrameDecoderTests: XCTestCase {
    func testFramesSplitJoinedAndDripFed() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(DNSTCPFrameDecoder()))
        let stream: [UInt8] = [0, 3, 1, 2, 3, 0, 0, 0, 1, 9, 0, 5, 1]
        for byte in stream { try channel.writeInbound(ByteBuffer(bytes: [byte])) }
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self).map { Array($0.readableBytesView) }, [1, 2, 3])
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self)?.readableBytes, 0)
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self).map { Array($0.readableBytesView) }, [9])
        XCTAssertNil(try channel.readInbound(as: ByteBuffer.self))  // the 5-byte frame is incomplete
        XCTAssertNoThrow(try channel.finish())
    }

    func testLargestFrame() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(DNSTCPFrameDecoder()))
        try channel.writeInbound(ByteBuffer(bytes: [0xFF, 0xFF] + [UInt8](repeating: 7, count: 65535)))
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self)?.readableBytes, 65535)
        XCTAssertNoThrow(try channel.finish())
    }
}

/// The UDP handler and engine on an EmbeddedChannel: exact bytes in, exact answers out.
final class UDPHandlerTests: XCTestCase {
    var channel: EmbeddedChannel!
    var engine: DNSEngine!
    let client = try? SocketAddress(ipAddress: "192.0.2.1", port: 5555)

    override func setUp() {
        channel = EmbeddedChannel()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        engine = DNSEngine(
            loop: channel.embeddedEventLoop, configuration: DNSServerConfiguration(), delegate: nil, logger: logger)
        XCTAssertNoThrow(try channel.pipeline.syncOperations.addHandler(UDPQueryHandler(engine: engine)))
    }

    func ask(_ bytes: [UInt8]) throws -> DNSMessage? {
        try channel.writeInbound(AddressedEnvelope(remoteAddress: XCTUnwrap(client), data: ByteBuffer(bytes: bytes)))
        guard let out = try channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self) else { return nil }
        XCTAssertEqual(out.remoteAddress, client)
        return try DNSMessage.read(from: out.data)
    }

    func testUnknownQuerierGetsTheUnionAndMalformedGetsFormerr() throws {
        _ = engine.aliases.setView(
            uid: 5, entries: [AliasEntry(name: "a.test", ipv4: IPv4Address(100, 64, 0, 1), ipv6: nil)])
        XCTAssertEqual(try ask(try TestClient.query("A.TEST"))?.answers.first?.data, .a(IPv4Address(100, 64, 0, 1)))
        XCTAssertEqual(try ask([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])?.responseCode, .formatError)
        XCTAssertNil(try ask([0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0]))  // a response: dropped
        XCTAssertNil(try ask([0, 1, 0]))
        XCTAssertEqual(try ask(try TestClient.query("a.test", edns: EDNS(version: 1)))?.responseCode, .badVersion)
        XCTAssertEqual(try ask(try TestClient.query("zone.test", .axfr))?.responseCode, .refused)
        XCTAssertEqual(engine.counters.formatErrors, 1)
        XCTAssertEqual(engine.counters.dropped, 2)
    }

    func testCachedAnswerLargerThanTheClientLimitIsTruncated() throws {
        // An upstream answer with 40 A records (≈ 650 bytes) stored in the cache.
        let owner = try DNSName("big.test")
        var header = DNSHeader(id: 1)
        header.isResponse = true
        let records = (0..<40).map { ResourceRecord(name: owner, ttl: 60, data: .a(IPv4Address(value: UInt32($0)))) }
        var buffer = ByteBuffer()
        try DNSMessage(header: header, questions: [DNSQuestion(name: owner, type: .a)], answers: records).write(
            to: &buffer)
        let bytes = Array(buffer.readableBytesView)
        engine.name.set(owner)
        var offsets: [Int] = []
        let summary = try bytes.withUnsafeBytes { raw in
            try withUnsafeMutablePointer(to: &offsets) {
                try DNSResponseScanner.scan(raw, name: engine.name, type: .a, questionClass: .in, ttlOffsets: $0)
            }
        }
        engine.ttlOffsets = offsets
        guard
            case .query(let info) = DNSQueryParser.parse(
                ByteBuffer(bytes: try TestClient.query("big.test")), name: engine.name)
        else { return XCTFail() }
        bytes.withUnsafeBytes { engine.store($0, summary: summary, info: info) }
        XCTAssertEqual(engine.cache.count, 1)

        let truncated = try XCTUnwrap(try ask(try TestClient.query("big.test")))
        XCTAssertTrue(truncated.header.isTruncated)
        XCTAssertEqual(truncated.answers.count, 0)
        let full = try XCTUnwrap(try ask(try TestClient.query("big.test", edns: EDNS(udpPayloadSize: 1232))))
        XCTAssertFalse(full.header.isTruncated)
        XCTAssertEqual(full.answers.count, 40)
        XCTAssertEqual(full.edns?.udpPayloadSize, DNSLimits.advertisedUDPPayload)
        XCTAssertEqual(engine.counters.cacheHits, 2)
    }
}

/// NETLINK_SOCK_DIAG against real sockets, proving the key order per protocol on this kernel.
final class SocketOwnerLookupTests: XCTestCase {
    func testUDPAndTCPOwnersAreFound() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let lookup = SocketOwnerLookup()
        for host in ["127.0.0.1", "::1"] {
            let server = try DatagramBootstrap(group: group).bind(to: try SocketAddress(ipAddress: host, port: 0))
                .wait()
            let client = try DatagramBootstrap(group: group).bind(to: try SocketAddress(ipAddress: host, port: 0))
                .wait()
            let local = try XCTUnwrap(server.localAddress)
            let remote = try XCTUnwrap(client.localAddress)
            XCTAssertEqual(lookup.ownerUID(transport: .udp, local: local, remote: remote), getuid(), host)
            // The TCP order for UDP finds nothing: the kernel's UDP key is (us → client).
            XCTAssertNil(
                lookup.ownerUID(transport: .udp, local: remote, remote: try SocketAddress(ipAddress: host, port: 1)))
            try client.close().wait()
            XCTAssertNil(lookup.ownerUID(transport: .udp, local: local, remote: remote), "closed socket")
            try server.close().wait()

            let listener = try ServerBootstrap(group: group).bind(to: try SocketAddress(ipAddress: host, port: 0))
                .wait()
            let connection = try ClientBootstrap(group: group).connect(to: try XCTUnwrap(listener.localAddress)).wait()
            let clientSide = try XCTUnwrap(connection.localAddress)
            let serverSide = try XCTUnwrap(connection.remoteAddress)
            XCTAssertEqual(lookup.ownerUID(transport: .tcp, local: serverSide, remote: clientSide), getuid(), host)
            try connection.close().wait()
            try listener.close().wait()
        }
    }
}

final class OwnerCacheTests: XCTestCase {
    func testEntriesExpireAndDistinguishAddresses() throws {
        var cache = OwnerCache()
        let a = try SocketAddress(ipAddress: "127.0.0.1", port: 4000)
        let b = try SocketAddress(ipAddress: "127.0.0.1", port: 4001)
        let c = try SocketAddress(ipAddress: "::1", port: 4000)
        cache.store(a, uid: 1000, until: 100)
        cache.store(c, uid: nil, until: 100)
        XCTAssertEqual(cache.lookup(a, now: 50), .some(1000))
        XCTAssertEqual(cache.lookup(c, now: 50), .some(nil))  // cached "nobody's"
        XCTAssertTrue(cache.lookup(b, now: 50) == nil, "not cached")
        XCTAssertTrue(cache.lookup(a, now: 100) == nil, "not cached")
        cache.store(a, uid: 1000, until: 200)
        cache.removeAll()
        XCTAssertTrue(cache.lookup(a, now: 150) == nil, "not cached")
    }

    /// dnsperf's 100 sockets (and twice as many): every client stays cached. A direct-mapped cache of the
    /// same size put pairs of them in one slot, where each evicted the other on every query.
    func testManyClientsAllStayCached() throws {
        var cache = OwnerCache()
        let clients = try (0..<200).map { try SocketAddress(ipAddress: "100.64.0.1", port: 1024 + $0 * 277) }
        for (index, client) in clients.enumerated() { cache.store(client, uid: UInt32(index), until: 100) }
        for round in 0..<3 {
            for (index, client) in clients.enumerated() {
                XCTAssertEqual(cache.lookup(client, now: 50), .some(UInt32(index)), "client \(index), round \(round)")
            }
        }
        // A full set gives way to the entry that expires first, not to a live neighbour at random.
        let newcomer = try SocketAddress(ipAddress: "100.64.0.2", port: 53)
        cache.store(newcomer, uid: 7, until: 300)
        XCTAssertEqual(cache.lookup(newcomer, now: 50), .some(7))
    }
}

/// The TCP pipeline (frame decoder + query handler) on an EmbeddedChannel.
final class TCPHandlerTests: XCTestCase {
    func testFramedQueriesSplitAcrossWritesAndGarbageFrames() throws {
        let channel = EmbeddedChannel()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let engine = DNSEngine(
            loop: channel.embeddedEventLoop, configuration: DNSServerConfiguration(), delegate: nil, logger: logger)
        _ = engine.aliases.setView(
            uid: 5, entries: [AliasEntry(name: "a.test", ipv4: IPv4Address(100, 64, 0, 1), ipv6: nil)])
        try channel.pipeline.syncOperations.addHandlers([
            TCPConnectionLimitHandler(engine: engine), ByteToMessageHandler(DNSTCPFrameDecoder()),
            TCPQueryHandler(engine: engine),
        ])
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 53)).wait()
        XCTAssertEqual(engine.tcpConnectionCount, 1)

        let first = try TestClient.query("a.test", id: 1)
        let second = try TestClient.query("a.test", .aaaa, id: 2)
        var stream: [UInt8] = []
        for message in [first, [0, 1, 2], [], second] {
            stream += [UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message
        }
        // Byte by byte for the first half, the rest at once.
        for byte in stream.prefix(20) { try channel.writeInbound(ByteBuffer(bytes: [byte])) }
        try channel.writeInbound(ByteBuffer(bytes: stream.dropFirst(20)))

        var answers: [DNSMessage] = []
        while var frame = try channel.readOutbound(as: ByteBuffer.self) {
            let length = try XCTUnwrap(frame.readInteger(as: UInt16.self))
            XCTAssertEqual(Int(length), frame.readableBytes)
            answers.append(try DNSMessage.read(from: frame))
        }
        // The 3-byte and empty frames have no header: dropped. The two queries are answered in order.
        XCTAssertEqual(answers.map { $0.header.id }, [1, 2])
        XCTAssertEqual(answers.first?.answers.first?.data, .a(IPv4Address(100, 64, 0, 1)))
        XCTAssertEqual(answers.last?.answers.count, 0)  // no AAAA: NODATA
        XCTAssertEqual(engine.counters.dropped, 2)
        XCTAssertNoThrow(try channel.close().wait())
        XCTAssertEqual(engine.tcpConnectionCount, 0)
    }

    func testConnectionsOverTheCapAreClosed() throws {
        let channel = EmbeddedChannel()
        var configuration = DNSServerConfiguration()
        configuration.maxTCPConnections = 0
        let engine = DNSEngine(
            loop: channel.embeddedEventLoop, configuration: configuration, delegate: nil, logger: Logger(label: "t"))
        try channel.pipeline.syncOperations.addHandlers([
            TCPConnectionLimitHandler(engine: engine), TCPQueryHandler(engine: engine),
        ])
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 53)).wait()
        XCTAssertFalse(channel.isActive)
        XCTAssertEqual(engine.tcpConnectionCount, 0)
    }
}

final class PlainWireTests: XCTestCase {
    /// The fast path agrees with `DNSName` wherever it answers, and leaves escapes and bad names to it.
    func testPlainWireAgreesWithTheParser() throws {
        let long63 = String(repeating: "a", count: 63)
        let long64 = String(repeating: "a", count: 64)
        let texts = [
            "a.b", "A.B.", "Ssh.Boundary.Dev", "x", "x.", "under_score.test", "\(long63).test", "\(long64).test",
            "a..b", ".a", ".", "", "esc\\.aped.test", "dig\\065.test",
            Array(repeating: long63, count: 4).joined(separator: "."),
            Array(repeating: "abcdefghi", count: 25).joined(separator: "."),
            Array(repeating: "abcdefghi", count: 26).joined(separator: "."),
        ]
        for text in texts {
            var scratch: [UInt8] = [9]
            let fast = AliasIndex.appendPlainWire(text, to: &scratch)
            let parsed = try? DNSName(text)
            if fast {
                let wire = try XCTUnwrap(parsed, text).lowercased.wire
                XCTAssertEqual(scratch, [9, UInt8(wire.count)] + wire, text)
            } else {
                XCTAssertEqual(scratch, [9], "nothing appended for \(text)")
                if let parsed, !parsed.isRoot {
                    XCTAssertTrue(text.contains("\\"), "only escapes need the parser: \(text)")
                }
            }
        }
    }
}
