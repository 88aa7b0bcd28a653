import Glibc
import NIOCore

/// Finds the uid that owns a local client's socket with one exact NETLINK_SOCK_DIAG request (no dump):
/// `sock_diag(7)`, `SOCK_DIAG_BY_FAMILY` with an `inet_diag_req_v2`. Needs no privilege and works under the
/// worker's seccomp filter (socket(AF_NETLINK), sendto, recvfrom). Stands in until `PrivSep` offers the same
/// call; everything goes through `ownerUID(transport:local:remote:)`.
///
/// The key order differs by protocol (checked on this kernel, see the unit test):
/// - TCP (`inet_diag_find_one_icsk`): the id is the client socket's own view, so src = the client (our
///   remote address) and dst = us (our local address).
/// - UDP (`udp_dump_one` → `__udp4_lib_lookup(src, sport, dst, dport)`): the kernel looks up the socket
///   that would *receive* a packet from src to dst, so src = us and dst = the client.
final class SocketOwnerLookup {
    enum Transport { case udp, tcp }

    private var fd: CInt = -1
    private var failed = false
    private var sequence: UInt32 = 0
    private let request: UnsafeMutableRawBufferPointer
    private let reply: UnsafeMutableRawBufferPointer

    // Sizes and offsets from <linux/netlink.h>, <linux/sock_diag.h> and <linux/inet_diag.h>.
    private static let netlinkHeaderLength = 16
    private static let requestLength = 16 + 56  // nlmsghdr + inet_diag_req_v2
    private static let sockDiagByFamily: UInt16 = 20
    private static let netlinkRequestFlag: UInt16 = 1  // NLM_F_REQUEST: an exact lookup, not NLM_F_DUMP
    private static let netlinkError: UInt16 = 2  // NLMSG_ERROR
    private static let netlinkSockDiag: CInt = 4  // NETLINK_SOCK_DIAG
    private static let diagMessageUIDOffset = 16 + 64  // nlmsghdr + inet_diag_msg.idiag_uid
    private static let replyCapacity = 1024

    init() {
        request = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.requestLength, alignment: 8)
        request.initializeMemory(as: UInt8.self, repeating: 0)
        reply = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.replyCapacity, alignment: 8)
        reply.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit {
        if fd >= 0 { close(fd) }
        request.deallocate()
        reply.deallocate()
    }

    /// The uid owning the client's socket for a query that arrived on `local` from `remote`, nil when the
    /// kernel has no such socket (another host, a socket already closed) or the lookup fails.
    func ownerUID(transport: Transport, local: SocketAddress, remote: SocketAddress) -> UInt32? {
        guard openIfNeeded() else { return nil }
        // Family, then the two endpoints in the kernel's order for this protocol.
        let (src, dst) = transport == .tcp ? (remote, local) : (local, remote)
        let family: UInt8
        switch (src, dst) {
        case (.v4, .v4): family = UInt8(AF_INET)
        case (.v6, .v6): family = UInt8(AF_INET6)
        default: return nil
        }
        sequence &+= 1
        let base = request.baseAddress!
        request.initializeMemory(as: UInt8.self, repeating: 0)
        base.storeBytes(of: UInt32(Self.requestLength), toByteOffset: 0, as: UInt32.self)
        base.storeBytes(of: Self.sockDiagByFamily, toByteOffset: 4, as: UInt16.self)
        base.storeBytes(of: Self.netlinkRequestFlag, toByteOffset: 6, as: UInt16.self)
        base.storeBytes(of: sequence, toByteOffset: 8, as: UInt32.self)
        // inet_diag_req_v2 at 16: family, protocol, ext, pad, states.
        base.storeBytes(of: family, toByteOffset: 16, as: UInt8.self)
        base.storeBytes(of: UInt8(transport == .tcp ? IPPROTO_TCP : IPPROTO_UDP), toByteOffset: 17, as: UInt8.self)
        base.storeBytes(of: UInt32.max, toByteOffset: 20, as: UInt32.self)  // every state
        // inet_diag_sockid at 24: sport, dport (network order), src[4], dst[4], if, cookie[2].
        guard Self.store(src, portAt: 24, addressAt: 28, into: base),
            Self.store(dst, portAt: 26, addressAt: 44, into: base)
        else { return nil }
        base.storeBytes(of: UInt32.max, toByteOffset: 64, as: UInt32.self)  // INET_DIAG_NOCOOKIE
        base.storeBytes(of: UInt32.max, toByteOffset: 68, as: UInt32.self)

        // struct sockaddr_nl { nl_family, nl_pad, nl_pid = 0 (the kernel), nl_groups = 0 }: 12 bytes.
        var kernel: (UInt16, UInt16, UInt32, UInt32) = (UInt16(AF_NETLINK), 0, 0, 0)
        let sent = withUnsafePointer(to: &kernel) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, base, Self.requestLength, 0, $0, socklen_t(12))
            }
        }
        guard sent == Self.requestLength else { return nil }
        // The kernel answers inside sendto, so the reply is already queued; never block the event loop.
        while true {
            let received = recv(fd, reply.baseAddress!, Self.replyCapacity, CInt(MSG_DONTWAIT))
            guard received >= Self.netlinkHeaderLength else { return nil }
            let replyBase = UnsafeRawPointer(reply.baseAddress!)
            let type = replyBase.loadUnaligned(fromByteOffset: 4, as: UInt16.self)
            let replySequence = replyBase.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
            guard replySequence == sequence else { continue }  // a stale reply to an earlier request
            guard type == Self.sockDiagByFamily, received >= Self.diagMessageUIDOffset + 4 else { return nil }
            return replyBase.loadUnaligned(fromByteOffset: Self.diagMessageUIDOffset, as: UInt32.self)
        }
    }

    private func openIfNeeded() -> Bool {
        if fd >= 0 { return true }
        if failed { return false }
        fd = socket(AF_NETLINK, CInt(SOCK_DGRAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), Self.netlinkSockDiag)
        if fd < 0 {
            failed = true
            return false
        }
        return true
    }

    private static func store(
        _ address: SocketAddress, portAt portOffset: Int, addressAt addressOffset: Int,
        into base: UnsafeMutableRawPointer
    ) -> Bool {
        switch address {
        case .v4(let v4):
            let raw = v4.address
            base.storeBytes(of: raw.sin_port, toByteOffset: portOffset, as: UInt16.self)
            base.storeBytes(of: raw.sin_addr.s_addr, toByteOffset: addressOffset, as: UInt32.self)
            return true
        case .v6(let v6):
            var raw = v6.address
            base.storeBytes(of: raw.sin6_port, toByteOffset: portOffset, as: UInt16.self)
            withUnsafeBytes(of: &raw.sin6_addr) { bytes in
                UnsafeMutableRawBufferPointer(start: base + addressOffset, count: 16).copyMemory(from: bytes)
            }
            return true
        case .unixDomainSocket:
            return false
        }
    }
}
