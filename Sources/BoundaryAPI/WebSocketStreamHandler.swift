import NIOCore
import NIOSSL

/// How a proxied connection ended, for the broker's logs and failure counters.
public struct DataPlaneOutcome: Sendable, Equatable {
    /// nil for a clean end of stream (either side closed normally: 1000/1001, or we closed first).
    public var error: DataPlaneError?
    /// Payload bytes we sent to the worker (client → target) and received from it.
    public var bytesUp: Int64
    public var bytesDown: Int64
}

/// The client end of a proxy WebSocket after the upgrade, turned into a byte stream: inbound
/// binary payloads go up as `ByteBuffer` slices (no copy), outbound `ByteBuffer`s become masked
/// binary frames of at most 32 KiB. Control frames are answered here (pong, the close handshake),
/// and the way the stream ended is kept for `outcome`.
///
/// Until `EnterStreamMode` arrives it also reports message boundaries and close frames as user
/// events, which is all the protobuf handshake above it needs.
final class WebSocketStreamHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Inbound user events for the handshake handler.
    enum Event {
        case messageEnd
        case closeReceived(code: UInt16?, reason: String)
    }

    /// Outbound user event: the handshake is over; stop reporting message boundaries.
    struct EnterStreamMode: Sendable {}

    private enum State {
        case open
        /// We sent a close frame and wait for the worker's (§5.5.1), at most `closeTimeout`.
        case closeSent
        case closed
    }

    private var parser = WebSocketFrameParser()
    /// Mutated in place (never copied), so its scratch buffer is reused once NIOSSL has let go of it.
    private var writer = WebSocketFrameWriter(allocator: ByteBufferAllocator())
    private var state = State.open
    private var reportsMessages = true
    private let closeTimeout: TimeAmount
    private let deadline: NIODeadline?
    private var timer: Scheduled<Void>?
    private var closePromises: [EventLoopPromise<Void>] = []
    private var receivedClose: (code: UInt16?, reason: String)?
    private var weClosedFirst = false
    private var failure: DataPlaneError?
    private var bytesUp: Int64 = 0
    private var bytesDown: Int64 = 0
    private let outcomePromise: EventLoopPromise<DataPlaneOutcome>

    /// Always succeeds, once the channel is closed.
    var outcome: EventLoopFuture<DataPlaneOutcome> { outcomePromise.futureResult }

    /// - Parameters:
    ///   - deadline: the session's expiration; the stream is closed then (reference client behaviour).
    ///   - closeTimeout: how long to wait for the worker's close frame after sending ours.
    init(eventLoop: EventLoop, deadline: NIODeadline?, closeTimeout: TimeAmount) {
        self.deadline = deadline
        self.closeTimeout = closeTimeout
        self.outcomePromise = eventLoop.makePromise()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if let deadline {
            timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
                self.expire(context: context)
            }
        }
        if !context.channel.isActive { finish(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Only on channel teardown in practice; never leave the outcome unfulfilled.
        finish(context: context)
    }

    // MARK: inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        do {
            while state != .closed, receivedClose == nil, let event = try parser.next(from: &buffer) {
                switch event {
                case .payload(let slice):
                    bytesDown += Int64(slice.readableBytes)
                    context.fireChannelRead(wrapInboundOut(slice))
                case .messageEnd:
                    if reportsMessages { context.fireUserInboundEventTriggered(Event.messageEnd) }
                case .ping(let payload):
                    if state == .open {
                        context.writeAndFlush(wrapOutboundOut(writer.frame(.pong, payload: payload)), promise: nil)
                    }
                case .pong:
                    continue
                case .close(let code, let reason):
                    receivedClose = (code, reason)
                    context.fireUserInboundEventTriggered(Event.closeReceived(code: code, reason: reason))
                    answerClose(context: context, code: code)
                }
            }
        } catch {
            failure = failure ?? .protocolViolation(error.description)
            sendClose(context: context, code: error.closeCode, reason: "")
            closeNow(context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if failure == nil && receivedClose == nil && !weClosedFirst {
            failure = DataPlaneError(transportError: error)
        }
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(context: context)
        context.fireChannelInactive()
    }

    // MARK: outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var payload = unwrapOutboundIn(data)
        guard state == .open else {
            promise?.fail(ChannelError.outputClosed)
            return
        }
        bytesUp += Int64(payload.readableBytes)
        if payload.readableBytes <= WebSocketFrameWriter.maximumPayload {
            if payload.readableBytes == 0 {
                // Nothing to frame; let the promise complete in order with the writes before it.
                context.write(data, promise: promise)
            } else {
                context.write(wrapOutboundOut(writer.frame(.binary, payload: payload)), promise: promise)
            }
        } else {
            while payload.readableBytes > 0 {
                let chunk = payload.readSlice(length: min(WebSocketFrameWriter.maximumPayload, payload.readableBytes))!
                let last = payload.readableBytes == 0
                context.write(wrapOutboundOut(writer.frame(.binary, payload: chunk)), promise: last ? promise : nil)
            }
        }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        if event is EnterStreamMode {
            reportsMessages = false
            // The outcome counts payload bytes of the stream, not the handshake messages.
            bytesUp = 0
            bytesDown = 0
            promise?.succeed()
        } else {
            context.triggerUserOutboundEvent(event, promise: promise)
        }
    }

    /// A full close starts the close handshake (1000); the channel closes when the worker answers,
    /// or after `closeTimeout`. Half-closes do not exist on this protocol (§3.4).
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        switch state {
        case .open:
            weClosedFirst = receivedClose == nil
            sendClose(context: context, code: 1000, reason: "")
            if let promise { closePromises.append(promise) }
            timer?.cancel()
            timer = context.eventLoop.assumeIsolated().scheduleTask(in: closeTimeout) { [self] in
                self.closeNow(context: context)
            }
        case .closeSent:
            if mode == .all, let promise { closePromises.append(promise) } else { promise?.succeed() }
        case .closed:
            context.close(mode: mode, promise: promise)
        }
    }

    // MARK: private

    private func answerClose(context: ChannelHandlerContext, code: UInt16?) {
        // §5.5.1: echo the status code; then the TCP connection may go.
        if state == .open { sendClose(context: context, code: code ?? 1000, reason: "") }
        closeNow(context: context)
    }

    private func sendClose(context: ChannelHandlerContext, code: UInt16, reason: String) {
        guard state == .open else { return }
        state = .closeSent
        let frame = writer.closeFrame(code: code, reason: reason, allocator: context.channel.allocator)
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    private func closeNow(context: ChannelHandlerContext) {
        guard state != .closed else { return }
        state = .closed
        timer?.cancel()
        timer = nil
        let promises = closePromises
        closePromises = []
        let promise: EventLoopPromise<Void>? = promises.isEmpty ? nil : context.eventLoop.makePromise()
        if let promise {
            promise.futureResult.whenComplete { result in
                for p in promises { p.completeWith(result) }
            }
        }
        context.close(mode: .all, promise: promise)
    }

    private func expire(context: ChannelHandlerContext) {
        timer = nil
        guard state != .closed else { return }
        failure = failure ?? .sessionExpired
        sendClose(context: context, code: 1000, reason: "session has expired")
        closeNow(context: context)
    }

    private func finish(context: ChannelHandlerContext) {
        state = .closed
        timer?.cancel()
        timer = nil
        for p in closePromises { p.succeed() }
        closePromises = []
        var error = failure
        if error == nil {
            if let (code, reason) = receivedClose {
                error = DataPlaneError(closeCode: code, reason: reason)
            } else if !weClosedFirst {
                error = .connectionLost("closed without a WebSocket close frame")
            }
        }
        // The worker cuts every stream at expiry without a close frame (its context deadline); when
        // that races our own timer, report what it is.
        if case .connectionLost = error, let deadline, deadline <= .now() { error = .sessionExpired }
        outcomePromise.succeed(DataPlaneOutcome(error: error, bytesUp: bytesUp, bytesDown: bytesDown))
    }
}

extension DataPlaneError {
    /// Classifies an error from the channel (NIOSSL/BoringSSL, sockets) by what it means for a
    /// Boundary session. BoringSSL only gives text, so the alert names are matched in it.
    init(transportError error: Error) {
        if let e = error as? DataPlaneError {
            self = e
            return
        }
        let text = String(describing: error)
        if text.contains("TLSV1_ALERT_INTERNAL_ERROR") {
            self = .sessionNotAuthorized
        } else if text.contains("CERTIFICATE_VERIFY_FAILED") {
            self = .workerCertificateMismatch
        } else if text.contains("SSLV3_ALERT_CERTIFICATE_UNKNOWN") || text.contains("TLSV13_ALERT_CERTIFICATE_REQUIRED")
            || text.contains("SSLV3_ALERT_BAD_CERTIFICATE")
        {
            self = .clientCertificateRejected
        } else if let ssl = error as? NIOSSLError, case .uncleanShutdown = ssl {
            self = .connectionLost("TCP closed without TLS close_notify")
        } else if error is NIOSSLError || error is BoringSSLError {
            self = .tls(text)
        } else {
            self = .connectionLost(text)
        }
    }
}
