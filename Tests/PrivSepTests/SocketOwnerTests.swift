import Glibc
import XCTest

@testable import PrivSep

/// NETLINK_SOCK_DIAG against real sockets on loopback. Both ends are ours, so the owner uid is our
/// uid; what these tests pin down is *which* socket the kernel finds for which request order, and the
/// inode proves it: it must be the client socket's, not the server's.
final class SocketOwnerTests: XCTestCase {
    func inode(_ fd: Int32) -> UInt32 {
        var st = stat()
        fstat(fd, &st)
        return UInt32(truncatingIfNeeded: st.st_ino)
    }

    func tcpPair(_ loopback: String) throws -> (client: Int32, accepted: Int32, listener: Int32) {
        let family = loopback.contains(":") ? AF_INET6 : AF_INET
        let listener = try Posix.socket(family, Int32(SOCK_STREAM.rawValue))
        try Posix.bind(listener, XCTUnwrap(SocketEndpoint(loopback, port: 0)))
        try Posix.listen(listener, backlog: 4)
        let client = try Posix.socket(family, Int32(SOCK_STREAM.rawValue))
        try Posix.connect(client, Posix.localEndpoint(listener))
        let accepted = try Posix.call("accept") { accept(listener, nil, nil) }
        addTeardownBlock {
            for fd in [client, accepted, listener] { Posix.closeQuietly(fd) }
        }
        return (client, accepted, listener)
    }

    func testTCPFindsTheClientSocket() throws {
        for loopback in ["127.0.0.1", "::1"] {
            let (client, accepted, _) = try tcpPair(loopback)
            // What the server sees: its peer (the client) and its own local address.
            let peer = try Posix.remoteEndpoint(accepted)
            let local = try Posix.localEndpoint(accepted)
            let owner = try XCTUnwrap(socketOwner(.tcp, client: peer, server: local), loopback)
            XCTAssertEqual(owner.uid, getuid())
            XCTAssertEqual(owner.inode, inode(client), "\(loopback): must be the client's socket")
            // The other order names the server's accepted socket instead.
            let reversed = try XCTUnwrap(socketOwner(.tcp, client: local, server: peer))
            XCTAssertEqual(reversed.inode, inode(accepted))
        }
    }

    func testUDPFindsTheClientSocket() throws {
        for loopback in ["127.0.0.1", "::1"] {
            let family = loopback.contains(":") ? AF_INET6 : AF_INET
            let server = try Posix.socket(family, Int32(SOCK_DGRAM.rawValue))
            defer { Posix.closeQuietly(server) }
            try Posix.bind(server, XCTUnwrap(SocketEndpoint(loopback, port: 0)))
            let serverEnd = try Posix.localEndpoint(server)
            // A connected client (what dig and glibc's resolver use) and an unconnected one.
            for connected in [true, false] {
                let client = try Posix.socket(family, Int32(SOCK_DGRAM.rawValue))
                defer { Posix.closeQuietly(client) }
                if connected {
                    try Posix.connect(client, serverEnd)
                } else {
                    try Posix.bind(client, XCTUnwrap(SocketEndpoint(loopback, port: 0)))
                }
                // The query's source, as the server's recvmsg would report it.
                let source = try Posix.localEndpoint(client)
                let owner = try XCTUnwrap(
                    socketOwner(.udp, client: source, server: serverEnd), "\(loopback) connected=\(connected)")
                XCTAssertEqual(owner.uid, getuid())
                XCTAssertEqual(owner.inode, inode(client), "\(loopback) connected=\(connected)")
            }
        }
    }

    func testUnknownSocketIsNil() throws {
        let a = try XCTUnwrap(SocketEndpoint("127.0.0.1", port: 1))
        let b = try XCTUnwrap(SocketEndpoint("127.0.0.1", port: 2))
        XCTAssertNil(try socketOwner(.tcp, client: a, server: b))
        XCTAssertNil(try socketOwner(.udp, client: a, server: b))
        // Mixed families never match.
        XCTAssertNil(try socketOwner(.tcp, client: a, server: XCTUnwrap(SocketEndpoint("::1", port: 2))))
    }

    /// The kept-open socket gives the same answers as the one-shot lookup, lookup after lookup, and
    /// a miss in between (an NLMSG_ERROR reply) does not confuse the next one.
    func testKeptSocketAnswersLikeTheOneShot() throws {
        let query = SocketOwnerQuery()
        for loopback in ["127.0.0.1", "::1"] {
            let (client, accepted, _) = try tcpPair(loopback)
            let peer = try Posix.remoteEndpoint(accepted)
            let local = try Posix.localEndpoint(accepted)
            for _ in 0..<3 {
                XCTAssertEqual(try query.owner(.tcp, client: peer, server: local)?.inode, inode(client), loopback)
                let nowhere = try XCTUnwrap(SocketEndpoint(loopback, port: 1))
                XCTAssertNil(try query.owner(.tcp, client: nowhere, server: local))
                XCTAssertEqual(
                    try query.owner(.tcp, client: peer, server: local),
                    try socketOwner(.tcp, client: peer, server: local))
            }
        }
    }
}
