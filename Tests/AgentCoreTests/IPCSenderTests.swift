import AgentIPC
import Glibc
import PrivSep
import XCTest

@testable import AgentCore

/// The sending thread, over a real SEQPACKET socketpair: single frames and batches arrive whole and
/// in the order queued; nothing is sent after `stop`.
final class IPCSenderTests: XCTestCase {
    func testFramesAndBatchesArriveInOrder() throws {
        let (a, b) = try Posix.socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue))
        let receiver = IPCLink(fd: b, inbound: .dnsToBroker)
        defer { receiver.close() }
        let sender = try IPCSender(link: IPCLink(fd: a, inbound: .brokerToDNS)) { error in
            XCTFail("send failed: \(error)")
        }
        defer {
            sender.stop()
            sender.link.close()
        }

        sender.send(DNSToBroker.aliasQueried(uid: 1000, alias: "first.corp"))
        sender.send(frames: (1...300).map { DNSToBroker.aliasQueried(uid: 1000, alias: "a\($0).corp").frame() })
        sender.send(frames: [Frame]())
        sender.send(DNSToBroker.resolveRequest(requestID: 7, uid: 1001, name: "last.corp"))

        var received: [DNSToBroker] = []
        for _ in 0..<302 { received.append(try receiver.receive(DNSToBroker.self)) }
        let expected: [DNSToBroker] =
            [.aliasQueried(uid: 1000, alias: "first.corp")]
            + (1...300).map { .aliasQueried(uid: 1000, alias: "a\($0).corp") }
            + [.resolveRequest(requestID: 7, uid: 1001, name: "last.corp")]
        XCTAssertEqual(received, expected)
    }
}
