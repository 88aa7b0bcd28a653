import BoundaryWire
import NIOCore

/// Runs the protobuf handshake of boundary-protocol.md §3.3 on a freshly upgraded proxy WebSocket:
/// sends `ClientHandshake` as one binary message and waits for `HandshakeResult`, or for the close
/// frame by which the worker refuses (mapped to `DataPlaneError`). For `SESSION_CANCEL` the
/// expected answer is the close 1000 "session canceled".
///
/// After a result it holds the connection still until it is spliced: bytes the target sends early
/// (an SSH banner) are kept, and `read()` is withheld, so nothing is lost and nothing piles up.
/// Removing the handler (the splice does) releases both.
final class DataPlaneHandshakeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// coder/websocket's default read limit, which the worker applies to handshake messages too.
    static let maximumMessageLength = 32 * 1024

    private enum State {
        case awaitingResult
        case established
        case failed
    }

    private let handshake: ClientHandshake
    private let setup: DataPlaneSetup
    private var state = State.awaitingResult
    private var message: ByteBuffer?
    private var held: [ByteBuffer] = []
    private var readPending = false

    init(handshake: ClientHandshake, setup: DataPlaneSetup) {
        self.handshake = handshake
        self.setup = setup
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let bytes = handshake.serialized
        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        switch state {
        case .awaitingResult:
            if message == nil {
                message = chunk
            } else {
                message!.writeBuffer(&chunk)
            }
            if message!.readableBytes > Self.maximumMessageLength {
                fail(.invalidHandshakeResult("longer than \(Self.maximumMessageLength) bytes"), context: context)
            }
        case .established:
            held.append(chunk)
        case .failed:
            return
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if state == .established && held.isEmpty { context.fireChannelReadComplete() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let event = event as? WebSocketStreamHandler.Event else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        guard state == .awaitingResult else { return }
        switch event {
        case .messageEnd:
            let bytes = message.map { Array($0.readableBytesView) } ?? []
            message = nil
            if handshake.command == .sessionCancel {
                fail(.cancelFailed("worker answered SESSION_CANCEL with a message"), context: context)
                return
            }
            let result: HandshakeResult
            do {
                result = try HandshakeResult(protobuf: bytes)
            } catch {
                fail(.invalidHandshakeResult("\(error)"), context: context)
                return
            }
            state = .established
            context.triggerUserOutboundEvent(WebSocketStreamHandler.EnterStreamMode(), promise: nil)
            setup.succeed(result)
        case .closeReceived(let code, let reason):
            if handshake.command == .sessionCancel {
                if code == 1000 {
                    // "session canceled": the worker asked the controller and it agreed.
                    state = .failed
                    setup.succeed(nil)
                } else {
                    fail(.cancelFailed("\(code.map(String.init) ?? "no status") \(reason)"), context: context)
                }
            } else {
                fail(
                    DataPlaneError(closeCode: code, reason: reason) ?? .closedByWorker(code: code, reason: reason),
                    context: context)
            }
        }
    }

    func read(context: ChannelHandlerContext) {
        if state == .established {
            readPending = true
        } else {
            context.read()
        }
    }

    /// Closing a connection that was never spliced: let reads flow again, so the worker's answer
    /// to our close frame is read and the close handshake ends at once instead of timing out.
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if state == .established {
            state = .failed
            held = []
            if readPending {
                readPending = false
                context.read()
            }
        }
        context.close(mode: mode, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if state == .awaitingResult { fail(DataPlaneError(transportError: error), context: context) }
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if state == .awaitingResult { fail(.connectionClosedDuringSetup, context: context) }
        context.fireChannelInactive()
    }

    /// The splice removes this handler once the glue is in place above it: hand over what was held.
    func removeHandler(context: ChannelHandlerContext, removalToken: ChannelHandlerContext.RemovalToken) {
        let pending = held
        held = []
        for chunk in pending { context.fireChannelRead(wrapInboundOut(chunk)) }
        if !pending.isEmpty { context.fireChannelReadComplete() }
        if readPending {
            readPending = false
            context.read()
        }
        context.leavePipeline(removalToken: removalToken)
    }

    private func fail(_ error: DataPlaneError, context: ChannelHandlerContext) {
        state = .failed
        message = nil
        setup.fail(error, context: context)
    }
}
