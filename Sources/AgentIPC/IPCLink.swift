import PrivSep
import Synchronization

/// A blocking, framed link over one end of a SOCK_SEQPACKET socketpair, for the workers (the helper
/// reads non-blocking from its poll loop with `FrameAssembler` directly). Sending is serialized, so
/// fragments of two messages never interleave; receiving is meant for one reader thread.
public final class IPCLink: Sendable {
    public let fd: Int32
    /// The direction this end receives.
    public let inbound: Direction
    let sendLock = Mutex(())
    let assembler: Mutex<FrameAssembler>

    /// Takes ownership of `fd`.
    public init(fd: Int32, inbound: Direction) {
        self.fd = fd
        self.inbound = inbound
        self.assembler = Mutex(FrameAssembler(direction: inbound))
    }

    /// Sends `message` whole (fragmented if long). Blocks while the socket buffer is full.
    public func send(_ message: some IPCMessage) throws {
        try send(message.frame())
    }

    public func send(_ frame: Frame) throws {
        let fragments = frame.fragments()
        try sendLock.withLock { _ in
            for (index, bytes) in fragments.enumerated() {
                do {
                    try FDPassing.send(fd, bytes, fds: index == 0 ? frame.fds : [])
                } catch let error as PrivSepError {
                    throw IPCError.transport(error)
                }
            }
        }
    }

    /// Blocks until a whole frame has arrived; the caller decodes it with its direction's enum.
    /// Throws `IPCError.transport(.endOfFile)` when the peer has gone.
    public func receiveFrame() throws -> Frame {
        while true {
            let message: ReceivedMessage
            do {
                guard
                    let m = try FDPassing.receive(
                        fd, maxLength: IPCLimits.headerSize + IPCLimits.fragmentPayload, maxFDs: FDPassing.maximumFDs)
                else { continue }
                message = m
            } catch let error as PrivSepError {
                throw IPCError.transport(error)
            }
            if let frame = try assembler.withLock({ try $0.add(message) }) { return frame }
        }
    }

    /// Receives and decodes one message of type `M` (which must be this link's inbound direction).
    public func receive<M: IPCMessage>(_ type: M.Type) throws -> M {
        precondition(M.direction == inbound, "decode with the link's own inbound direction")
        return try M(frame: receiveFrame())
    }

    /// Shuts the socket down both ways, waking a reader blocked in `receiveFrame`.
    public func shutdown() {
        _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }

    /// Closes the fd. Only after the reader has stopped.
    public func close() {
        Posix.closeQuietly(fd)
    }
}

#if canImport(Glibc)
    import Glibc
#endif
