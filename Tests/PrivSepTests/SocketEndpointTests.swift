import Glibc
import XCTest

@testable import PrivSep

final class SocketEndpointTests: XCTestCase {
    func testParsesAndPrints() throws {
        let v4 = try XCTUnwrap(SocketEndpoint("100.64.0.1", port: 53))
        XCTAssertEqual(v4.family, .inet)
        XCTAssertEqual(v4.ipv4Address, 0x6440_0001)
        XCTAssertEqual(v4.addressBytes, [100, 64, 0, 1])
        XCTAssertEqual(v4.description, "100.64.0.1:53")
        let v6 = try XCTUnwrap(SocketEndpoint("fd5b:c1a6:e7a0::1", port: 53))
        XCTAssertEqual(v6.family, .inet6)
        XCTAssertEqual(v6.addressBytes, [0xfd, 0x5b, 0xc1, 0xa6, 0xe7, 0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        XCTAssertEqual(v6.description, "[fd5b:c1a6:e7a0::1]:53")
        XCTAssertEqual(SocketEndpoint(addressBytes: v6.addressBytes, port: 53), v6)
        XCTAssertNil(SocketEndpoint("100.64.0", port: 1))
        XCTAssertNil(SocketEndpoint("db.corp", port: 1))
        XCTAssertNil(SocketEndpoint(addressBytes: [1, 2, 3], port: 1))
    }

    func testSockaddrRoundTrip() throws {
        for text in ["127.0.0.1", "::1", "fd5b:c1a6:e7a0::1"] {
            let e = try XCTUnwrap(SocketEndpoint(text, port: 4242))
            let back = e.withSockAddr { addr, _ in SocketEndpoint(sockaddr: UnsafeRawPointer(addr)) }
            XCTAssertEqual(back, e)
        }
    }
}
