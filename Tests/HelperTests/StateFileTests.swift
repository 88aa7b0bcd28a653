import Glibc
import HostState
import PrivSep
import XCTest

@testable import privileged_helper

final class StateFileTests: XCTestCase {
    func testEveryChangeRoundTripsThroughTheFile() throws {
        let path = "/tmp/bca-statefile-\(getpid()).json"
        defer { try? Posix.unlinkIfPresent(path) }
        var state = StateFile(path: path)
        let changes: [SystemChange] = [
            .address(family: AF_INET, address: [100, 64, 0, 1], prefixLength: 32, interface: "lo"),
            .address(
                family: AF_INET6, address: [0xfd, 0x5b, 0xc1, 0xa6, 0xe7, 0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
                prefixLength: 128, interface: "lo"),
            .localRoute(family: AF_INET, prefix: [100, 64, 0, 0], prefixLength: 10, interface: "lo"),
            .firewall(table: "boundary_client_agent"),
            .socketFile(path: "/run/boundary-client-agent/agent.sock"),
            .resolver(
                ResolverBackup(path: "/etc/resolv.conf", original: .file(content: Array("a\n\"é\"".utf8), mode: 0o644))),
            .resolver(
                ResolverBackup(path: "/etc/resolv.conf", original: .file(content: [0xff, 0x00, 0x0a], mode: 0o600))),
            .resolver(ResolverBackup(path: "/etc/resolv.conf", original: .symlink(target: "../run/resolv.conf"))),
            .resolver(ResolverBackup(path: "/etc/resolv.conf", original: .absent)),
        ]
        for c in changes { try state.record(c) }
        let loaded = try XCTUnwrap(StateFile.load(path))
        XCTAssertEqual(loaded.changes, changes)
        XCTAssertEqual(loaded.pid, getpid())
        state = loaded
        try state.forget(changes[3])
        XCTAssertEqual(try StateFile.load(path)?.changes.count, changes.count - 1)
        try state.remove()
        XCTAssertNil(try StateFile.load(path))
    }

    func testAForeignFileIsRefused() throws {
        let path = "/tmp/bca-statefile-bad-\(getpid()).json"
        defer { try? Posix.unlinkIfPresent(path) }
        for text in ["not json", #"{"version": 2, "changes": []}"#, #"{"version": 1, "changes": [{"kind": "x"}]}"#] {
            let fd = try Posix.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
            try Posix.write(fd, Array(text.utf8))
            try Posix.close(fd)
            XCTAssertThrowsError(try StateFile.load(path), text)
        }
    }
}
