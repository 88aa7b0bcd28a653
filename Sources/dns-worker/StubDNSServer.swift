import AgentConfig
import AgentCore
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The skeleton's DNS server (issue 2): it proves the passed sockets serve under the sandbox.
/// UDP queries are forwarded to the first upstream and the answer relayed (SERVFAIL when there is
/// none or it does not answer within `dns_request_timeout`); TCP queries get SERVFAIL. No alias
/// views, no cache, no ID randomization: DNSService does the real work.
final class StubDNSServer: Sendable {
    let group: EventLoopGroup
    let channels: [Channel]
    let upstreams: Mutex<[UpstreamServer]>
    let timeout: TimeAmount
    let logger: Logger

    init(group: EventLoopGroup, channels: [Channel], upstreams: [UpstreamServer], timeout: TimeAmount, logger: Logger) {
        self.group = group
        self.channels = channels
        self.upstreams = Mutex(upstreams)
        self.timeout = timeout
        self.logger = logger
    }

    static func start(_ context: WorkerContext) throws -> StubDNSServer {
        let s = context.dnsSockets
        let box = ServerBox()
        let timeout = TimeAmount.nanoseconds(Int64(context.config.dnsRequestTimeout.components.seconds) * 1_000_000_000)
        var channels: [Channel] = []
        for fd in [s.udp4, s.udp6] {
            channels.append(
                try DatagramBootstrap(group: context.group)
                    .channelInitializer { ch in ch.pipeline.addHandler(UDPQueryHandler(box: box)) }
                    .withBoundSocket(fd).wait())
        }
        for fd in [s.tcp4, s.tcp6] {
            channels.append(
                try ServerBootstrap(group: context.group)
                    .childChannelInitializer { ch in
                        ch.eventLoop.makeCompletedFuture {
                            try ch.pipeline.syncOperations.addHandlers(
                                ByteToMessageHandler(TCPLengthDecoder()), TCPServfailHandler())
                        }
                    }
                    .withBoundSocket(fd).wait())
        }
        let server = StubDNSServer(
            group: context.group, channels: channels, upstreams: context.upstreams, timeout: timeout,
            logger: context.logger)
        box.server.withLock { $0 = server }
        context.logger.info(
            "serving DNS (stub)",
            metadata: ["listeners": "\(channels.compactMap(\.localAddress))", "upstreams": "\(context.upstreams)"])
        return server
    }

    func setUpstreams(_ servers: [UpstreamServer]) {
        upstreams.withLock { $0 = servers }
    }

    var firstUpstream: SocketAddress? {
        upstreams.withLock { $0.first }.flatMap {
            try? SocketAddress(ipAddress: $0.address.description, port: Int($0.port))
        }
    }

    func close() -> EventLoopFuture<Void> {
        let loop = group.next()
        return EventLoopFuture.andAllComplete(channels.map { $0.close() }, on: loop)
    }
}

/// Lets the handlers find the server, which is created after its channels.
final class ServerBox: Sendable {
    let server = Mutex<StubDNSServer?>(nil)
}

/// The response to `query` with RCODE 2 (SERVFAIL, RFC 1035 §4.1.1): same ID, opcode and RD, the
/// question echoed when it parses. Nil for something that is not a query.
func servfail(for query: ByteBuffer) -> ByteBuffer? {
    let bytes = Array(query.readableBytesView)
    guard bytes.count >= 12, bytes[2] & 0x80 == 0 else { return nil }
    var question: ArraySlice<UInt8> = []
    let qdcount = Int(bytes[4]) << 8 | Int(bytes[5])
    if qdcount == 1 {
        var i = 12
        while i < bytes.count, bytes[i] != 0, bytes[i] < 64 { i += Int(bytes[i]) + 1 }
        if i < bytes.count, bytes[i] == 0, i + 5 <= bytes.count { question = bytes[12..<(i + 5)] }
    }
    var out = ByteBuffer()
    out.writeBytes(bytes[0..<2])
    out.writeInteger(UInt8(0x80 | (bytes[2] & 0x79)))  // QR, opcode, RD
    out.writeInteger(UInt8(0x80 | 2))  // RA, SERVFAIL
    out.writeInteger(UInt16(question.isEmpty ? 0 : 1))
    out.writeRepeatingByte(0, count: 6)
    out.writeBytes(question)
    return out
}

