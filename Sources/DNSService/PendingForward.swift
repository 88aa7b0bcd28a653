import DNSCodec
import NIOCore

/// One client query waiting on the broker or an upstream. Lives in `Forwarder.active` until answered;
/// then, unless a TCP connection or the broker may still hold it, it goes back to the forwarder's spares
/// and serves a later query (`reuse`), its query buffer with it: no allocation per forwarded query.
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
    private(set) var info: DNSQueryInfo
    /// The question name's wire length (the name itself is plain at offset 12 of `query`).
    private(set) var nameLength: Int
    private(set) var origin: QueryOrigin
    /// Uptime nanoseconds: the end of the whole exchange (`dns_request_timeout`), and of this attempt.
    private(set) var deadline: UInt64
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
    /// False once a TCP retry or the broker was involved: their callbacks may still hold this object after
    /// it completes, so it is never reused (their guards compare stage and channel, not identity of query).
    var recyclable = true

    init(query: ByteBuffer, info: DNSQueryInfo, nameLength: Int, origin: QueryOrigin, deadline: UInt64) {
        self.query = query
        self.info = info
        self.nameLength = nameLength
        self.origin = origin
        self.deadline = deadline
        self.attemptDeadline = deadline
    }

    /// Makes a finished spare the record of a new query (every field as `init` leaves it). The query buffer
    /// is refilled in place: after the round trip the kernel has long taken it, so it is ours alone again.
    func reuse(message: ByteBuffer, info: DNSQueryInfo, nameLength: Int, origin: QueryOrigin, deadline: UInt64) {
        query.clear()
        query.writeImmutableBuffer(message)
        self.info = info
        self.nameLength = nameLength
        self.origin = origin
        self.deadline = deadline
        attemptDeadline = deadline
        stage = .waitingForSocket
        upstreamIndex = 0
        attempts = 0
        upstreamID = 0
        socket = nil
        tcpChannel = nil
        slot = -1
        requestID = 0
        uid = DNSServer.unknownUID
        counted = nil
        recyclable = true
    }

    /// Lets go of the client (its sink) while waiting in the spares.
    func release() {
        origin = QueryOrigin(sink: origin.sink, remote: nil)
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
