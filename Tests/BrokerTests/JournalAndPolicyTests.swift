import AgentConfig
import NIOCore
import XCTest

@testable import Broker

#if canImport(Glibc)
    import Glibc
#endif

final class JournalAndPolicyTests: XCTestCase {
    func tempFD() -> CInt {
        var template = Array("/tmp/bca-broker-journal-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        let path = String(cString: template)
        unlink(path)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_APPEND)
        return fd
    }

    func testJournalRoundTripFoldsAndSkipsBrokenLines() {
        let fd = tempFD()
        defer { close(fd) }
        let journal = StatusJournalFile(fd: fd)
        var log = StatusLog()
        journal.append(log.add(.error, "controller unreachable", time: 10))
        journal.append(log.add(.error, "controller unreachable", time: 20))
        journal.append(log.add(.warning, "listing forbidden", uid: 1001, time: 30))
        _ = "{\"time\":1,\"lev".withCString { write(fd, $0, strlen($0)) }  // a crash cut this line short

        var restored = StatusLog()
        restored.restore(journal.load())
        XCTAssertEqual(
            restored.visible(to: 1001, level: .error), ["1970-01-01T00:00:20Z: controller unreachable (2 times)"])
        XCTAssertEqual(restored.visible(to: 1001, level: .warning), ["1970-01-01T00:00:30Z: listing forbidden"])
        XCTAssertEqual(restored.visible(to: 1002, level: .warning), [])
    }

    func testOversizedJournalIsCompacted() {
        let fd = tempFD()
        defer { close(fd) }
        let journal = StatusJournalFile(fd: fd)
        for i in 0..<5000 {
            journal.append(
                StatusLog.Entry(
                    level: .error, uid: nil, text: "error number \(i) " + String(repeating: "x", count: 40),
                    time: Int64(i)))
        }
        XCTAssertGreaterThan(lseek(fd, 0, SEEK_END), off_t(StatusJournalFile.maximumBytes))
        let entries = journal.load(keep: 64)
        XCTAssertEqual(entries.count, 64)
        XCTAssertTrue(entries.last!.text.hasPrefix("error number 4999"))
        XCTAssertLessThan(lseek(fd, 0, SEEK_END), off_t(StatusJournalFile.maximumBytes))
        XCTAssertEqual(journal.load().count, 64)
    }

    func testAdminGroupResolution() {
        // Group root (gid 0) is root's primary group everywhere.
        let root = AdminPolicy.resolve(groupName: "root")
        XCTAssertTrue(root.uids.contains(0))
        XCTAssertTrue(root.isAdmin(0))
        let none = AdminPolicy.resolve(groupName: "no-such-group-bca")
        XCTAssertEqual(none.uids, [])
        XCTAssertTrue(none.isAdmin(0), "root is always an admin")
        XCTAssertFalse(none.isAdmin(1000))
        XCTAssertFalse(AdminPolicy.resolve(groupName: "").isAdmin(65534))
    }

    func testSettingsFromConfiguration() throws {
        let config = try ConfigLoader.parse(
            """
            v4_prefix = "100.80.0.0/12"
            v6_prefix = "fd00:1:2:3::/64"
            alias_refresh_interval = "30s"
            session_idle_timeout = "2m"
            auto_pause_failures = 5
            auto_pause_window = "10s"
            max_connections_per_user = 7
            """, path: "test.hcl")
        let settings = BrokerSettings(configuration: config, version: "v", admin: AdminPolicy())
        XCTAssertEqual(settings.v4Base, IPText.parseV4("100.80.0.0"))
        XCTAssertEqual(settings.v4PrefixLength, 12)
        XCTAssertEqual(settings.v6Base, IPText.parseV6("fd00:1:2:3::"))
        XCTAssertEqual(settings.aliasRefreshInterval, .seconds(30))
        XCTAssertEqual(settings.sessionIdleTimeout, .minutes(2))
        XCTAssertEqual(settings.autoPauseFailures, 5)
        XCTAssertEqual(settings.autoPauseWindow, .seconds(10))
        XCTAssertEqual(settings.maxConnectionsPerUser, 7)
    }
}
