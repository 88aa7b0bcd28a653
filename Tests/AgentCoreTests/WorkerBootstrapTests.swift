import AgentConfig
import AgentIPC
import Glibc
import PrivSep
import XCTest

@testable import AgentCore

/// The worker's side of the bootstrap, over a real socketpair: the full sequence is accepted and
/// mapped to the right slots; a duplicate, a missing item, a reload item or a foreign kind is fatal.
final class WorkerBootstrapTests: XCTestCase {
    var helperEnd: IPCLink!
    var workerEnd: IPCLink!

    override func setUpWithError() throws {
        let (a, b) = try Posix.socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue))
        helperEnd = IPCLink(fd: a, inbound: .dnsToHelper)
        workerEnd = IPCLink(fd: b, inbound: .helperToDNS)
    }

    override func tearDown() {
        helperEnd.close()
        workerEnd.close()
    }

    func pipeFD() throws -> Int32 {
        var fds: [Int32] = [-1, -1]
        try Posix.call("pipe") { pipe(&fds) }
        Posix.closeQuietly(fds[1])
        return fds[0]
    }

    func fullSequence(config: String = "log_level = \"debug\"\n") throws -> [HelperToDNS] {
        var messages: [HelperToDNS] = [
            .configText(config), .upstreamServers([UpstreamServer(address: .v4(IPv4Address(192, 0, 2, 53)))]),
            .logFile(try pipeFD()), .peerLink(try pipeFD()),
        ]
        for slot in DNSListener.allCases { messages.append(.listener(slot, try pipeFD())) }
        return messages + [.bootstrapEnd]
    }

    func send(_ messages: [HelperToDNS]) throws {
        for m in messages {
            try helperEnd.send(m)
            if case .logFile(let fd) = m { Posix.closeQuietly(fd) }
            if case .peerLink(let fd) = m { Posix.closeQuietly(fd) }
            if case .listener(_, let fd) = m { Posix.closeQuietly(fd) }
        }
    }

    func testFullSequence() throws {
        try send(fullSequence())
        let b = try WorkerBootstrap.receive(role: .dns, link: workerEnd)
        XCTAssertEqual(b.config.logLevel, .debug)
        XCTAssertEqual(b.upstreams, [UpstreamServer(address: .v4(IPv4Address(192, 0, 2, 53)))])
        let s = try XCTUnwrap({ if case .dns(let s) = b.sockets { return s } else { return nil } }())
        let fds = [b.logFD, b.peerFD, s.udp4, s.tcp4, s.udp6, s.tcp6]
        XCTAssertEqual(Set(fds).count, 6, "six distinct descriptors")
        for fd in fds {
            XCTAssertGreaterThanOrEqual(fcntl(fd, F_GETFD), 0)
            Posix.closeQuietly(fd)
        }
    }

    func expectRefusal(_ messages: [HelperToDNS], _ needle: String, line: UInt = #line) throws {
        try send(messages)
        XCTAssertThrowsError(try WorkerBootstrap.receive(role: .dns, link: workerEnd), line: line) { error in
            XCTAssertTrue("\(error)".contains(needle), "\(error)", line: line)
        }
    }

    func testDuplicateListenerIsFatal() throws {
        var messages = try fullSequence()
        messages.insert(.listener(.udp4, try pipeFD()), at: 5)
        try expectRefusal(messages, "listener udp4: sent twice")
    }

    func testMissingListenerIsFatal() throws {
        var messages = try fullSequence()
        messages.removeAll {
            if case .listener(.tcp6, let fd) = $0 { Posix.closeQuietly(fd); return true } else { return false }
        }
        try expectRefusal(messages, "without all four DNS sockets")
    }

    func testReloadItemDuringBootstrapIsFatal() throws {
        try expectRefusal([.configText(""), .reloadBegin], "reloadBegin: not part of the bootstrap")
    }

    func testBadConfigurationIsFatal() throws {
        try expectRefusal(try fullSequence(config: "nonsense = 1\n"), "unknown key \"nonsense\"")
    }

    func testAProxyListenerToTheDNSWorkerIsRefused() throws {
        // The proxy's kind on the DNS worker's link: refused by the direction, its fd closed.
        try helperEnd.send(Frame(kind: .proxyListener4, fds: [try pipeFD()]))
        XCTAssertThrowsError(try WorkerBootstrap.receive(role: .dns, link: workerEnd)) { error in
            XCTAssertTrue("\(error)".contains("is not a helper→dns message"), "\(error)")
        }
    }

    // MARK: the proxy worker: its listeners and the status journal

    func proxySequence(journal: Bool = true) throws -> [HelperToProxy] {
        var messages: [HelperToProxy] = [
            .configText(""), .upstreamServers([]), .logFile(try pipeFD()), .peerLink(try pipeFD()),
        ]
        if journal { messages.append(.statusJournal(try pipeFD())) }
        for slot in ProxyListener.allCases { messages.append(.listener(slot, try pipeFD())) }
        return messages + [.bootstrapEnd]
    }

    func sendProxy(_ messages: [HelperToProxy]) throws -> IPCLink {
        let (a, b) = try Posix.socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue))
        let helper = IPCLink(fd: a, inbound: .proxyToHelper)
        defer { helper.close() }
        for m in messages {
            try helper.send(m)
            for fd in m.frame().fds { Posix.closeQuietly(fd) }
        }
        return IPCLink(fd: b, inbound: .helperToProxy)
    }

    func testProxyGetsTheStatusJournal() throws {
        let link = try sendProxy(try proxySequence())
        defer { link.close() }
        let b = try WorkerBootstrap.receive(role: .proxy, link: link)
        let journal = try XCTUnwrap(b.statusJournalFD)
        let s = try XCTUnwrap({ if case .proxy(let s) = b.sockets { return s } else { return nil } }())
        let fds = [b.logFD, b.peerFD, journal, s.proxy4, s.proxy6, s.apiUnix, try XCTUnwrap(s.apiTCP)]
        XCTAssertEqual(Set(fds).count, 7, "seven distinct descriptors")
        for fd in fds { Posix.closeQuietly(fd) }
    }

    func testProxyWithoutTheStatusJournalIsFatal() throws {
        let link = try sendProxy(try proxySequence(journal: false))
        defer { link.close() }
        XCTAssertThrowsError(try WorkerBootstrap.receive(role: .proxy, link: link)) { error in
            XCTAssertTrue("\(error)".contains("the status journal"), "\(error)")
        }
    }

    func testSecondStatusJournalIsFatal() throws {
        var messages = try proxySequence()
        messages.insert(.statusJournal(try pipeFD()), at: 1)
        let link = try sendProxy(messages)
        defer { link.close() }
        XCTAssertThrowsError(try WorkerBootstrap.receive(role: .proxy, link: link)) { error in
            XCTAssertTrue("\(error)".contains("statusJournal: sent twice"), "\(error)")
        }
    }

    func testTheStatusJournalToTheDNSWorkerIsRefused() throws {
        try helperEnd.send(Frame(kind: .statusJournal, fds: [try pipeFD()]))
        XCTAssertThrowsError(try WorkerBootstrap.receive(role: .dns, link: workerEnd)) { error in
            XCTAssertTrue("\(error)".contains("is not a helper→dns message"), "\(error)")
        }
    }
}
