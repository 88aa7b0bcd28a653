import NIOCore

/// First handler of a worker connection while it is set up, below TLS: a flush waits for the end of
/// the current event-loop tick, so what one tick writes leaves in one write. When the handshake
/// completes (in a task of its own: NIOSSL resumes after our certificate callback on a later tick),
/// TLS flushes our Finished and the upgrade handler then flushes `GET /v1/proxy`: one segment instead
/// of two, one wake-up of the worker instead of two. The bytes are unchanged. The splice removes the
/// handler (relayed data is flushed as it comes).
final class SetupFlushCoalescer: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var scheduled = false
    private var pending = false

    func flush(context: ChannelHandlerContext) {
        pending = true
        guard !scheduled else { return }
        scheduled = true
        context.eventLoop.assumeIsolated().execute { [self] in
            scheduled = false
            flushIfPending(context: context)
        }
    }

    /// A close (a TLS alert just written, a close_notify) must not strand a held flush.
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        flushIfPending(context: context)
        context.close(mode: mode, promise: promise)
    }

    func removeHandler(context: ChannelHandlerContext, removalToken: ChannelHandlerContext.RemovalToken) {
        flushIfPending(context: context)
        context.leavePipeline(removalToken: removalToken)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        pending = false
    }

    private func flushIfPending(context: ChannelHandlerContext) {
        guard pending else { return }
        pending = false
        context.flush()
    }
}
