import NIOCore

/// The endpoint (target) side of a dev-worker pipe: relays to its `WorkerProxyHandler` and applies
/// backpressure both ways (no reads while the other side cannot write).
final class WorkerEndpointHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var proxy: WorkerProxyHandler?
    private var context: ChannelHandlerContext?
    private var readPending = false

    init(proxy: WorkerProxyHandler) {
        self.proxy = proxy
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        proxy?.sendToClient(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        proxy?.flushToClient()
    }

    func channelInactive(context: ChannelHandlerContext) {
        let proxy = self.proxy
        self.proxy = nil
        self.context = nil
        proxy?.endpointClosed()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { proxy?.endpointBecameWritable() }
    }

    func read(context: ChannelHandlerContext) {
        if proxy?.clientWritable ?? true {
            context.read()
        } else {
            readPending = true
        }
    }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    func partnerBecameWritable() {
        if readPending {
            readPending = false
            context?.read()
        }
    }

    func write(_ buffer: ByteBuffer) {
        context?.write(wrapOutboundOut(buffer), promise: nil)
    }

    func flush() {
        context?.flush()
    }

    func close() {
        context?.close(promise: nil)
    }
}
