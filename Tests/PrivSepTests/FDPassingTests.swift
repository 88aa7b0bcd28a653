import Glibc
import XCTest

@testable import PrivSep

final class FDPassingTests: XCTestCase {
    func seqpacketPair() throws -> (Int32, Int32) {
        let pair = try Posix.socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue))
        addTeardownBlock {
            Posix.closeQuietly(pair.0)
            Posix.closeQuietly(pair.1)
        }
        return pair
    }

    func testRoundTripWithFDs() throws {
        let (a, b) = try seqpacketPair()
        let (p0, p1) = try Posix.socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue))
        defer { Posix.closeQuietly(p1) }
        try FDPassing.send(a, [1, 2, 3], fds: [p0])
        Posix.closeQuietly(p0)
        let m = try XCTUnwrap(FDPassing.receive(b, maxLength: 64))
        XCTAssertEqual(m.bytes, [1, 2, 3])
        XCTAssertEqual(m.fds.count, 1)
        defer { m.closeFDs() }
        // The passed fd is the same socket: bytes written at p1 arrive on it.
        try Posix.write(p1, [42])
        XCTAssertEqual(try Posix.read(m.fds[0], count: 1), [42])
        // MSG_CMSG_CLOEXEC: received fds are close-on-exec.
        XCTAssertEqual(fcntl(m.fds[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC)
    }

    func testOversizedMessageIsRefusedAndItsFDsClosed() throws {
        let (a, b) = try seqpacketPair()
        let (p0, p1) = try Posix.socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue))
        defer { Posix.closeQuietly(p1) }
        try FDPassing.send(a, [UInt8](repeating: 7, count: 100), fds: [p0])
        Posix.closeQuietly(p0)
        XCTAssertThrowsError(try FDPassing.receive(b, maxLength: 10)) { error in
            XCTAssertEqual(error as? PrivSepError, .truncatedMessage(length: 100, limit: 10))
        }
        // The only copy of p0 went with the refused message, so p1 now sees end of file.
        XCTAssertEqual(try Posix.read(p1, count: 1), [])
    }

    func testTooManyFDsIsRefused() throws {
        let (a, b) = try seqpacketPair()
        let (p0, p1) = try Posix.socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue))
        defer {
            Posix.closeQuietly(p0)
            Posix.closeQuietly(p1)
        }
        try FDPassing.send(a, [1], fds: [p0, p1])
        XCTAssertThrowsError(try FDPassing.receive(b, maxLength: 10, maxFDs: 1)) { error in
            XCTAssertEqual(error as? PrivSepError, .truncatedControlData)
        }
    }

    func testNonBlockingEmptyAndEndOfFile() throws {
        let (a, b) = try seqpacketPair()
        XCTAssertNil(try FDPassing.receive(b, maxLength: 10, nonBlocking: true))
        Posix.closeQuietly(a)
        XCTAssertThrowsError(try FDPassing.receive(b, maxLength: 10)) { error in
            XCTAssertEqual(error as? PrivSepError, .endOfFile)
        }
    }

    func testPeerCredentials() throws {
        let (a, _) = try seqpacketPair()
        let c = try peerCredentials(a)
        XCTAssertEqual(c.uid, getuid())
        XCTAssertEqual(c.gid, getgid())
        XCTAssertEqual(c.pid, getpid())
    }

    func testSyscallErrorNamesTheCallAndErrno() throws {
        XCTAssertThrowsError(try Posix.open("/nonexistent/x", O_RDONLY)) { error in
            XCTAssertEqual("\(error)", "open /nonexistent/x: No such file or directory (errno 2)")
        }
    }
}
