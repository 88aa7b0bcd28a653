import NIOCore

/// Joins two channels on one event loop into a byte relay, after swift-nio-examples' connect-proxy
/// `GlueHandler`: what one side reads the other writes (the same `ByteBuffer`, no copy), flushes
/// follow read bursts, a side stops reading while its partner cannot take more (backpressure), and
/// when one side closes or fails the other is closed too (the proxy protocol has no half-close,
/// boundary-protocol.md §3.4).
///
/// Used in the local TCP channel's pipeline and at the top of the worker WebSocket's pipeline
/// (where buffers are payload bytes, framed below it).
final class GlueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var partner: GlueHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false

    private init() {}

    /// Two handlers that know each other; add one to each channel. Both channels must be on the
    /// same event loop (handlers call each other directly).
    static func matchedPair() -> (GlueHandler, GlueHandler) {
        let first = GlueHandler()
        let second = GlueHandler()
        first.partner = second
        second.partner = first
        return (first, second)
    }

    // MARK: partner calls

    private func partnerWrite(_ data: NIOAny) {
        context?.write(data, promise: nil)
    }

    private func partnerFlush() {
        context?.flush()
    }

    private func partnerClose() {
        context?.close(promise: nil)
    }

    private func partnerBecameWritable() {
        if pendingRead {
            pendingRead = false
            context?.read()
        }
    }

    private var partnerWritable: Bool {
        context?.channel.isWritable ?? false
    }

    // MARK: channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // Added to a channel that already closed: channelInactive will not come, so pass it on now.
        if !context.channel.isActive { partner?.partnerClose() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.partnerWrite(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.partnerFlush()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.partnerClose()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // A local client's FIN: there is no half-close on the WebSocket, so end both.
        if let event = event as? ChannelEvent, case .inputClosed = event {
            partner?.partnerClose()
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // The channel closes itself on I/O errors; make sure the partner follows.
        partner?.partnerClose()
        context.fireErrorCaught(error)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.partnerBecameWritable() }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if let partner, partner.partnerWritable {
            context.read()
        } else {
            pendingRead = true
        }
    }
}
