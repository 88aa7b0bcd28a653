import DNSCodec
import NIOCore

/// One client query waiting on the broker or an upstream. Lives in `Forwarder.active` until answered.
final class PendingForward {
    enum Stage {
        /// Asked the broker (fallback user); `requestID` is the key.
        case broker
        /// Waiting for an upstream socket of `upstreams[upstreamIndex]` to open.
        case waitingForSocket
        /// Sent over UDP on `socket` with `upstreamID`.
        case udp
        /// Retrying over TCP on `tcpChannel`.
        case tcp
        case done
    }

    /// The client's query bytes as received (its own ID at offset 0; patched to `upstreamID` when sent).
    var query: ByteBuffer
    let info: DNSQueryInfo
    /// The question name's wire length (the name itself is plain at offset 12 of `query`).
    let nameLength: Int
    let origin: QueryOrigin
    /// Uptime nanoseconds: the end of the whole exchange (`dns_request_timeout`), and of this attempt.
    let deadline: UInt64
    var attemptDeadline: UInt64
    var stage: Stage = .waitingForSocket
    var upstreamIndex = 0
    var attempts = 0
    var upstreamID: UInt16 = 0
    var socket: UpstreamSocket?
    var tcpChannel: Channel?
    /// Position in `Forwarder.active`, for O(1) removal.
    var slot = -1
    var requestID: UInt64 = 0
    var uid: UInt32 = DNSServer.unknownUID
    /// The sender it counts against in `Forwarder`'s per-user share; nil when it was made below the
    /// share (not counted).
    var counted: UInt32?

    init(query: ByteBuffer, info: DNSQueryInfo, nameLength: Int, origin: QueryOrigin, deadline: UInt64) {
        self.query = query
        self.info = info
        self.nameLength = nameLength
        self.origin = origin
        self.deadline = deadline
        self.attemptDeadline = deadline
    }

    /// Loads the question name into `buffer` (for matching the answer and writing ours).
    func loadName(into buffer: DNSNameBuffer) {
        query.withUnsafeReadableBytes { bytes in
            buffer.storage.update(
                from: bytes.baseAddress!.advanced(by: DNSLimits.headerLength).assumingMemoryBound(to: UInt8.self),
                count: nameLength)
        }
        buffer.setCount(nameLength)
    }
}
