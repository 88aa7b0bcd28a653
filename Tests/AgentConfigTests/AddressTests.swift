import AgentConfig
import XCTest

/// IPv4/IPv6 text forms (RFC 4291 in, RFC 5952 out), prefixes, upstream server entries.
final class AddressTests: XCTestCase {
    func testIPv4Parsing() {
        XCTAssertEqual(IPv4Address("192.0.2.1")?.value, 0xC000_0201)
        XCTAssertEqual(IPv4Address("0.0.0.0")?.value, 0)
        XCTAssertEqual(IPv4Address("255.255.255.255")?.value, .max)
        XCTAssertEqual(IPv4Address("100.64.0.1")?.bytes, [100, 64, 0, 1])
        XCTAssertEqual(IPv4Address(bytes: [10, 1, 2, 3])?.description, "10.1.2.3")
        XCTAssertNil(IPv4Address(bytes: [10, 1, 2]))
        for bad in [
            "", "1", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "01.2.3.4", "1.2.3.04", "1..3.4", ".1.2.3",
            "1.2.3.4.", " 1.2.3.4", "1.2.3.4 ", "1.2.3.-4", "a.b.c.d", "1.2.3.4/8", "1111.2.3.4", "0x1.2.3.4",
        ] {
            XCTAssertNil(IPv4Address(bad), bad)
        }
    }

