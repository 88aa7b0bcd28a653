import NIOCore

/// Sits right above the dev worker's TLS handler and joins the buffers written between two flushes
/// into one, so each flush becomes one TLS record. NIO's WebSocket frame encoder writes a frame's
/// header and payload as two buffers, which NIOSSL would seal as two records (two AES-GCM passes
/// here, two record decryptions at the client); the real worker's buffered writer sends a frame as
/// one. The bytes on the wire inside TLS are unchanged.
final class WorkerWriteCoalescer: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var pending: ByteBuffer?
    private var promises: [EventLoopPromise<Void>] = []

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var buffer = unwrapOutboundIn(data)
        if pending == nil {
            pending = buffer
        } else {
            pending!.writeBuffer(&buffer)
        }
        if let promise { promises.append(promise) }
    }

    func flush(context: ChannelHandlerContext) {
        passOn(context: context)
        context.flush()
    }

    /// Unflushed writes go down in order before a close (as they would have without this handler).
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        passOn(context: context)
        context.close(mode: mode, promise: promise)
    }

    func removeHandler(context: ChannelHandlerContext, removalToken: ChannelHandlerContext.RemovalToken) {
        passOn(context: context)
        context.leavePipeline(removalToken: removalToken)
    }

    /// The channel went away with writes still held: fail them as NIOSSL fails its unflushed writes.
    func handlerRemoved(context: ChannelHandlerContext) {
        pending = nil
        let waiting = promises
        promises = []
        for p in waiting { p.fail(ChannelError.ioOnClosedChannel) }
    }

    private func passOn(context: ChannelHandlerContext) {
        guard let buffer = pending else { return }
        pending = nil
        let waiting = promises
        promises = []
        var promise: EventLoopPromise<Void>? = nil
        if waiting.count == 1 {
            promise = waiting[0]
        } else if !waiting.isEmpty {
            let joined = context.eventLoop.makePromise(of: Void.self)
            for p in waiting { joined.futureResult.cascade(to: p) }
            promise = joined
        }
        context.write(wrapOutboundOut(buffer), promise: promise)
    }
}
