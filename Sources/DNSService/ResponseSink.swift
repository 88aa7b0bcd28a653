import NIOCore

/// Where answers to a client go: the UDP server channel (one per listening socket) or one TCP connection.
/// Implemented by `UDPQueryHandler` and `TCPQueryHandler`; all calls happen on the server's event loop.
protocol ResponseSink: BatchFlushable {
    var isTCP: Bool { get }
    /// Still able to send (a TCP connection may have closed while its query was upstream).
    var isActive: Bool { get }
    /// Queues one answer (for TCP `message` already carries its 2-byte length) without flushing.
    func send(_ message: ByteBuffer, to remote: SocketAddress?)
    /// The uid owning the client's socket, nil when unknown. `now` (uptime nanoseconds) is the caller's, so
    /// one answer reads the clock once.
    func ownerUID(remote: SocketAddress?, now: UInt64) -> UInt32?
    /// Outstanding-query accounting (TCP stops reading past its limit).
    func pendingStarted()
    func pendingFinished()
}

/// A query's way back: its sink and, for UDP, the client's address.
struct QueryOrigin {
    let sink: ResponseSink
    let remote: SocketAddress?
}

/// Something the engine must flush at the end of the current batch of work.
protocol BatchFlushable: AnyObject {
    var flushScheduled: Bool { get set }
    func flushNow()
}
