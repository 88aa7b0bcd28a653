import AgentConfig
import DNSCodec
import XCTest

final class AddressAndNameTests: XCTestCase {
    func testIPv4ParsesCanonicalTextOnly() {
        XCTAssertEqual(IPv4Address("100.64.0.1"), IPv4Address(100, 64, 0, 1))
        XCTAssertEqual(IPv4Address("0.0.0.0")?.value, 0)
        XCTAssertEqual(IPv4Address("255.255.255.255")?.value, UInt32.max)
        for bad in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1..2.3", "a.b.c.d", "1.2.3.4 ", "1.2.3.-4"] {
            XCTAssertNil(IPv4Address(bad), bad)
        }
        XCTAssertEqual(IPv4Address(192, 0, 2, 1).description, "192.0.2.1")
    }

    func testIPv6ParsesAndFormatsRFC5952() {
        let cases: [(String, String)] = [
            ("fd5b:c1a6:e7a0::1", "fd5b:c1a6:e7a0::1"),
            ("::", "::"),
            ("::1", "::1"),
            ("2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("2001:db8::ffff:192.0.2.1", "2001:db8::ffff:c000:201"),
            ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
            ("1::", "1::"),
            ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"),
        ]
        for (text, canonical) in cases {
            XCTAssertEqual(IPv6Address(text)?.description, canonical, text)
        }
        for bad in ["", ":", ":::", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::", "1:2:3:4:5:6:7:", "::1.2.3"] {
            XCTAssertNil(IPv6Address(bad), bad)
        }
        XCTAssertEqual(IPv6Address("::1")?.bytes, [UInt8](repeating: 0, count: 15) + [1])
    }

    func testNameParsingAndPresentation() throws {
        let name = try DNSName("Web.Boundary.Dev.")
        XCTAssertEqual(name.wire, [3, 87, 101, 98, 8] + Array("Boundary".utf8) + [3] + Array("Dev".utf8) + [0])
        XCTAssertEqual(name, try DNSName("web.boundary.dev"))
        XCTAssertEqual(name.hashValue, try DNSName("WEB.BOUNDARY.DEV").hashValue)
        XCTAssertEqual(name.description, "Web.Boundary.Dev.")
        XCTAssertEqual(try DNSName(".").isRoot, true)
        XCTAssertEqual(try DNSName("").isRoot, true)
        XCTAssertEqual(try DNSName("a\\.b.c").labels.count, 2)
        XCTAssertEqual(try DNSName("a\\.b.c").description, "a\\.b.c.")
        XCTAssertEqual(try DNSName("\\065b").wire, [2, 65, 98, 0])
        XCTAssertEqual(try DNSName("\\000").description, "\\000.")
    }

    func testNameLimits() throws {
        let label63 = String(repeating: "a", count: 63)
        XCTAssertNoThrow(try DNSName(label63 + ".x"))
        XCTAssertThrowsError(try DNSName(label63 + "a.x"))
        // 4 × 63-byte labels = 256 wire bytes with the root: one too many.
        XCTAssertThrowsError(try DNSName([label63, label63, label63, label63].joined(separator: ".")))
        XCTAssertNoThrow(
            try DNSName([label63, label63, label63, String(repeating: "b", count: 61)].joined(separator: ".")))
        for bad in ["a..b", ".a", "a\\", "a\\25", "\\256"] {
            XCTAssertThrowsError(try DNSName(bad), bad)
        }
        XCTAssertThrowsError(try DNSName(wire: [1, 65]))
        XCTAssertThrowsError(try DNSName(wire: [64] + [UInt8](repeating: 65, count: 64) + [0]))
        XCTAssertThrowsError(try DNSName(wire: [1, 65, 0, 0]))
    }
}
