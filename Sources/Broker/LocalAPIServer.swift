import AgentCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The local API listeners: the unix socket (caller = SO_PEERCRED) and the TCP port on 127.0.0.1
/// (caller = the owner of the client's socket by sock_diag: source = our peer address, destination
/// = our local address). Both sockets arrive bound and listening from the helper. A connection whose
/// caller cannot be identified is closed before a byte is read.
public final class LocalAPIServer: Sendable {
    /// Bound on API connections at once, over all users, and per user: the API must stay reachable
    /// when one user opens connections in a loop.
    public static let maximumConnections = 512
    public static let maximumConnectionsPerUser = 32
    /// A connection idle this long is closed.
    public static let idleTimeout: TimeAmount = .seconds(30)

    private let backend: LocalAPIBackend
    private let owners: SocketOwnerLookup
    private let logger: Logger
    private let counts = Mutex<(total: Int, perUser: [UInt32: Int])>((0, [:]))

    public init(backend: LocalAPIBackend, owners: SocketOwnerLookup, logger: Logger) {
        self.backend = backend
        self.owners = owners
        self.logger = logger
    }

    /// Serves the listening socket `fd` (unix or TCP). The channel it returns closes on shutdown.
    public func serve(listeningSocket fd: CInt, transport: LocalAPIRoute.Transport, group: EventLoopGroup)
        -> EventLoopFuture<Channel>
    {
        // NIO registers the child (and so starts reading) only once this initializer's future has
        // completed: nothing is read before the caller is identified and the handlers are in place.
        ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                self.identify(channel, transport: transport).flatMap { uid in
                    self.admit(channel, uid: uid, transport: transport)
                }.flatMapError { error in
                    self.logger.notice("local API connection refused: \(error)")
                    channel.close(promise: nil)
                    return channel.eventLoop.makeSucceededVoidFuture()
                }
            }
            .withBoundSocket(fd)
    }

    func identify(_ channel: Channel, transport: LocalAPIRoute.Transport) -> EventLoopFuture<UInt32> {
        switch transport {
        case .unix:
            return ChannelPeer.credentials(channel).map(\.uid)
        case .tcp:
            guard let remote = channel.remoteAddress, let local = channel.localAddress else {
                return channel.eventLoop.makeFailedFuture(BrokerError.identification("no addresses"))
            }
            do {
                guard let uid = try owners.tcpOwnerUID(client: remote, server: local) else {
                    return channel.eventLoop.makeFailedFuture(
                        BrokerError.identification(
                            "no local socket owns \(IPText.endpoint(remote)) → \(IPText.endpoint(local))"))
                }
                return channel.eventLoop.makeSucceededFuture(uid)
            } catch {
                return channel.eventLoop.makeFailedFuture(BrokerError.identification("\(error)"))
            }
        }
    }

    func admit(_ channel: Channel, uid: UInt32, transport: LocalAPIRoute.Transport) -> EventLoopFuture<Void> {
        let admitted = counts.withLock { counts -> Bool in
            let mine = counts.perUser[uid] ?? 0
            guard counts.total < Self.maximumConnections, mine < Self.maximumConnectionsPerUser else { return false }
            counts.total += 1
            counts.perUser[uid] = mine + 1
            return true
        }
        guard admitted else {
            return channel.eventLoop.makeFailedFuture(
                BrokerError.identification("uid \(uid) is over the local API connection limit"))
        }
        channel.closeFuture.whenComplete { _ in
            self.counts.withLock { counts in
                counts.total -= 1
                let mine = (counts.perUser[uid] ?? 1) - 1
                counts.perUser[uid] = mine > 0 ? mine : nil
            }
        }
        var logger = self.logger
        logger[metadataKey: "uid"] = "\(uid)"
        let handler = LocalAPIHandler(uid: uid, transport: transport, backend: backend, logger: logger)
        return channel.eventLoop.makeCompletedFuture {
            let sync = channel.pipeline.syncOperations
            try sync.addHandler(IdleStateHandler(allTimeout: Self.idleTimeout))
            try sync.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
            try sync.addHandler(handler)
        }
    }
}
