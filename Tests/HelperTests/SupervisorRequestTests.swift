import AgentConfig
import AgentIPC
import Glibc
import HostState
import JSON
import PrivSep
import XCTest

@testable import privileged_helper

/// The request handlers against a temp resolv.conf and a fake proxy worker whose control socket the
/// test reads: pause puts the resolver back and persists "paused", resume re-applies it, status
/// answers JSON, and each answer carries the request's id.
final class SupervisorRequestTests: XCTestCase {
    var dir = ""
    var proxyEnd: IPCLink!

    override func setUpWithError() throws {
        var template = Array("/tmp/bca-supervisor.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw PrivSepError.syscall("mkdtemp", errno) }
        dir = String(cString: made)
    }

    override func tearDown() {
        proxyEnd?.close()
        _ = system("rm -rf '\(dir)'")
    }

    func makeSupervisor() throws -> Supervisor {
        var config = AgentConfiguration()
        config.dnsMode = .resolvConf
        config.resolvConfPath = dir + "/resolv.conf"
        config.operationalStateFile = dir + "/operational-state.json"
        config.stateFile = dir + "/state.json"
        let fd = try Posix.open(config.resolvConfPath, O_WRONLY | O_CREAT, mode: 0o644)
        try Posix.write(fd, Array("nameserver 192.0.2.53\n".utf8))
        try Posix.close(fd)
        let s = Supervisor(
            configPath: "/nonexistent", config: config, configText: "", log: HelperLog(level: .error),
            state: StateFile(path: config.stateFile), seccompLog: false, signalFD: -1)
        // A stand-in proxy worker: a real socketpair; its pid can never be signalled by mistake.
        let (mine, theirs) = try Posix.socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue))
        s.workers[.proxy] = WorkerHandle(
            role: .proxy, pid: Int32.max, control: mine, assembler: FrameAssembler(direction: .proxyToHelper),
            startedAt: 0)
        proxyEnd = IPCLink(fd: theirs, inbound: .helperToProxy)
        s.serving = true
        return s
    }

    func answer() throws -> RequestResult {
        guard case .requestResult(let r) = try proxyEnd.receive(HelperToProxy.self) else {
            throw IPCError.closed
        }
        return r
    }

    func resolv() throws -> String {
        String(decoding: try Posix.readFile(dir + "/resolv.conf", limit: 4096), as: UTF8.self)
    }

    func testPauseResumeCycle() throws {
        let s = try makeSupervisor()
        s.applyResolver()
        XCTAssertTrue(try resolv().contains(ResolvConfText.marker))
        XCTAssertEqual(s.upstreams, [UpstreamServer(address: .v4(IPv4Address(192, 0, 2, 53)))])

        s.pause(id: 7, reason: "alice asked")
        XCTAssertEqual(try answer(), RequestResult(id: 7, succeeded: true, message: "paused"))
        XCTAssertEqual(try resolv(), "nameserver 192.0.2.53\n", "the original is back")
        XCTAssertEqual(OperationalState.load(dir + "/operational-state.json"), .paused)
        XCTAssertFalse(s.changes.resolverApplied)

        s.pause(id: 8, reason: "again")
        XCTAssertEqual(try answer(), RequestResult(id: 8, succeeded: true, message: "already paused"))

        s.resume(id: 9)
        XCTAssertEqual(try answer(), RequestResult(id: 9, succeeded: true, message: "resumed"))
        XCTAssertTrue(try resolv().contains("nameserver 100.64.0.1"))
        XCTAssertEqual(OperationalState.load(dir + "/operational-state.json"), .running)

        s.restoreResolver(id: 10)
        XCTAssertEqual(try answer().id, 10)
        XCTAssertEqual(try resolv(), "nameserver 192.0.2.53\n")
    }

    func testStatusIsJSON() throws {
        let s = try makeSupervisor()
        s.event("dns worker (pid 1) killed by signal 9 (SIGKILL)")
        s.status(id: 3)
        let r = try answer()
        XCTAssertEqual(r.id, 3)
        XCTAssertTrue(r.succeeded)
        let json = try JSONParser().parse(r.message)
        XCTAssertEqual(json["paused"], false)
        XCTAssertEqual(
            json["events"]?.arrayValue?.first?["message"]?.stringValue,
            "dns worker (pid 1) killed by signal 9 (SIGKILL)")
        XCTAssertEqual(json["workers"]?["proxy"]?["pid"]?.intValue, Int(Int32.max))
    }
}
