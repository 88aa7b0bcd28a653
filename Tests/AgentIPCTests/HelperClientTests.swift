import Glibc
import PrivSep
import Synchronization
import XCTest

@testable import AgentIPC

final class HelperClientTests: XCTestCase {
    func testRequestIsAnsweredByID() throws {
        let sent = Mutex<[Frame]>([])
        let client = HelperClient(role: .proxy) { frame in sent.withLock { $0.append(frame) } }
        let answer = Mutex<Result<String, IPCError>?>(nil)
        client.pause(reason: "test") { r in answer.withLock { $0 = r } }
        client.status { _ in XCTFail("never answered") }
        let frames = sent.withLock { $0 }
        XCTAssertEqual(frames.count, 2)
        let first = try ProxyToHelper(frame: frames[0])
        guard case .pause(let id, "test") = first else { return XCTFail("\(first)") }
        XCTAssertFalse(client.deliver(RequestResult(id: 999, succeeded: true, message: "")), "unknown id")
        XCTAssertTrue(client.deliver(RequestResult(id: id, succeeded: false, message: "already paused")))
        XCTAssertEqual(answer.withLock { $0 }, .failure(.requestFailed("already paused")))
        XCTAssertFalse(client.deliver(RequestResult(id: id, succeeded: true, message: "")), "answered once")
    }

    func testDNSWorkerCannotPause() {
        let client = HelperClient(role: .dns) { _ in XCTFail("nothing may be sent") }
        XCTAssertThrowsError(try client.pause(reason: "x")) {
            XCTAssertEqual($0 as? IPCError, .notPermitted(.pause, sender: "dns"))
        }
    }

    func testBlockingCallWaitsForTheAnswerAndCloseFailsWaiters() throws {
        let (a, b) = try Posix.socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue))
        let workerEnd = IPCLink(fd: a, inbound: .helperToProxy)
        let helperEnd = IPCLink(fd: b, inbound: .proxyToHelper)
        defer {
            workerEnd.close()
            helperEnd.close()
        }
        let client = HelperClient(role: .proxy) { try workerEnd.send($0) }
        // The "helper": answers the status request.
        let helper = Thread {
            guard case .status(let id)? = try? helperEnd.receive(ProxyToHelper.self) else { return }
            try? helperEnd.send(HelperToProxy.requestResult(RequestResult(id: id, succeeded: true, message: "{}")))
        }
        helper.start()
        // The worker's reader: delivers answers.
        let reader = Thread {
            if case .requestResult(let r)? = try? workerEnd.receive(HelperToProxy.self) { client.deliver(r) }
        }
        reader.start()
        XCTAssertEqual(try client.status(), "{}")
        // After close every request fails at once.
        client.close()
        XCTAssertThrowsError(try client.resume()) { XCTAssertEqual($0 as? IPCError, .closed) }
    }

    func testLongTextsAreClippedToTheLimit() throws {
        let sent = Mutex<[Frame]>([])
        let client = HelperClient(role: .dns) { frame in sent.withLock { $0.append(frame) } }
        try client.reportError(String(repeating: "é", count: IPCLimits.maxErrorText))
        let frame = try XCTUnwrap(sent.withLock { $0.first })
        guard case .reportError(let text) = try DNSToHelper(frame: frame) else { return XCTFail() }
        XCTAssertEqual(text.utf8.count, IPCLimits.maxErrorText)
    }
}
