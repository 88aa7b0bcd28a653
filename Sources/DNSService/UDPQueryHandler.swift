import NIOCore

/// Serves one listening UDP socket: each datagram is a query for the engine; answers are queued during a
/// read batch and flushed together at its end (NIO sends them with sendmmsg).
final class UDPQueryHandler: ChannelInboundHandler, ResponseSink {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let engine: DNSEngine
    private var context: ChannelHandlerContext?
    private var localAddress: SocketAddress?
    var flushScheduled = false
    /// Recent owner lookups (see `OwnerCache` for why a short lifetime is safe enough).
    private var owners = OwnerCache()
    /// Entries made during the current read batch expire with it when the configured lifetime is 0.

    init(engine: DNSEngine) {
        self.engine = engine
    }

    var isTCP: Bool { false }
    var isActive: Bool { context != nil }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.context = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let origin = QueryOrigin(sink: self, remote: envelope.remoteAddress)
        if envelope.data.readableBytes >= DNSServer.queryDatagramRoom {
            engine.processCutQuery(envelope.data, origin: origin)
        } else {
            engine.process(envelope.data, origin: origin)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if engine.configuration.udpOwnerCacheLifetime.nanoseconds <= 0 { owners.removeAll() }
        engine.endOfBatch()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Errors on a datagram socket (ICMP-induced ECONNREFUSED, ENOBUFS) concern one peer: keep serving.
        engine.logger.trace("UDP socket error", metadata: ["error": "\(error)"])
    }

    func send(_ message: ByteBuffer, to remote: SocketAddress?) {
        guard let context, let remote else { return }
        context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: remote, data: message)), promise: nil)
    }

    func flushNow() {
        context?.flush()
    }

    func ownerUID(remote: SocketAddress?, now: UInt64) -> UInt32? {
        // Bound before the first read; fetched lazily because the handler is added before bind completes.
        if localAddress == nil { localAddress = context?.channel.localAddress }
        guard let remote, let localAddress else { return nil }
        if let cached = owners.lookup(remote, now: now) { return cached }
        let uid = engine.ownerLookup.ownerUID(transport: .udp, local: localAddress, remote: remote)
        let lifetime = UInt64(max(0, engine.configuration.udpOwnerCacheLifetime.nanoseconds))
        // Lifetime 0: valid for this read batch only (cleared in channelReadComplete).
        owners.store(remote, uid: uid, until: lifetime == 0 ? UInt64.max : now + lifetime)
        return uid
    }

    func pendingStarted() {}
    func pendingFinished() {}
}