    func testIPv6ParsingAndRFC5952Printing() {
        // (input, RFC 5952 output)
        let cases = [
            ("::", "::"), ("::1", "::1"), ("1::", "1::"),
            ("2001:DB8:0:0:0:0:2:1", "2001:db8::2:1"),
            ("2001:db8::0:1", "2001:db8::1"),
            ("2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"),  // §4.2.3: first of equal runs
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  // §4.2.2: a single zero group stays
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),  // §4.2.3: the longest run
            ("fd5b:c1a6:e7a0::", "fd5b:c1a6:e7a0::"),
            ("fd5b:c1a6:e7a0::1", "fd5b:c1a6:e7a0::1"),
            ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),  // §5
            ("::ffff:c000:0201", "::ffff:192.0.2.1"),
            ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
            ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
            ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"),
            ("0:0:0:0:0:0:0:0", "::"),
            ("fe80:0:0:0:0:0:0:0", "fe80::"),
        ]
        for (input, output) in cases {
            XCTAssertEqual(IPv6Address(input)?.description, output, input)
            XCTAssertEqual(IPv6Address(output), IPv6Address(input), output)
        }
        XCTAssertEqual(
            IPv6Address("fd5b:c1a6:e7a0::1")?.bytes, [0xfd, 0x5b, 0xc1, 0xa6, 0xe7, 0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        XCTAssertEqual(IPv6Address("1:2:3:4:5:6:7:8")?.groups, [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertEqual(IPv6Address(bytes: IPv6Address("2001:db8::1")!.bytes)?.description, "2001:db8::1")
        for bad in [
            "", ":", ":::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::", ":1::", "1::2:",
            "1:2:3:4:5:6:7:8::", "::1.2.3", "::1.2.3.4:5", "1.2.3.4", "fe80::1%eth0", "[::1]", "::ffff:256.1.1.1",
            "1:2:3:4:5:6:7:1.2.3.4", " ::1", "::1 ",
        ] {
            XCTAssertNil(IPv6Address(bad), bad)
        }
    }

    func testIPAddress() {
        XCTAssertEqual(IPAddress("10.0.0.1"), .v4(IPv4Address(10, 0, 0, 1)))
        XCTAssertEqual(IPAddress("::1")?.family, .v6)
        XCTAssertEqual(IPAddress("::1")?.bytes.count, 16)
        XCTAssertEqual(IPAddress("::1")?.description, "::1")
        XCTAssertNil(IPAddress("localhost"))
    }

    func testIPv4Prefix() throws {
        let p = try XCTUnwrap(IPv4Prefix("100.64.0.0/10"))
        XCTAssertEqual(p.address, IPv4Address(100, 64, 0, 0))
        XCTAssertEqual(p.length, 10)
        XCTAssertEqual(p.netmask.description, "255.192.0.0")
        XCTAssertEqual(p.addressCount, 1 << 22)
        XCTAssertEqual(p.lastAddress.description, "100.127.255.255")
        XCTAssertTrue(p.contains(IPv4Address(100, 127, 255, 255)))
        XCTAssertFalse(p.contains(IPv4Address(100, 128, 0, 0)))
        XCTAssertFalse(p.contains(IPv4Address(100, 63, 255, 255)))
        XCTAssertEqual(p.address(atOffset: 0)?.description, "100.64.0.0")
        XCTAssertEqual(p.address(atOffset: 1)?.description, "100.64.0.1")
        XCTAssertEqual(p.address(atOffset: 0x3F_FFFF)?.description, "100.127.255.255")
        XCTAssertNil(p.address(atOffset: 0x40_0000))
        XCTAssertEqual(p.description, "100.64.0.0/10")
        XCTAssertNil(IPv4Prefix("100.64.0.1/10"), "host bits")
        XCTAssertNil(IPv4Prefix("100.64.0.0/33"))
        XCTAssertNil(IPv4Prefix("100.64.0.0"))
        XCTAssertNil(IPv4Prefix("100.64.0.0/"))
        XCTAssertNil(IPv4Prefix("100.64.0.0/+8"))
        XCTAssertEqual(IPv4Prefix(masking: IPv4Address(100, 100, 1, 1), length: 10)?.description, "100.64.0.0/10")
        XCTAssertEqual(IPv4Prefix("0.0.0.0/0")?.addressCount, 1 << 32)
        XCTAssertTrue(IPv4Prefix("0.0.0.0/0")!.contains(IPv4Address(1, 2, 3, 4)))
        XCTAssertEqual(IPv4Prefix("1.2.3.4/32")?.lastAddress.description, "1.2.3.4")
    }

    func testIPv6Prefix() throws {
        let p = try XCTUnwrap(IPv6Prefix("fd5b:c1a6:e7a0::/64"))
        XCTAssertEqual(p.length, 64)
        XCTAssertEqual(p.hostBits, 64)
        XCTAssertEqual(p.address(atOffset: 1)?.description, "fd5b:c1a6:e7a0::1")
        XCTAssertEqual(p.address(atOffset: .max)?.description, "fd5b:c1a6:e7a0:0:ffff:ffff:ffff:ffff")
        XCTAssertEqual(p.lastAddress.description, "fd5b:c1a6:e7a0:0:ffff:ffff:ffff:ffff")
        XCTAssertTrue(p.contains(IPv6Address("fd5b:c1a6:e7a0::abcd")!))
        XCTAssertFalse(p.contains(IPv6Address("fd5b:c1a6:e7a0:1::")!))
        let small = try XCTUnwrap(IPv6Prefix("fd00::ab:0/112"))
        XCTAssertEqual(small.address(atOffset: 0xffff)?.description, "fd00::ab:ffff")
        XCTAssertNil(small.address(atOffset: 0x1_0000))
        let wide = try XCTUnwrap(IPv6Prefix("fd00::/48"))
        XCTAssertTrue(wide.contains(IPv6Address("fd00:0:0:ffff::1")!))
        XCTAssertTrue(wide.contains(p) == false)
        XCTAssertTrue(IPv6Prefix("fc00::/7")!.contains(p))
        XCTAssertNil(IPv6Prefix("fd00::1/64"), "host bits")
        XCTAssertNil(IPv6Prefix("fd00::/129"))
        XCTAssertEqual(IPv6Prefix(masking: IPv6Address("fd00::1:2:3")!, length: 100)?.description, "fd00::1:0:0/100")
        XCTAssertEqual(IPv6Prefix("::/0")?.lastAddress.description, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
    }

    func testUpstreamServerParsing() {
        XCTAssertEqual(UpstreamServer("8.8.8.8"), UpstreamServer(address: .v4(IPv4Address(8, 8, 8, 8)), port: 53))
        XCTAssertEqual(UpstreamServer("8.8.4.4:5353")?.port, 5353)
        XCTAssertEqual(UpstreamServer("[::1]:53")?.address.description, "::1")
        XCTAssertEqual(UpstreamServer("::1")?.port, 53)
        XCTAssertEqual(UpstreamServer("[::1]")?.port, 53)
        XCTAssertEqual(UpstreamServer("::1:53")?.description, "[::1:53]:53", "a bare IPv6 address has no port")
        XCTAssertEqual(UpstreamServer.parse("dns.google"), .failure(.hostname("dns.google")))
        XCTAssertEqual(UpstreamServer.parse("8.8.8.8:0"), .failure(.portOutOfRange("0")))
        XCTAssertEqual(
            UpstreamServer.parse("8.8.8.8:99999999999999999999"), .failure(.portOutOfRange("99999999999999999999")))
        XCTAssertEqual(UpstreamServer.parse("8.8.8.8:+53"), .failure(.invalidPort("+53")))
        XCTAssertEqual(UpstreamServer.parse("[::1"), .failure(.unclosedBracket))
        XCTAssertEqual(UpstreamServer.parse("[::1]53"), .failure(.invalidAddress("[::1]53")))
        XCTAssertEqual(UpstreamServer.parse("[dns]:53"), .failure(.invalidAddress("dns")))
        XCTAssertEqual(UpstreamServer.parse(""), .failure(.empty))
        XCTAssertEqual(UpstreamServer.parse("1.2.3.4.5"), .failure(.invalidAddress("1.2.3.4.5")))
        for text in ["10.0.0.1:53", "[fd00::53]:5353"] {
            XCTAssertEqual(UpstreamServer(text)?.description, text)
        }
    }
}
