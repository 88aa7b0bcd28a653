import AgentConfig
import AgentIPC
import Glibc
import PrivSep
import XCTest

@testable import privileged_helper

/// Anything unexpected on a worker's control socket ends that worker: a real child process stands
/// in for the worker, the test writes on its end of the socketpair, and the supervisor must SIGKILL it.
final class WorkerViolationTests: XCTestCase {
    func run(_ bytes: [UInt8], fds: [Int32] = [], role: WorkerRole = .dns, before: [[UInt8]] = [], line: UInt = #line)
        throws
    {
        var config = AgentConfiguration()
        config.dnsMode = .off
        let s = Supervisor(
            configPath: "/nonexistent", config: config, configText: "", log: HelperLog(level: .error),
            state: StateFile(path: "/tmp/bca-violation-\(getpid()).json"), seccompLog: false, signalFD: -1)
        let (mine, theirs) = try Posix.socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue))
        defer { Posix.closeQuietly(theirs) }
        let pid = try PrivSep.Spawn.spawn(path: "/bin/sleep", arguments: ["30"], environment: [], controlFD: theirs)
        s.workers[role] = WorkerHandle(
            role: role, pid: pid, control: mine, assembler: FrameAssembler(direction: role.outbound), startedAt: 0)
        s.serving = true
        for message in before + [bytes] {
            try FDPassing.send(theirs, message, fds: message == bytes ? fds : [])
        }
        s.readWorker(role)
        var status: Int32 = 0
        XCTAssertEqual(waitpid(pid, &status, 0), pid, line: line)
        XCTAssertEqual(status & 0x7f, SIGKILL, "the worker was killed", line: line)
        XCTAssertTrue(s.workers[role]?.killed == true, line: line)
        XCTAssertTrue(
            s.events.first?["message"]?.stringValue?.hasPrefix("\(role) worker killed:") == true, line: line)
    }

    func wire(_ frame: Frame) -> [UInt8] { frame.fragments()[0] }

    func testUnknownKind() throws {
        try run([0x7f, 0x7f, 0, 0, 0, 0, 0, 0])
    }

    func testRequestNotInTheSendersRow() throws {
        try run(wire(ProxyToHelper.pause(id: 1, reason: "x").frame()), role: .dns)
    }

    func testUnexpectedFD() throws {
        var fds: [Int32] = [-1, -1]
        try Posix.call("pipe") { pipe(&fds) }
        defer { Posix.closeQuietly(fds[1]) }
        try run(wire(DNSToHelper.ready.frame()), fds: [fds[0]])
        Posix.closeQuietly(fds[0])
    }

    func testOversizedAndBadLength() throws {
        try run(wire(Frame(kind: .reportError, payload: [UInt8](repeating: 0, count: 5000))))
        try run([0, 200, 0, 0, 0, 0, 0, 9])  // ready claiming 9 bytes it does not have
    }

    func testReadyTwice() throws {
        let ready = wire(DNSToHelper.ready.frame())
        try run(ready, before: [ready])
    }
}
