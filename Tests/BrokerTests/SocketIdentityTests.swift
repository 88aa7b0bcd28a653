import AgentAPI
import JSON
import Logging
import NIOCore
import NIOPosix
import XCTest

@testable import Broker

#if canImport(Glibc)
    import Glibc
#endif

/// The kernel-facing parts against the real kernel: sock_diag owners, SO_PEERCRED, and the local
/// API served on real sockets.
final class SocketIdentityTests: XCTestCase {
    var group: MultiThreadedEventLoopGroup!

    override func setUp() {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    override func tearDown() {
        try? group.syncShutdownGracefully()
    }

    /// A listening TCP socket on 127.0.0.1, port chosen by the kernel.
    func tcpListener() throws -> (CInt, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        XCTAssertEqual(bound, 0)
        XCTAssertEqual(listen(fd, 16), 0)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    func unixListener() throws -> (CInt, String) {
        let path = "/tmp/bca-broker-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        XCTAssertEqual(bound, 0)
        XCTAssertEqual(listen(fd, 16), 0)
        addTeardownBlock { unlink(path) }
        return (fd, path)
    }

    func testSockDiagFindsTheClientsOwnerAndNotTimeWait() throws {
        let (listener, port) = try tcpListener()
        defer { close(listener) }
        let client = try ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port).wait()
        let accepted = accept(listener, nil, nil)
        XCTAssertGreaterThanOrEqual(accepted, 0)
        let clientAddress = try XCTUnwrap(client.localAddress)
        let server = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        let owners = KernelSocketOwners()
        XCTAssertEqual(try owners.tcpOwnerUID(client: clientAddress, server: server), getuid())
        // The other direction is the server's socket, not the client's: asking for it the wrong
        // way round must not find the client.
        XCTAssertNil(try owners.tcpOwnerUID(client: try SocketAddress(ipAddress: "127.0.0.1", port: 1), server: server))
        // The client closes first, so its socket goes to TIME_WAIT: reported with uid 0 by the
        // kernel, refused here.
        try client.close().wait()
        var buffer = [UInt8](repeating: 0, count: 16)
        _ = read(accepted, &buffer, 16)
        close(accepted)
        usleep(100_000)
        XCTAssertNil(try owners.tcpOwnerUID(client: clientAddress, server: server))
    }

    func testLocalAPIServerIdentifiesCallersOnBothTransports() throws {
        let loop = group.next()
        let core = try loop.submit {
            BrokerCore(
                loop: loop, settings: BrokerSettings(version: "t"), controller: UnreachableController(loop: loop),
                dataPlane: NoWorkerDataPlane(), dns: nil, helper: nil, logger: .test)
        }.wait()
        let server = LocalAPIServer(backend: core, owners: KernelSocketOwners(), logger: .test)
        let (tcp, port) = try tcpListener()
        let (unix, path) = try unixListener()
        let tcpChannel = try server.serve(listeningSocket: tcp, transport: .tcp, group: group).wait()
        let unixChannel = try server.serve(listeningSocket: unix, transport: .unix, group: group).wait()
        defer {
            try? tcpChannel.close().wait()
            try? unixChannel.close().wait()
        }

        let request = "GET /v1/status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        for target in [SocketTarget.tcp(port), .unix(path)] {
            let answer = try rawExchange(target, request)
            XCTAssertTrue(answer.hasPrefix("HTTP/1.1 200 OK"), answer)
            let body = try XCTUnwrap(answer.components(separatedBy: "\r\n\r\n").last)
            let status = try StatusResponse(json: JSONValue(parsing: body.trimmingNewline))
            XCTAssertEqual(status.uid, getuid(), "\(target)")
        }
    }

    enum SocketTarget {
        case tcp(Int)
        case unix(String)
    }

    /// A blocking client: the plain socket calls a CLI makes.
    func rawExchange(_ target: SocketTarget, _ request: String) throws -> String {
        let fd: CInt
        switch target {
        case .tcp(let port):
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            XCTAssertEqual(rc, 0)
        case .unix(let path):
            fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
            }
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            XCTAssertEqual(rc, 0)
        }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = request.withCString { write(fd, $0, strlen($0)) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    fileprivate var trimmingNewline: String {
        var s = self
        while s.last == "\n" || s.last == "\r" { s.removeLast() }
        return s
    }

    fileprivate func components(separatedBy separator: String) -> [String] {
        var parts: [String] = []
        var rest = self[...]
        while let range = rest.firstRange(of: separator) {
            parts.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }
}