final class UDPQueryHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>
    let box: ServerBox

    init(box: ServerBox) { self.box = box }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let query = unwrapInboundIn(data)
        guard let failure = servfail(for: query.data), let server = box.server.withLock({ $0 }) else { return }
        let listener = context.channel
        let client = query.remoteAddress
        // Who asked (NETLINK_SOCK_DIAG on the query's 4-tuple): DNSService answers from that user's
        // view; the stub only logs it.
        if let local = listener.localAddress {
            let uid = (try? ChannelPeer.udpOwnerUID(source: client, destination: local)) ?? nil
            server.logger.debug(
                "query", metadata: ["peer": "\(client)", "uid": "\(uid.map(String.init) ?? "unknown")"])
        }
        let reply: @Sendable (ByteBuffer) -> Void = { answer in
            listener.writeAndFlush(AddressedEnvelope(remoteAddress: client, data: answer), promise: nil)
        }
        guard let upstream = server.firstUpstream else { return reply(failure) }
        Forwarder.forward(
            query.data, to: upstream, on: context.eventLoop, timeout: server.timeout, logger: server.logger
        ).whenComplete { result in
            switch result {
            case .success(let answer): reply(answer)
            case .failure: reply(failure)
            }
        }
    }
}

/// One query, one fresh socket: send to the upstream, take the first datagram from it whose ID
/// matches, or fail after `timeout`.
enum Forwarder {
    static func forward(
        _ query: ByteBuffer, to upstream: SocketAddress, on loop: EventLoop, timeout: TimeAmount, logger: Logger
    ) -> EventLoopFuture<ByteBuffer> {
        let promise = loop.makePromise(of: ByteBuffer.self)
        let any: SocketAddress
        do {
            any = try SocketAddress(ipAddress: upstream.protocol == .inet6 ? "::" : "0.0.0.0", port: 0)
        } catch {
            return loop.makeFailedFuture(error)
        }
        let id = query.getInteger(at: 0, as: UInt16.self)
        DatagramBootstrap(group: loop)
            .channelInitializer { ch in
                ch.pipeline.addHandler(ForwardReplyHandler(upstream: upstream, id: id, promise: promise))
            }
            .bind(to: any)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    channel.writeAndFlush(AddressedEnvelope(remoteAddress: upstream, data: query), promise: nil)
                    let timer = loop.scheduleTask(in: timeout) {
                        promise.fail(ChannelError.connectTimeout(timeout))
                    }
                    promise.futureResult.whenComplete { _ in
                        timer.cancel()
                        channel.close(promise: nil)
                    }
                case .failure(let error):
                    logger.warning("forwarding socket: \(error)")
                    promise.fail(error)
                }
            }
        return promise.futureResult
    }
}

final class ForwardReplyHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let upstream: SocketAddress
    let id: UInt16?
    let promise: EventLoopPromise<ByteBuffer>

    init(upstream: SocketAddress, id: UInt16?, promise: EventLoopPromise<ByteBuffer>) {
        self.upstream = upstream
        self.id = id
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard envelope.remoteAddress == upstream, envelope.data.getInteger(at: 0, as: UInt16.self) == id else { return }
        promise.succeed(envelope.data)
    }
}

/// RFC 1035 §4.2.2: a two-byte length before each message.
struct TCPLengthDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
            buffer.readableBytes >= 2 + Int(length)
        else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 2)
        context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: Int(length))!))
        return .continue
    }
}

final class TCPServfailHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let answer = servfail(for: unwrapInboundIn(data)) else {
            context.close(promise: nil)
            return
        }
        var out = context.channel.allocator.buffer(capacity: answer.readableBytes + 2)
        out.writeInteger(UInt16(answer.readableBytes))
        out.writeImmutableBuffer(answer)
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
    }
}
