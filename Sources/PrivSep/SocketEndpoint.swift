#if canImport(Glibc)
    import Glibc
#endif

/// An IPv4 or IPv6 address and a port, stored without allocation (two 64-bit words) so per-connection
/// lookups (sock_diag, SO_ORIGINAL_DST) stay cheap. NIO users convert with AgentCore's
/// `SocketAddress` extensions.
public struct SocketEndpoint: Hashable, Sendable, CustomStringConvertible {
    public enum Family: Sendable, Hashable {
        case inet
        case inet6
    }

    public let family: Family
    /// IPv6: the first 8 address bytes, big-endian. IPv4: 0.
    let high: UInt64
    /// IPv6: the last 8 address bytes, big-endian. IPv4: the address in the low 32 bits.
    let low: UInt64
    public let port: UInt16

    /// An IPv4 endpoint; `address` in host order (192.0.2.1 is 0xC000_0201).
    public init(ipv4 address: UInt32, port: UInt16) {
        family = .inet
        high = 0
        low = UInt64(address)
        self.port = port
    }

    /// An IPv6 endpoint from the two big-endian halves of the address.
    public init(ipv6High high: UInt64, low: UInt64, port: UInt16) {
        family = .inet6
        self.high = high
        self.low = low
        self.port = port
    }

    /// From 4 or 16 address bytes in network order; nil for any other count.
    public init?(addressBytes bytes: some Collection<UInt8>, port: UInt16) {
        var words: (UInt64, UInt64) = (0, 0)
        var index = 0
        for byte in bytes {
            if index < 8 {
                words.0 = words.0 << 8 | UInt64(byte)
            } else {
                words.1 = words.1 << 8 | UInt64(byte)
            }
            index += 1
        }
        switch index {
        case 4: self.init(ipv4: UInt32(truncatingIfNeeded: words.0), port: port)
        case 16: self.init(ipv6High: words.0, low: words.1, port: port)
        default: return nil
        }
    }

    /// From an address literal ("192.0.2.1", "fd5b::1") and a port; nil when `text` is neither.
    public init?(_ text: String, port: UInt16) {
        var buffer = (UInt64(0), UInt64(0))
        let parsed: SocketEndpoint? = withUnsafeMutableBytes(of: &buffer) { raw in
            if inet_pton(AF_INET, text, raw.baseAddress) == 1 {
                return SocketEndpoint(addressBytes: raw.prefix(4), port: port)
            }
            if inet_pton(AF_INET6, text, raw.baseAddress) == 1 {
                return SocketEndpoint(addressBytes: raw.prefix(16), port: port)
            }
            return nil
        }
        guard let parsed else { return nil }
        self = parsed
    }

    /// The IPv4 address in host order; nil for IPv6.
    public var ipv4Address: UInt32? { family == .inet ? UInt32(truncatingIfNeeded: low) : nil }

    /// The address bytes in network order (4 or 16).
    public var addressBytes: [UInt8] {
        withAddressBytes { Array($0) }
    }

    /// Calls `body` with the address bytes in network order (4 or 16), without allocating.
    public func withAddressBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var words = (high.bigEndian, low.bigEndian)
        return try withUnsafeBytes(of: &words) { raw in
            switch family {
            case .inet: return try body(UnsafeRawBufferPointer(rebasing: raw[12..<16]))
            case .inet6: return try body(raw)
            }
        }
    }

    /// The address as text ("192.0.2.1", "fd5b:c1a6:e7a0::1").
    public var addressText: String {
        withAddressBytes { raw in
            var out = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            let af = family == .inet ? AF_INET : AF_INET6
            guard inet_ntop(af, raw.baseAddress, &out, socklen_t(out.count)) != nil else { return "?" }
            return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// "192.0.2.1:53" or "[fd5b::1]:53".
    public var description: String {
        family == .inet ? "\(addressText):\(port)" : "[\(addressText)]:\(port)"
    }

    /// The same address with another port.
    public func with(port: UInt16) -> SocketEndpoint {
        family == .inet
            ? SocketEndpoint(ipv4: UInt32(truncatingIfNeeded: low), port: port)
            : SocketEndpoint(ipv6High: high, low: low, port: port)
    }

    /// Calls `body` with this endpoint as a `sockaddr_in`/`sockaddr_in6` and its length.
    public func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R) rethrows -> R {
        switch family {
        case .inet:
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr.s_addr = UInt32(truncatingIfNeeded: low).bigEndian
            return try withUnsafePointer(to: &sin) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    try body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .inet6:
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { dst in
                withAddressBytes { dst.copyMemory(from: $0) }
            }
            return try withUnsafePointer(to: &sin6) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    try body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }

    /// Reads a `sockaddr_in`/`sockaddr_in6` (e.g. from getsockname); nil for other families.
    public init?(sockaddr storage: UnsafeRawPointer) {
        let family = storage.load(as: sockaddr.self).sa_family
        switch Int32(family) {
        case AF_INET:
            let sin = storage.load(as: sockaddr_in.self)
            self.init(ipv4: UInt32(bigEndian: sin.sin_addr.s_addr), port: UInt16(bigEndian: sin.sin_port))
        case AF_INET6:
            var sin6 = storage.load(as: sockaddr_in6.self)
            let port = UInt16(bigEndian: sin6.sin6_port)
            let parsed = withUnsafeBytes(of: &sin6.sin6_addr) { SocketEndpoint(addressBytes: $0, port: port) }
            guard let parsed else { return nil }
            self = parsed
        default:
            return nil
        }
    }
}
