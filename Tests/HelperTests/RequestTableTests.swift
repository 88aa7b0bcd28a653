import AgentConfig
import AgentIPC
import Glibc
import PrivSep
import XCTest

@testable import privileged_helper

/// The request table's checks, in order: a row for the kind, the sender, the length, `once`; and
/// only then the handler.
final class RequestTableTests: XCTestCase {
    func supervisor() -> Supervisor {
        var config = AgentConfiguration()
        config.dnsMode = .off
        return Supervisor(
            configPath: "/nonexistent", config: config, configText: "", log: HelperLog(level: .error),
            state: StateFile(path: "/tmp/bca-requesttable-\(getpid()).json"), seccompLog: false, signalFD: -1)
    }

    func expect(
        _ expected: IPCError, _ frame: Frame, from role: WorkerRole, used: inout Set<MessageKind>, line: UInt = #line
    ) {
        XCTAssertThrowsError(try RequestTable.dispatch(frame, from: role, used: &used, to: supervisor()), line: line) {
            XCTAssertEqual($0 as? IPCError, expected, line: line)
        }
    }

    func testWrongSender() {
        var used = Set<MessageKind>()
        expect(
            .notPermitted(.pause, sender: "dns"), ProxyToHelper.pause(id: 1, reason: "x").frame(), from: .dns,
            used: &used)
        expect(.notPermitted(.status, sender: "dns"), ProxyToHelper.status(id: 1).frame(), from: .dns, used: &used)
        expect(
            .notPermitted(.restoreResolver, sender: "dns"), ProxyToHelper.restoreResolver(id: 1).frame(), from: .dns,
            used: &used)
    }

    func testNoRowForHelperOrPeerKinds() {
        var used = Set<MessageKind>()
        expect(.unexpectedKind(.shutdown, .proxyToHelper), Frame(kind: .shutdown), from: .proxy, used: &used)
        expect(.unexpectedKind(.setView, .dnsToHelper), Frame(kind: .setView), from: .dns, used: &used)
    }

    func testWrongLength() {
        var used = Set<MessageKind>()
        expect(
            .oversized(.resume, length: 5, limit: 4), Frame(kind: .resume, payload: [0, 0, 0, 1, 0]), from: .proxy,
            used: &used)
        expect(.oversized(.ready, length: 1, limit: 0), Frame(kind: .ready, payload: [0]), from: .dns, used: &used)
        // Within the limit but malformed: the decoder refuses it.
        expect(.truncated(.status, field: "id"), Frame(kind: .status, payload: [0, 1]), from: .proxy, used: &used)
    }

    func testReadyOnlyOnce() throws {
        let s = supervisor()
        var used = Set<MessageKind>()
        try RequestTable.dispatch(DNSToHelper.ready.frame(), from: .dns, used: &used, to: s)
        XCTAssertThrowsError(try RequestTable.dispatch(DNSToHelper.ready.frame(), from: .dns, used: &used, to: s)) {
            XCTAssertEqual($0 as? IPCError, .repeated(.ready))
        }
        // reportError is not `once`.
        for _ in 0..<3 {
            try RequestTable.dispatch(DNSToHelper.reportError("x").frame(), from: .dns, used: &used, to: s)
        }
        XCTAssertEqual(s.events.count, 3)
    }

    func testEveryWorkerRequestHasARowForExactlyItsSenders() {
        for kind in MessageKind.allCases {
            let senders = Set(WorkerRole.allCases.filter { $0.permittedRequests.contains(kind) })
            XCTAssertEqual(RequestTable.rows[kind]?.senders ?? [], senders, "\(kind)")
            if let row = RequestTable.rows[kind] { XCTAssertEqual(row.maxLength, kind.maxLength, "\(kind)") }
        }
    }
}
