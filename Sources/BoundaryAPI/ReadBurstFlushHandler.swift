import NIOCore

/// First handler of a worker connection, below TLS: a flush asked for while the channel is handling
/// a read burst waits for the end of that burst (`channelReadComplete`, the same event-loop tick),
/// so everything the burst produced leaves in one write. When the server's handshake flight
/// arrives, TLS flushes our Finished and the upgrade handler then flushes `GET /v1/proxy`: one
/// segment instead of two, one wake-up of the worker instead of two. The bytes are unchanged.
/// Flushes outside a read (relayed client data) go straight through.
final class ReadBurstFlushHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var reading = false
    private var flushPending = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        reading = true
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.fireChannelReadComplete()
        reading = false
        flushNowIfPending(context: context)
    }

    func flush(context: ChannelHandlerContext) {
        if reading {
            flushPending = true
        } else {
            context.flush()
        }
    }

    /// A close (a TLS alert just written, a close_notify) must not strand a held flush.
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        flushNowIfPending(context: context)
        context.close(mode: mode, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        reading = false
        flushPending = false
        context.fireChannelInactive()
    }

    func removeHandler(context: ChannelHandlerContext, removalToken: ChannelHandlerContext.RemovalToken) {
        flushNowIfPending(context: context)
        context.leavePipeline(removalToken: removalToken)
    }

    private func flushNowIfPending(context: ChannelHandlerContext) {
        guard flushPending else { return }
        flushPending = false
        context.flush()
    }
}
