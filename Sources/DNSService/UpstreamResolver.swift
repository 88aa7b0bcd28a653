import Logging
import NIOCore
import NIOPosix

/// One upstream resolver and its pool of connected UDP sockets. Each socket is `connect`ed, so the kernel
/// accepts answers only from the upstream's address and port and reports ICMP unreachable as
/// ECONNREFUSED (fast failover); each has its own kernel-chosen random port and is replaced after
/// `upstreamSocketUses` queries or at its first query after `upstreamSocketMaxAge`, so ports keep changing
/// (RFC 5452 §9.2).
final class UpstreamResolver {
    let address: SocketAddress
    let label: String
    var sockets: [UpstreamSocket] = []
    var opening = 0
    var waiting: [PendingForward] = []
    /// Uptime nanoseconds until which this upstream is skipped after a failure (unless all are).
    var downUntil: UInt64 = 0
    var closed = false

    init(address: SocketAddress) {
        self.address = address
        switch address {
        case .v4(let v4): self.label = "\(v4.host.isEmpty ? address.ipAddress ?? "?" : v4.host):\(address.port ?? 0)"
        case .v6(let v6): self.label = "[\(v6.host.isEmpty ? address.ipAddress ?? "?" : v6.host)]:\(address.port ?? 0)"
        case .unixDomainSocket: self.label = "\(address)"
        }
    }
}

/// One connected UDP socket to an upstream.
final class UpstreamSocket: BatchFlushable {
    let serial: UInt32
    let channel: Channel
    unowned let server: UpstreamResolver
    var uses = 0
    /// Uptime nanoseconds when it was opened (for `upstreamSocketMaxAge`).
    let openedAt: UInt64
    var outstanding = 0
    var retired = false
    var flushScheduled = false

    init(serial: UInt32, channel: Channel, server: UpstreamResolver) {
        self.serial = serial
        self.channel = channel
        self.server = server
        self.openedAt = DNSEngine.uptimeNow()
    }

    func flushNow() {
        channel.flush()
    }
}

/// Delivers an upstream socket's datagrams to the forwarder.
final class UpstreamUDPHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let forwarder: Forwarder
    var serial: UInt32 = 0

    init(forwarder: Forwarder) {
        self.forwarder = forwarder
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        forwarder.receiveUDP(serial: serial, message: envelope.data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        forwarder.engine.endOfBatchAfterThisTurn()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // ECONNREFUSED: the upstream's port is closed (ICMP). Everything sent on this socket fails over.
        forwarder.socketFailed(serial: serial, reason: "\(error)")
        forwarder.engine.endOfBatch()
    }

    func channelInactive(context: ChannelHandlerContext) {
        forwarder.socketClosed(serial: serial)
    }
}

/// Reads one framed answer from an upstream over TCP (after a truncated UDP answer).
final class UpstreamTCPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let forwarder: Forwarder
    private let pending: PendingForward

    init(forwarder: Forwarder, pending: PendingForward) {
        self.forwarder = forwarder
        self.pending = pending
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        forwarder.receiveTCP(pending, channel: context.channel, message: unwrapInboundIn(data))
        forwarder.engine.endOfBatch()
    }

    func channelInactive(context: ChannelHandlerContext) {
        forwarder.tcpClosed(pending, channel: context.channel)
        forwarder.engine.endOfBatch()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
