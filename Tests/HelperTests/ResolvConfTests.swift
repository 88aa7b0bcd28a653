import AgentConfig
import Glibc
import HostState
import PrivSep
import XCTest

@testable import privileged_helper

/// resolv.conf mode against real files in a temp directory; the rename seam fails with EBUSY/EXDEV
/// as on a bind mount.
final class ResolvConfTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        var template = Array("/tmp/bca-resolvconf.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw PrivSepError.syscall("mkdtemp", errno) }
        dir = String(cString: made)
    }

    override func tearDown() {
        _ = try? Posix.call("rm") { system("rm -rf '\(dir)'") }
    }

    /// Real files, but rename() fails as it does onto a bind-mounted /etc/resolv.conf.
    struct BindMountedFiles: ResolvFiles {
        var real = SystemFiles()
        var renameErrno: Int32 = EBUSY
        func lstat(_ path: String) throws -> stat? { try real.lstat(path) }
        func read(_ path: String) throws -> [UInt8] { try real.read(path) }
        func readlink(_ path: String) throws -> String? { try real.readlink(path) }
        func isMountPoint(_ path: String) -> Bool { false }  // undetected: the fallback must catch it
        func writeNew(_ path: String, _ bytes: [UInt8], mode: UInt32) throws {
            try real.writeNew(path, bytes, mode: mode)
        }
        func rename(_ from: String, _ to: String) throws { throw PrivSepError.syscall("rename", renameErrno) }
        func rewriteInPlace(_ path: String, _ bytes: [UInt8]) throws { try real.rewriteInPlace(path, bytes) }
        func symlink(target: String, at path: String) throws { try real.symlink(target: target, at: path) }
        func unlink(_ path: String) throws { try real.unlink(path) }
        func interfaceIndex(_ name: String) -> UInt32? { name == "eth0" ? 3 : nil }
    }

    let ours: [IPAddress] = [.v4(IPv4Address(100, 64, 0, 1)), .v6(IPv6Address(high: 0xfd5b_c1a6_e7a0_0000, low: 1))]
    let originalUpstreams = [
        UpstreamServer(address: .v4(IPv4Address(192, 0, 2, 53))),
        UpstreamServer(address: .v6(IPv6Address(high: 0xfd00_0000_0000_0000, low: 0x53))),
    ]
    let original =
        "# from DHCP\nnameserver 192.0.2.53\nnameserver fd00::53\nsearch corp.example\noptions edns0 ndots:2\n"

    func write(_ path: String, _ text: String, mode: mode_t = 0o644) throws {
        let fd = try Posix.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
        try Posix.write(fd, Array(text.utf8))
        try Posix.close(fd)
        try Posix.chmod(path, mode)
    }

    func read(_ path: String) throws -> String {
        String(decoding: try Posix.readFile(path, limit: 1 << 20), as: UTF8.self)
    }

    func testApplyAndRevertAFile() throws {
        let path = dir + "/resolv.conf"
        try write(path, original, mode: 0o640)
        let r = ResolvConf(path: path)
        XCTAssertEqual(
            try r.baseUpstreams(),
            originalUpstreams)
        let backup = try r.backup()
        XCTAssertFalse(r.isOurs())
        try r.apply(nameservers: ours)
        XCTAssertTrue(r.isOurs())
        XCTAssertEqual(
            try read(path),
            "\(ResolvConfText.marker)\n# boundary-client-agent: nameservers before the agent: 192.0.2.53 fd00::53\n"
                + "nameserver 100.64.0.1\nnameserver fd5b:c1a6:e7a0::1\nsearch corp.example\noptions edns0 ndots:2\n")
        XCTAssertTrue(try r.revert(backup))
        XCTAssertEqual(try read(path), original, "byte-identical")
        XCTAssertEqual(try Posix.lstat(path)!.st_mode & 0o7777, 0o640, "mode restored")
        XCTAssertNil(try Posix.lstat(r.tempPath), "no temp file left")
    }

    func testSymlinkStaysASymlink() throws {
        let target = dir + "/stub-resolv.conf"
        try write(target, original)
        let path = dir + "/resolv.conf"
        try Posix.symlink(target: "stub-resolv.conf", at: path)
        let r = ResolvConf(path: path)
        let backup = try r.backup()
        XCTAssertEqual(backup.original, .symlink(target: "stub-resolv.conf"))
        try r.apply(nameservers: ours)
        XCTAssertNil(try Posix.readlink(path), "ours is a plain file in place of the link")
        XCTAssertEqual(try read(target), original, "the link's target was not written through")
        XCTAssertTrue(try r.revert(backup))
        XCTAssertEqual(try Posix.readlink(path), "stub-resolv.conf", "the symlink is back, same target")
    }

    func testBindMountFallsBackToRewriteInPlace() throws {
        for err in [EBUSY, EXDEV] {
            let path = dir + "/resolv.conf"
            try write(path, original)
            var r = ResolvConf(path: path)
            r.files = BindMountedFiles(renameErrno: err)
            let backup = try r.backup()
            try r.apply(nameservers: ours)
            XCTAssertTrue(r.isOurs(), "errno \(err)")
            XCTAssertNil(try Posix.lstat(r.tempPath), "the temp file is removed after the failed rename")
            XCTAssertTrue(try r.revert(backup))
            XCTAssertEqual(try read(path), original)
        }
        // Another rename error is not a bind mount: it is reported.
        let path = dir + "/resolv.conf"
        var r = ResolvConf(path: path)
        r.files = BindMountedFiles(renameErrno: EACCES)
        XCTAssertThrowsError(try r.apply(nameservers: ours))
    }

    func testRevertOnlyWhileStillOurs() throws {
        let path = dir + "/resolv.conf"
        try write(path, original)
        let r = ResolvConf(path: path)
        let backup = try r.backup()
        try r.apply(nameservers: ours)
        // NetworkManager (say) rewrites the file while we run.
        try write(path, "nameserver 198.51.100.1\n")
        XCTAssertFalse(r.isOurs())
        XCTAssertFalse(try r.revert(backup), "not ours any more: left alone")
        XCTAssertEqual(try read(path), "nameserver 198.51.100.1\n")
    }

    /// A link-local nameserver keeps its interface (as an index, for the worker's connect); one whose
    /// interface is not there, or whose zone is not one, is left out and the others still count.
    func testScopedNameserversKeepTheirInterface() throws {
        let path = dir + "/resolv.conf"
        try write(
            path,
            "nameserver fe80::1%eth0\nnameserver fe80::2%7\nnameserver fe80::3%nosuch\nnameserver fe80::4%\n"
                + "nameserver 192.0.2.1%eth0\nnameserver fe80::5%0\nnameserver fe80::6%averylonginterfacename\n"
                + "nameserver 192.0.2.53\n")
        var r = ResolvConf(path: path)
        r.files = BindMountedFiles()
        let linkLocal = { (low: UInt64) in IPAddress.v6(IPv6Address(high: 0xfe80_0000_0000_0000, low: low)) }
        let upstreams = try r.baseUpstreams()
        XCTAssertEqual(
            upstreams,
            [
                UpstreamServer(address: linkLocal(1), link: .init(index: 3, name: "eth0")),
                UpstreamServer(address: linkLocal(2), link: .init(index: 7, name: "7")),
                UpstreamServer(address: .v4(IPv4Address(192, 0, 2, 53))),
            ])
        XCTAssertEqual(upstreams.map(\.description), ["[fe80::1%eth0]:53", "[fe80::2%7]:53", "192.0.2.53:53"])
    }

    func testAbsentFileIsRemovedAgain() throws {
        let path = dir + "/resolv.conf"
        let r = ResolvConf(path: path)
        let backup = try r.backup()
        XCTAssertEqual(backup.original, .absent)
        XCTAssertEqual(try r.baseUpstreams(), [])
        try r.apply(nameservers: ours)
        XCTAssertTrue(r.isOurs())
        XCTAssertTrue(try r.revert(backup))
        XCTAssertNil(try Posix.lstat(path))
    }

    /// A file of ours is never taken as the original: after a lost backup it names a dead agent.
    func testOurOwnFileIsNeverBackedUp() throws {
        let path = dir + "/resolv.conf"
        try write(path, original)
        let r = ResolvConf(path: path)
        try r.apply(nameservers: ours)
        XCTAssertThrowsError(try r.backup())
    }

    /// The state file (and its backup) is gone, the file is still ours: rebuilt from the nameservers
    /// it recorded, ours left out, search and options kept, no marker.
    func testAnOrphanedFileOfOursIsRebuilt() throws {
        let path = dir + "/resolv.conf"
        try write(path, original)
        let r = ResolvConf(path: path)
        XCTAssertNil(try r.rebuildOrphan(excluding: ours), "not ours: nothing to do")
        XCTAssertEqual(try read(path), original)
        try r.apply(nameservers: ours)
        XCTAssertEqual(try r.rebuildOrphan(excluding: ours), ["192.0.2.53", "fd00::53"])
        XCTAssertEqual(
            try read(path),
            "\(ResolvConfText.rebuiltNote)\nnameserver 192.0.2.53\nnameserver fd00::53\nsearch corp.example\n"
                + "options edns0 ndots:2\n")
        XCTAssertFalse(r.isOurs())
        XCTAssertEqual(
            try r.baseUpstreams(),
            originalUpstreams)
        XCTAssertNil(try r.rebuildOrphan(excluding: ours), "twice is a no-op")

        // A file of ours from before the agent recorded the nameservers: none are known.
        try write(path, "\(ResolvConfText.marker)\nnameserver 100.64.0.1\nsearch corp.example\n")
        XCTAssertEqual(try r.rebuildOrphan(excluding: ours), [])
        XCTAssertEqual(try read(path), "\(ResolvConfText.rebuiltNote)\nsearch corp.example\n")
        XCTAssertEqual(try r.baseUpstreams(), [])
    }
}
