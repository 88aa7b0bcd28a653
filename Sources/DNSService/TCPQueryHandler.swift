import NIOCore

/// Serves one client TCP connection (RFC 7766): several queries per connection, pipelined, answered in
/// whatever order they complete; reading pauses while too many are outstanding; the connection closes
/// after `tcpIdleTimeout` with nothing outstanding and no new query.
final class TCPQueryHandler: ChannelInboundHandler, ResponseSink {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let engine: DNSEngine
    private var context: ChannelHandlerContext?
    private var outstanding = 0
    private var readingPaused = false
    private var lastActivity: UInt64 = 0
    private var idleCheck: Scheduled<Void>?
    private var uidLooked = false
    private var uid: UInt32?
    var flushScheduled = false

    init(engine: DNSEngine) {
        self.engine = engine
    }

    var isTCP: Bool { true }
    var isActive: Bool { context != nil }

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        engine.tcpConnectionCount += 1
        lastActivity = DNSEngine.uptimeNow()
        scheduleIdleCheck(after: engine.configuration.tcpIdleTimeout)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if self.context != nil { engine.tcpConnectionCount -= 1 }
        self.context = nil
        idleCheck?.cancel()
        idleCheck = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActivity = DNSEngine.uptimeNow()
        engine.process(unwrapInboundIn(data), origin: QueryOrigin(sink: self, remote: nil))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        engine.endOfBatch()
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        engine.logger.trace("DNS TCP connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    func send(_ message: ByteBuffer, to remote: SocketAddress?) {
        context?.write(wrapOutboundOut(message), promise: nil)
    }

    func flushNow() {
        context?.flush()
    }

    func ownerUID(remote: SocketAddress?, now: UInt64) -> UInt32? {
        if !uidLooked, let context, let local = context.channel.localAddress, let peer = context.channel.remoteAddress {
            uid = engine.ownerLookup.ownerUID(transport: .tcp, local: local, remote: peer)
            uidLooked = true
        }
        return uid
    }

    func pendingStarted() {
        outstanding += 1
        if outstanding >= engine.configuration.maxQueriesInFlightPerTCPConnection, !readingPaused, let context {
            readingPaused = true
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        }
    }

    func pendingFinished() {
        outstanding -= 1
        lastActivity = DNSEngine.uptimeNow()
        if readingPaused, outstanding < engine.configuration.maxQueriesInFlightPerTCPConnection, let context {
            readingPaused = false
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        }
    }

    private func scheduleIdleCheck(after delay: TimeAmount) {
        guard let context else { return }
        let confined = NIOLoopBound(self, eventLoop: context.eventLoop)
        idleCheck = context.eventLoop.scheduleTask(in: delay) {
            confined.value.idleCheckFired()
        }
    }

    private func idleCheckFired() {
        guard let context = self.context else { return }
        let idle = TimeAmount.nanoseconds(Int64(DNSEngine.uptimeNow() - lastActivity))
        let limit = engine.configuration.tcpIdleTimeout
        if outstanding == 0 && idle >= limit {
            context.close(promise: nil)
        } else {
            scheduleIdleCheck(after: max(limit - idle, .milliseconds(100)))
        }
    }
}

/// Closes connections over the cap as soon as they are accepted (the first handler of each child).
final class TCPConnectionLimitHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let engine: DNSEngine

    init(engine: DNSEngine) {
        self.engine = engine
    }

    func channelActive(context: ChannelHandlerContext) {
        if engine.tcpConnectionCount >= engine.configuration.maxTCPConnections {
            engine.counters.dropped &+= 1
            context.close(promise: nil)
            return
        }
        context.fireChannelActive()
    }
}
