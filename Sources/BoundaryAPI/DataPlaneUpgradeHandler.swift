import BoundaryWire
import NIOCore
import NIOTLS

/// First handler above TLS on a new worker connection: once the TLS handshake completes it sends
/// the `GET /v1/proxy` upgrade, checks the response (`WebSocketUpgradeRequest`), then replaces
/// itself with the WebSocket stream handler and the protobuf handshake handler, passing on any
/// bytes that followed the response head.
final class DataPlaneUpgradeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let request: WebSocketUpgradeRequest
    private let setup: DataPlaneSetup
    private let makeNextHandlers: () -> (WebSocketStreamHandler, DataPlaneHandshakeHandler)
    private var received: ByteBuffer?
    private var upgraded = false

    init(
        request: WebSocketUpgradeRequest, setup: DataPlaneSetup,
        makeNextHandlers: @escaping () -> (WebSocketStreamHandler, DataPlaneHandshakeHandler)
    ) {
        self.request = request
        self.setup = setup
        self.makeNextHandlers = makeNextHandlers
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            var buffer = context.channel.allocator.buffer(capacity: 256)
            request.write(into: &buffer)
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !upgraded else {
            context.fireChannelRead(data)
            return
        }
        var incoming = unwrapInboundIn(data)
        if received == nil {
            received = incoming
        } else {
            received!.writeBuffer(&incoming)
        }
        do {
            guard try request.parseResponse(&received!) else { return }
        } catch {
            setup.fail(error, context: context)
            return
        }
        upgraded = true
        let leftover = received!
        received = nil
        let (stream, handshake) = makeNextHandlers()
        do {
            try context.pipeline.syncOperations.addHandler(stream, position: .after(self))
            try context.pipeline.syncOperations.addHandler(handshake, position: .after(stream))
        } catch {
            setup.fail(.connectionLost("pipeline: \(error)"), context: context)
            return
        }
        if leftover.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(leftover))
            context.fireChannelReadComplete()
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        setup.fail(DataPlaneError(transportError: error), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        setup.fail(.connectionClosedDuringSetup, context: context)
        context.fireChannelInactive()
    }
}

/// The one outcome of opening a worker connection (or of a cancel), completed exactly once by
/// whichever of the handlers or the timeout sees it first. Lives on the channel's event loop.
final class DataPlaneSetup {
    let promise: EventLoopPromise<HandshakeResult?>
    private(set) var isComplete = false
    private var timeout: Scheduled<Void>?

    init(promise: EventLoopPromise<HandshakeResult?>) {
        self.promise = promise
    }

    func startTimer(on channel: Channel, after limit: TimeAmount, stage: String) {
        timeout = channel.eventLoop.assumeIsolated().scheduleTask(in: limit) { [self] in
            self.timeout = nil
            guard !self.isComplete else { return }
            self.isComplete = true
            self.promise.fail(DataPlaneError.timedOut(stage))
            channel.close(promise: nil)
        }
        // A connection that failed early must not keep its timer (and channel) alive.
        channel.closeFuture.assumeIsolated().whenComplete { [self] _ in
            self.timeout?.cancel()
            self.timeout = nil
        }
    }

    func succeed(_ result: HandshakeResult?) {
        guard !isComplete else { return }
        isComplete = true
        timeout?.cancel()
        promise.succeed(result)
    }

    /// Fails the attempt and closes the connection.
    func fail(_ error: DataPlaneError, context: ChannelHandlerContext) {
        guard !isComplete else { return }
        isComplete = true
        timeout?.cancel()
        promise.fail(error)
        context.close(promise: nil)
    }
}
