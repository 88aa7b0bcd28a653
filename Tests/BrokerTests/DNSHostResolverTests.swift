import BoundaryAPI
import Foundation
import NIOCore
import NIOPosix
import XCTest

@testable import Broker

/// The sandbox's resolver against a real DNS server (dnsmasq on a loopback port, answering from
/// its own table, no upstream).
final class DNSHostResolverTests: XCTestCase {
    var dnsmasq: Process?
    var port = 0
    var group: MultiThreadedEventLoopGroup!

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/dnsmasq") else {
            throw XCTSkip("needs dnsmasq (make deps installs it)")
        }
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        // dnsmasq needs a fixed port, on a machine where other tests run too: one below the kernel's
        // ephemeral range (32768-60999, where outgoing sockets take theirs), and another one when
        // dnsmasq exits because the port is taken after all.
        for _ in 0..<5 {
            port = Int.random(in: 20_000..<32_000)
            if try startDNSMasq() { return }
        }
        XCTFail("dnsmasq did not start on any of 5 ports")
    }

    /// Starts dnsmasq on `port`; true once it answers, false when it exited (port in use).
    func startDNSMasq() throws -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/dnsmasq")
        process.arguments = [
            "--keep-in-foreground", "--no-resolv", "--no-hosts", "--no-dhcp-interface=", "--bind-interfaces",
            "--listen-address=127.0.0.1", "--port=\(port)", "--user=root",
            "--address=/ctl.bca.test/127.0.0.9", "--address=/ctl.bca.test/::9",
            "--address=/v4only.bca.test/127.0.0.10", "--pid-file=",
        ]
        // 40 addresses: over 512 bytes (TC without EDNS), within EDNS's 1,232. 100: TC even with EDNS.
        process.arguments! += (1...40).map { "--host-record=forty.bca.test,127.0.2.\($0)" }
        process.arguments! += (1...100).map { "--host-record=hundred.bca.test,127.0.1.\($0)" }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        dnsmasq = process
        let resolver = DNSHostResolver(
            server: try SocketAddress(ipAddress: "127.0.0.1", port: port), timeout: .milliseconds(200))
        for _ in 0..<50 {
            if (try? resolver.resolve(host: "ctl.bca.test", port: 1, on: group.next()).wait()) != nil { return true }
            if !process.isRunning { break }
        }
        process.terminate()
        process.waitUntilExit()
        dnsmasq = nil
        return false
    }

    override func tearDown() {
        dnsmasq?.terminate()
        dnsmasq?.waitUntilExit()
        try? group?.syncShutdownGracefully()
    }

    func resolver() throws -> DNSHostResolver {
        DNSHostResolver(server: try SocketAddress(ipAddress: "127.0.0.1", port: port), timeout: .seconds(2))
    }

    func testResolvesBothFamiliesIPv6First() throws {
        let addresses = try resolver().resolve(host: "ctl.bca.test", port: 9200, on: group.next()).wait()
        XCTAssertEqual(
            addresses,
            [try SocketAddress(ipAddress: "::9", port: 9200), try SocketAddress(ipAddress: "127.0.0.9", port: 9200)])
    }

    func testOverTCPToo() throws {
        let tcp = DNSHostResolver(server: try SocketAddress(ipAddress: "127.0.0.1", port: port), transport: .tcp)
        let addresses = try tcp.resolve(host: "ctl.bca.test", port: 9200, on: group.next()).wait()
        XCTAssertEqual(
            addresses,
            [try SocketAddress(ipAddress: "::9", port: 9200), try SocketAddress(ipAddress: "127.0.0.9", port: 9200)])
    }

    func testAnswersAreCached() throws {
        let r = try resolver()
        _ = try r.resolve(host: "ctl.bca.test", port: 1, on: group.next()).wait()
        dnsmasq?.terminate()
        dnsmasq?.waitUntilExit()
        let again = try r.resolve(host: "CTL.bca.test.", port: 443, on: group.next()).wait()
        XCTAssertEqual(
            again.last, try SocketAddress(ipAddress: "127.0.0.9", port: 443), "from the cache, with the new port")
    }

    func testV4Only() throws {
        let addresses = try resolver().resolve(host: "v4only.bca.test", port: 443, on: group.next()).wait()
        XCTAssertEqual(addresses, [try SocketAddress(ipAddress: "127.0.0.10", port: 443)])
    }

    /// An answer longer than 512 bytes fits a datagram thanks to EDNS; one too long even for that
    /// (TC) is asked again over TCP, so no address is left out.
    func testLongAnswersComeWhole() throws {
        let forty = try resolver().resolve(host: "forty.bca.test", port: 443, on: group.next()).wait()
        XCTAssertEqual(Set(forty), Set(try (1...40).map { try SocketAddress(ipAddress: "127.0.2.\($0)", port: 443) }))
        let hundred = try resolver().resolve(host: "hundred.bca.test", port: 443, on: group.next()).wait()
        XCTAssertEqual(
            Set(hundred), Set(try (1...100).map { try SocketAddress(ipAddress: "127.0.1.\($0)", port: 443) }))
    }

    func testUnknownNameFails() throws {
        XCTAssertThrowsError(try resolver().resolve(host: "nope.bca.test", port: 1, on: group.next()).wait()) { error in
            guard case .resolutionFailed = error as? ControllerError else { return XCTFail("\(error)") }
        }
    }

    func testSilentServerTimesOut() throws {
        let silent = DNSHostResolver(
            server: try SocketAddress(ipAddress: "127.0.0.1", port: 9), timeout: .milliseconds(300))
        let start = NIODeadline.now()
        XCTAssertThrowsError(try silent.resolve(host: "ctl.bca.test", port: 1, on: group.next()).wait())
        XCTAssertLessThan(NIODeadline.now() - start, .seconds(2))
    }
}
