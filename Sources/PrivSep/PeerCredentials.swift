import CPrivSep

#if canImport(Glibc)
    import Glibc
#endif

/// Who is at the other end of a connected AF_UNIX socket, from the kernel (SO_PEERCRED), never from
/// anything the peer says.
public struct PeerCredentials: Sendable, Equatable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }
}

/// SO_PEERCRED of a connected AF_UNIX socket.
public func peerCredentials(_ fd: Int32) throws -> PeerCredentials {
    var c = cps_ucred()
    try Posix.call("getsockopt SO_PEERCRED") { cps_peercred(fd, &c) }
    return PeerCredentials(pid: c.pid, uid: c.uid, gid: c.gid)
}

/// The destination a client originally connected to, before the nftables `redirect` rewrote it to
/// our listener: SO_ORIGINAL_DST (IPv4) or IP6T_SO_ORIGINAL_DST (IPv6, level IPPROTO_IPV6), chosen
/// by the accepted socket's own family.
public func originalDestination(_ fd: Int32) throws -> SocketEndpoint {
    let local = try Posix.localEndpoint(fd)
    var port: UInt16 = 0
    switch local.family {
    case .inet:
        var bytes: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
        _ = try withUnsafeMutableBytes(of: &bytes) { raw in
            try Posix.call("getsockopt SO_ORIGINAL_DST") {
                cps_original_dst4(fd, raw.baseAddress!.assumingMemoryBound(to: UInt8.self), &port)
            }
        }
        return withUnsafeBytes(of: &bytes) { SocketEndpoint(addressBytes: $0, port: port)! }
    case .inet6:
        var bytes = (UInt64(0), UInt64(0))
        _ = try withUnsafeMutableBytes(of: &bytes) { raw in
            try Posix.call("getsockopt IP6T_SO_ORIGINAL_DST") {
                cps_original_dst6(fd, raw.baseAddress!.assumingMemoryBound(to: UInt8.self), &port)
            }
        }
        return withUnsafeBytes(of: &bytes) { SocketEndpoint(addressBytes: $0, port: port)! }
    }
}
