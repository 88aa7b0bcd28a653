import DNSCodec
import Glibc
import NIOCore

/// A blocking DNS client on plain kernel sockets, the way a stub resolver asks: one UDP datagram or one
/// TCP connection with 2-byte framing. Returns nil on timeout or close.
enum TestClient {
    static func socket(for address: SocketAddress, type: Int32) -> CInt {
        let family = address.protocol.rawValue
        let fd = Glibc.socket(family, type, 0)
        precondition(fd >= 0, "socket: \(errno)")  // test setup
        var timeout = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    static func withSockaddr<T>(_ address: SocketAddress, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        switch address {
        case .v4(let v4):
            var raw = v4.address
            return withUnsafePointer(to: &raw) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .v6(let v6):
            var raw = v6.address
            return withUnsafePointer(to: &raw) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        default:
            fatalError("unix sockets are not DNS servers")  // test setup
        }
    }

    static func udp(_ query: [UInt8], to address: SocketAddress, timeoutSeconds: Int = 3) -> [UInt8]? {
        let fd = socket(for: address, type: Int32(SOCK_DGRAM.rawValue))
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let sent = withSockaddr(address) { sa, length in
            query.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, sa, length) }
        }
        guard sent == query.count else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard received >= 0 else { return nil }
        return Array(buffer[0..<received])
    }

    /// Opens a TCP connection (caller closes).
    static func connectTCP(_ address: SocketAddress) -> CInt? {
        let fd = socket(for: address, type: Int32(SOCK_STREAM.rawValue))
        let result = withSockaddr(address) { Glibc.connect(fd, $0, $1) }
        guard result == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    static func sendFramed(_ fd: CInt, _ messages: [[UInt8]]) {
        var bytes: [UInt8] = []
        for message in messages { bytes += [UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message }
        sendRaw(fd, bytes)
    }

    static func sendRaw(_ fd: CInt, _ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    static func readExactly(_ fd: CInt, _ count: Int) -> [UInt8]? {
        var result = [UInt8](repeating: 0, count: count)
        var have = 0
        while have < count {
            let n = result.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + have, count - have, 0) }
            guard n > 0 else { return nil }
            have += n
        }
        return result
    }

    static func readFramed(_ fd: CInt) -> [UInt8]? {
        guard let prefix = readExactly(fd, 2) else { return nil }
        return readExactly(fd, Int(prefix[0]) << 8 | Int(prefix[1]))
    }

    static func tcp(_ query: [UInt8], to address: SocketAddress) -> [UInt8]? {
        guard let fd = connectTCP(address) else { return nil }
        defer { close(fd) }
        sendFramed(fd, [query])
        return readFramed(fd)
    }

    static func query(_ name: String, _ type: DNSType = .a, id: UInt16 = 0x4242, edns: EDNS? = nil) throws -> [UInt8] {
        var header = DNSHeader(id: id)
        header.recursionDesired = true
        var buffer = ByteBuffer()
        try DNSMessage(header: header, questions: [DNSQuestion(name: try DNSName(name), type: type)], edns: edns)
            .write(to: &buffer)
        return Array(buffer.readableBytesView)
    }

    static func parse(_ bytes: [UInt8]?) -> DNSMessage? {
        guard let bytes else { return nil }
        return try? DNSMessage.read(from: ByteBuffer(bytes: bytes))
    }

    /// A UDP port on loopback that nothing listens on (bound, then closed).
    static func deadAddress() throws -> SocketAddress {
        let fd = socket(for: try SocketAddress(ipAddress: "127.0.0.1", port: 0), type: Int32(SOCK_DGRAM.rawValue))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                _ = bind(fd, $0, length)
                _ = getsockname(fd, $0, &length)
            }
        }
        close(fd)
        return try SocketAddress(ipAddress: "127.0.0.1", port: Int(UInt16(bigEndian: address.sin_port)))
    }
}
