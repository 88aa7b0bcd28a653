import NIOCore

/// Sits right above the dev worker's TLS handler and joins the buffers written between two flushes
/// into one (up to a record's worth), so a small WebSocket frame goes out as one TLS record. NIO's
/// frame encoder writes a frame's header and payload as two buffers, which NIOSSL would seal as two
/// records (two AES-GCM passes here, two record decryptions at the client); the real worker's
/// buffered writer sends a frame as one. The bytes inside TLS are unchanged.
final class WorkerWriteCoalescer: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var pending: ByteBuffer?
    private var promises: [EventLoopPromise<Void>] = []

    /// A TLS record's largest plaintext (RFC 8446 §5.1): joining beyond it saves no record, only
    /// adds a copy (bulk relay frames are that large).
    static let recordPayload = 16384

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var buffer = unwrapOutboundIn(data)
        if let held = pending, held.readableBytes + buffer.readableBytes > Self.recordPayload {
            passOn(context: context)
        }
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
