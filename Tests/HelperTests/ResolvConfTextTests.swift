import AgentConfig
import HostState
import XCTest

/// `HostState.ResolvConfText`: the resolv.conf text the helper reads and writes.
final class ResolvConfTextTests: XCTestCase {
    let ours: [IPAddress] = [.v4(IPv4Address(100, 64, 0, 1))]

    func testNameserversAsWritten() {
        let text = "# c\n; c\nnameserver 10.0.0.1\n  nameserver\tfe80::1%eth0\nnameserver\nsearch a\r\nnameserver ::1\n"
        XCTAssertEqual(ResolvConfText.nameservers(in: text), ["10.0.0.1", "fe80::1%eth0", "::1"])
        XCTAssertFalse(ResolvConfText.isOurs(text))
    }

    func testOursRecordsTheOriginalNameserversEvenNone() {
        let mine = ResolvConfText.ours(nameservers: ours, original: "options rotate\n")
        XCTAssertTrue(ResolvConfText.isOurs(mine))
        XCTAssertEqual(ResolvConfText.recordedNameservers(in: mine), [])
        XCTAssertEqual(ResolvConfText.nameservers(in: mine), ["100.64.0.1"])
        let rebuilt = ResolvConfText.rebuilt(fromOurs: mine, excluding: ours)
        XCTAssertEqual(rebuilt.text, "\(ResolvConfText.rebuiltNote)\noptions rotate\n")
        XCTAssertEqual(rebuilt.nameservers, [])
    }

    /// An earlier version took its own file as the original; its recorded list then names us.
    func testRebuildNeverNamesUs() {
        let mine = ResolvConfText.ours(nameservers: ours, original: "nameserver 100.64.0.1\nnameserver 10.0.0.9\n")
        XCTAssertEqual(ResolvConfText.recordedNameservers(in: mine), ["100.64.0.1", "10.0.0.9"])
        XCTAssertEqual(ResolvConfText.rebuilt(fromOurs: mine, excluding: ours).nameservers, ["10.0.0.9"])
        XCTAssertNil(ResolvConfText.recordedNameservers(in: "nameserver 10.0.0.9\n"))
    }
}
