import AgentCore
import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// Where an identified client connection goes: `BrokerCore.accept`.
public protocol TransparentConnectionSink: AnyObject, Sendable {
    var loop: EventLoop { get }
    /// On `loop`; the channel is not reading yet.
    func accept(channel: Channel, uid: UInt32, destination: SocketAddress, peer: String)
}

extension BrokerCore: TransparentConnectionSink {}

/// The redirected listeners (v4 and v6, `127.0.0.1:0` and `[::1]:0` from the helper): nftables sends
/// every TCP connection to an alias address here. For each connection it reads the original
/// destination (SO_ORIGINAL_DST / IP6T_SO_ORIGINAL_DST) and the client's uid (sock_diag on the
/// client's view: source = our peer address, destination = the original destination; after the
/// redirect our local address is the listener's, which matches nothing), then hands it to the broker.
/// A client that cannot be identified is reset. Reads stay off until the data plane splices.
public final class TransparentProxy: Sendable {
    private let sink: TransparentConnectionSink
    private let owners: SocketOwnerLookup
    private let logger: Logger

    public init(sink: TransparentConnectionSink, owners: SocketOwnerLookup, logger: Logger) {
        self.sink = sink
        self.owners = owners
        self.logger = logger
    }

    /// The listen queue (the helper binds with the same; the kernel caps it at net.core.somaxconn).
    static let backlog: Int32 = 4096

    public func serve(listeningSocket fd: CInt, group: EventLoopGroup) -> EventLoopFuture<Channel> {
        ServerBootstrap(group: group)
            .childChannelOption(.autoRead, value: false)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                // Not here: NIO registers an accepted channel only after its initializer, via the
                // listener's loop, so a connection identified and carried from the initializer could
                // reach the splice before it was active; the splice then refused it and the client
                // got a reset (wrk through the agent: 1 % of connections under load, bench/).
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ActivationHandler { self.identify(channel) })
                }
            }
            .withBoundSocket(fd)
            .flatMapThrowing { channel in
                // NIO adopts a bound socket with listen(fd, 128), before any option applies: listen
                // again with the helper's deep queue (a burst of connections must wait in it, not
                // lose the final ACK of its handshake: a connection that looks open, never served).
                guard listen(fd, TransparentProxy.backlog) == 0 else {
                    throw IOError(errnoCode: errno, reason: "listen")
                }
                return channel
            }
    }

    private func identify(_ channel: Channel) {
        guard let remote = channel.remoteAddress else {
            return refuse(channel, peer: "?", reason: "no peer address")
        }
        let peer = IPText.endpoint(remote)
        ChannelPeer.originalDestination(channel).map(\.socketAddress).whenComplete { result in
            switch result {
            case .failure(let error):
                self.refuse(channel, peer: peer, reason: "no original destination (\(error))")
            case .success(let destination):
                let uid: UInt32?
                do {
                    uid = try self.owners.tcpOwnerUID(client: remote, server: destination)
                } catch {
                    return self.refuse(channel, peer: peer, reason: "sock_diag failed (\(error))")
                }
                guard let uid else {
                    return self.refuse(
                        channel, peer: peer,
                        reason: "no local socket owns the connection (gone, TIME_WAIT or another network namespace)")
                }
                let sink = self.sink
                sink.loop.execute {
                    sink.accept(channel: channel, uid: uid, destination: destination, peer: peer)
                }
            }
        }
    }

    private func refuse(_ channel: Channel, peer: String, reason: String) {
        logger.notice("connection refused: cannot identify the client: \(reason)", metadata: ["peer": "\(peer)"])
        // Same reset as BrokerCore.refuse: SO_LINGER 0, then close.
        guard let provider = channel as? SocketOptionProvider else { return channel.close(promise: nil) }
        provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
    }
}

/// Runs `body` once when the channel becomes active, then leaves the pipeline.
final class ActivationHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private var body: (() -> Void)?

    init(_ body: @escaping () -> Void) {
        self.body = body
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { fire(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        fire(context: context)
    }

    private func fire(context: ChannelHandlerContext) {
        guard let body else { return }
        self.body = nil
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        body()
    }
}
