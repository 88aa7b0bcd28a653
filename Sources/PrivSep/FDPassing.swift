import CPrivSep

#if canImport(Glibc)
    import Glibc
#endif

/// One message read from a SOCK_SEQPACKET socket, with the fds that came with it. The receiver owns
/// the fds: it must use or close every one.
public struct ReceivedMessage: Sendable {
    public var bytes: [UInt8]
    public var fds: [Int32]

    public init(bytes: [UInt8], fds: [Int32]) {
        self.bytes = bytes
        self.fds = fds
    }

    /// Closes every fd still held (after a rejected message).
    public func closeFDs() {
        for fd in fds { Posix.closeQuietly(fd) }
    }
}

/// sendmsg/recvmsg with SCM_RIGHTS (swift-notes §2). Received fds are close-on-exec
/// (MSG_CMSG_CLOEXEC); a message whose payload or control data was cut short is refused and its fds
/// closed, never half-used.
public enum FDPassing {
    /// The kernel-side and our own cap on fds per message.
    public static let maximumFDs = Int(CPS_MAX_FDS)

    /// Sends `bytes` with `fds` attached as one message. With `nonBlocking`, a full socket buffer
    /// throws EAGAIN instead of waiting (the helper never blocks on a worker).
    public static func send(_ socket: Int32, _ bytes: [UInt8], fds: [Int32] = [], nonBlocking: Bool = false) throws {
        precondition(fds.count <= maximumFDs, "our protocol never attaches more than \(maximumFDs) fds")
        let flags = nonBlocking ? Int32(MSG_DONTWAIT) : 0
        let sent = try bytes.withUnsafeBytes { raw in
            try Posix.call("sendmsg") {
                cps_send_fds(socket, raw.baseAddress, raw.count, fds, Int32(fds.count), flags)
            }
        }
        // SOCK_SEQPACKET sends a message whole or not at all.
        guard sent == bytes.count else { throw PrivSepError.syscall("sendmsg (short)", EMSGSIZE) }
    }

    /// Receives one message of at most `maxLength` bytes and `maxFDs` fds. Returns nil when
    /// `nonBlocking` and nothing is queued; throws `.endOfFile` when the peer has closed.
    public static func receive(
        _ socket: Int32, maxLength: Int, maxFDs: Int = maximumFDs, nonBlocking: Bool = false
    ) throws -> ReceivedMessage? {
        var buffer = [UInt8](repeating: 0, count: maxLength)
        var fds = [Int32](repeating: -1, count: maximumFDs)
        var count: Int32 = 0
        var rflags: Int32 = 0
        let flags = nonBlocking ? Int32(MSG_DONTWAIT) : 0
        var n: Int = -1
        while true {
            n = buffer.withUnsafeMutableBytes { raw in
                cps_recv_fds(
                    socket, raw.baseAddress, raw.count, &fds, Int32(min(maxFDs, maximumFDs)), &count, &rflags, flags)
            }
            if n >= 0 { break }
            let err = Glibc.errno
            if err == EINTR { continue }
            if err == EAGAIN && nonBlocking { return nil }
            if err == ECONNRESET { throw PrivSepError.endOfFile }
            throw PrivSepError.syscall("recvmsg", err)
        }
        let received = ReceivedMessage(bytes: [], fds: Array(fds.prefix(Int(count))))
        if rflags & CPS_RECV_TRUNCATED != 0 {
            received.closeFDs()
            throw PrivSepError.truncatedMessage(length: n, limit: maxLength)
        }
        if rflags & CPS_RECV_CTRUNCATED != 0 {
            received.closeFDs()
            throw PrivSepError.truncatedControlData
        }
        if n == 0 && count == 0 { throw PrivSepError.endOfFile }
        buffer.removeLast(maxLength - n)
        return ReceivedMessage(bytes: buffer, fds: received.fds)
    }
}
