import BoundaryWire
import JSON
import NIOCore
import NIOPosix
import NIOWebSocket

/// One upgraded proxy WebSocket on the dev worker: the handshake of boundary-protocol.md §3.3, in
/// the order and with the close codes of `internal/daemon/worker/handler.go`, then the byte pipe to
/// the session's endpoint (`internal/daemon/worker/proxy/tcp`). It uses NIO's own WebSocket frame
/// codec, so our client's codec is always checked against an independent implementation.
final class WorkerProxyHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// Data frames may be any size (the worker's NetConn has no read limit); this only bounds one frame.
    static let maximumFrameSize = 1 << 24
    /// coder/websocket's default read limit, which applies to the handshake message.
    static let handshakeLimit = 32 * 1024
    /// How long we wait for the client's close frame after sending ours (coder/websocket waits 5 s).
    static let closeWait = TimeAmount.seconds(2)

    private enum State {
        case handshake
        case dialing
        case piping
        case closing
    }

    private let worker: DevWorker
    private let sessionID: String
    private let client: SocketAddress?
    private var state = State.handshake
    private var message: ByteBuffer?
    private var pendingUp: [ByteBuffer] = []
    private var endpoint: WorkerEndpointHandler?
    private var context: ChannelHandlerContext?
    private var registration: UInt64?
    private var connectionID: String?
    private var bytesUp: Int64 = 0
    private var bytesDown: Int64 = 0
    private var timer: Scheduled<Void>?
    private var readPending = false
    private var expired = false

    init(worker: DevWorker, sessionID: String, client: SocketAddress?) {
        self.worker = worker
        self.sessionID = sessionID
        self.client = client
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        registration = worker.register(sessionID: sessionID, channel: context.channel)
        // The connection's context has the session expiration as deadline (§3.4): cut it then.
        if let session = worker.store.workerView(id: sessionID) {
            let remaining = Int64((session.expiration - DevSessionStore.now()) * 1e9)
            timer = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(max(0, remaining))) {
                [self] in
                self.expired = true
                context.close(promise: nil)
            }
        }
    }

    // MARK: client → worker

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .connectionClose:
            // The client's answer to our close, or its own close: end the pipe, echo, and go.
            if state != .closing {
                state = .closing
                var payload = frame.unmaskedData
                let code = payload.readInteger(as: UInt16.self) ?? 1000
                sendClose(context: context, code: code, reason: "")
            }
            endpoint?.close()
            context.close(promise: nil)
        case .ping:
            if state != .closing {
                context.writeAndFlush(
                    wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
            }
        case .pong:
            break
        case .text:
            if state == .handshake {
                refuse(context: context, code: 1008, reason: "invalid handshake received")
            } else {
                closeWith(
                    context: context, code: 1003,
                    reason: "unexpected frame type read (expected MessageBinary): MessageText")
            }
        case .binary, .continuation:
            receiveData(context: context, frame: frame)
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if state == .piping { endpoint?.flush() }
    }

    func read(context: ChannelHandlerContext) {
        switch state {
        case .dialing:
            readPending = true
        case .piping where endpoint?.isWritable == false:
            readPending = true
        default:
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { endpoint?.partnerBecameWritable() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        state = .closing
        endpoint?.close()
        endpoint = nil
        if let registration { worker.unregister(registration) }
        registration = nil
        if let connectionID {
            let reason =
                expired
                ? "timed out" : worker.store.liveSession(id: sessionID) == nil ? "canceled" : "closed by end-user"
            worker.store.closeConnection(
                sessionID: sessionID, connectionID: connectionID, bytesUp: bytesUp, bytesDown: bytesDown, reason: reason
            )
            worker.record(
                "worker-connection-closed",
                [
                    "session_id": .string(sessionID), "connection_id": .string(connectionID),
                    "bytes_up": .int(bytesUp), "bytes_down": .int(bytesDown), "closed_reason": .string(reason),
                ])
        }
        self.context = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    // MARK: endpoint → client (called by WorkerEndpointHandler on the same loop)

    func sendToClient(_ buffer: ByteBuffer) {
        guard state == .piping, let context else { return }
        bytesDown += Int64(buffer.readableBytes)
        context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, data: buffer)), promise: nil)
    }

    func flushToClient() {
        context?.flush()
    }

    var clientWritable: Bool { context?.channel.isWritable ?? false }

    func endpointBecameWritable() {
        if readPending {
            readPending = false
            context?.read()
        }
    }

    /// The target closed (io.Copy saw EOF): the worker's NetConn closes with 1000.
    func endpointClosed() {
        guard let context, state == .piping || state == .dialing else { return }
        closeWith(context: context, code: 1000, reason: "")
    }

    // MARK: handshake

    private func receiveData(context: ChannelHandlerContext, frame: WebSocketFrame) {
        switch state {
        case .handshake:
            var data = frame.unmaskedData
            if message == nil {
                message = data
            } else {
                message!.writeBuffer(&data)
            }
            guard message!.readableBytes <= Self.handshakeLimit else {
                refuse(context: context, code: 1009, reason: "read limited at \(Self.handshakeLimit + 1) bytes")
                return
            }
            if frame.fin {
                let bytes = Array(message!.readableBytesView)
                message = nil
                handshake(context: context, bytes: bytes)
            }
        case .dialing:
            pendingUp.append(frame.unmaskedData)
        case .piping:
            let data = Self.unmaskedPayload(frame)
            bytesUp += Int64(data.readableBytes)
            endpoint?.write(data)
        case .closing:
            break
        }
    }

    /// `frame.unmaskedData`, eight bytes at a time: NIO unmasks byte by byte, which made the dev worker
    /// the bottleneck of the relay benchmark (bench/). The framing is still NIO's own decoder's.
    static func unmaskedPayload(_ frame: WebSocketFrame) -> ByteBuffer {
        var data = frame.data
        guard let mask = frame.maskKey else { return data }
        let key = UInt64(mask[0]) | UInt64(mask[1]) << 8 | UInt64(mask[2]) << 16 | UInt64(mask[3]) << 24
        data.withUnsafeMutableReadableBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            var i = 0
            #if _endian(little)
                let wide = key | key << 32
                while i &+ 8 <= bytes.count {
                    let word = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    base.storeBytes(of: word ^ wide, toByteOffset: i, as: UInt64.self)
                    i &+= 8
                }
            #endif
            while i < bytes.count {
                bytes[i] ^= UInt8(truncatingIfNeeded: key >> (UInt64(i & 3) * 8))
                i &+= 1
            }
        }
        return data
    }

    private func handshake(context: ChannelHandlerContext, bytes: [UInt8]) {
        let store = worker.store
        // 1. A message that is not a ClientHandshake.
        guard let hello = try? ClientHandshake(protobuf: bytes) else {
            refuse(context: context, code: 1008, reason: "invalid handshake received")
            return
        }
        // 2. The tofu token's length (Go's len: bytes).
        guard hello.tofuToken.utf8.count == 20 else {
            refuse(context: context, code: 1003, reason: "invalid tofu token")
            return
        }
        // 3. SESSION_CANCEL needs no tofu match: holding the session certificate is enough.
        if hello.command == .sessionCancel {
            if case .canceled = store.cancel(id: sessionID, version: nil) {
                refuse(context: context, code: 1000, reason: "session canceled", result: "canceled")
            } else {
                refuse(context: context, code: 1011, reason: "unable to cancel session")
            }
            return
        }
        // 4./5. Trust on first use, and activation of a pending session.
        switch store.activate(id: sessionID, tofuToken: hello.tofuToken) {
        case .accepted: break
        case .tofuMismatch:
            refuse(context: context, code: 1008, reason: "tofu token not allowed")
            return
        case .refusingToActivate:
            refuse(context: context, code: 1011, reason: "refusing to activate session")
            return
        case .sessionGone:
            refuse(context: context, code: 1011, reason: "unable to authorize connection")
            return
        }
        // 6. The controller's AuthorizeConnection (connection limit).
        let authorization = store.authorizeConnection(
            id: sessionID, clientAddress: client?.ipAddress ?? "", clientPort: client?.port ?? 0)
        guard case .authorized(let connectionID, let left) = authorization,
            let session = store.workerView(id: sessionID)
        else {
            refuse(context: context, code: 1011, reason: "unable to authorize connection")
            return
        }
        self.connectionID = connectionID
        // 7. HandshakeResult.
        let result = HandshakeResult(
            expiration: Timestamp(secondsSinceEpoch: session.expiration), connectionLimit: session.connectionLimit,
            connectionsLeft: left)
        let payload = context.channel.allocator.buffer(bytes: result.serialized)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, data: payload)), promise: nil)
        worker.record(
            "worker-handshake",
            [
                "session_id": .string(sessionID), "result": "accepted", "connection_id": .string(connectionID),
                "connections_left": .int(Int64(left)),
            ])
        // 8. Dial the endpoint; failures after the result close with 3000.
        state = .dialing
        dial(context: context, host: session.endpointHost, port: session.endpointPort)
    }

    private func dial(context: ChannelHandlerContext, host: String, port: Int) {
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let bootstrap = ClientBootstrap(group: context.eventLoop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = WorkerEndpointHandler(proxy: bound.value)
                    bound.value.endpoint = handler
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        // An IP literal is dialled as it is (Go's net.Dial does the same); only a name goes through
        // NIO's resolver, which runs getaddrinfo on a Dispatch thread for every connection.
        let connecting: EventLoopFuture<Channel>
        if let address = try? SocketAddress(ipAddress: host, port: port) {
            connecting = bootstrap.connect(to: address)
        } else {
            connecting = bootstrap.connect(host: host, port: port)
        }
        connecting
            .assumeIsolated()
            .whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    guard state == .dialing else {
                        channel.close(promise: nil)
                        return
                    }
                    state = .piping
                    for chunk in pendingUp {
                        bytesUp += Int64(chunk.readableBytes)
                        endpoint?.write(chunk)
                    }
                    pendingUp = []
                    endpoint?.flush()
                    if readPending {
                        readPending = false
                        context.read()
                    }
                case .failure(let error):
                    endpoint = nil
                    worker.record(
                        "worker-dial",
                        [
                            "session_id": .string(sessionID), "endpoint": .string("\(host):\(port)"),
                            "error": .string("\(error)"),
                        ])
                    if state == .dialing { closeWith(context: context, code: 3000, reason: "unable to setup proxying") }
                }
            }
    }

    /// A refusal during the handshake: logged, then the close handshake.
    private func refuse(context: ChannelHandlerContext, code: UInt16, reason: String, result: String = "refused") {
        worker.record(
            "worker-handshake",
            [
                "session_id": .string(sessionID), "result": .string(result), "code": .int(Int64(code)),
                "reason": .string(reason),
            ])
        closeWith(context: context, code: code, reason: reason)
    }

    /// Sends a close frame and waits (briefly) for the client's before closing TCP, as
    /// coder/websocket's `Close` does, so the client reads our reason rather than a reset.
    private func closeWith(context: ChannelHandlerContext, code: UInt16, reason: String) {
        guard state != .closing else { return }
        state = .closing
        endpoint?.close()
        sendClose(context: context, code: code, reason: reason)
        timer?.cancel()
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.closeWait) {
            context.close(promise: nil)
        }
    }

    private func sendClose(context: ChannelHandlerContext, code: UInt16, reason: String) {
        var payload = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        payload.writeInteger(code)
        payload.writeString(reason)
        context.writeAndFlush(
            wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)), promise: nil)
    }
}
