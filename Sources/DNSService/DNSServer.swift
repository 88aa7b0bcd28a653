import AgentConfig
import DNSCodec
import Logging
import NIOCore
import NIOPosix
import PrivSep

/// The DNS server of the dns worker: serves the UDP and TCP sockets it is given, answers aliases per user,
/// forwards everything else. Everything runs on one event loop of `group`; every public method may be
/// called from any thread and hops there.
///
/// The worker main does, after the sandbox is up:
/// ```swift
/// var configuration = DNSServerConfiguration(agent: agentConfiguration, systemUpstreams: helperUpstreams)
/// configuration.unionUIDs = [systemdResolveUID, nscdUID]   // optional: caching stubs (getpwnam before the sandbox)
/// let server = try DNSServer.start(
///     group: group, udpFDs: [udp4, udp6], tcpFDs: [tcp4, tcp6],
///     configuration: configuration, delegate: brokerLink, logger: logger).wait()
/// // broker → dns messages:
/// server.setView(uid: uid, entries: entries)          // [] = no view (a paused user)
/// server.setFallbackUsers(uids)
/// server.resolveResult(requestID: id, uid: uid, name: name, ipv4: v4, ipv6: v6)
/// server.flushCache()
/// // helper → dns: SIGHUP reload, new system upstreams
/// server.update(configuration: DNSServerConfiguration(agent: reloaded, systemUpstreams: upstreams))
/// // status
/// server.counters().whenSuccess { counters in ... }
/// ```
/// Sockets the worker opens itself: NETLINK_SOCK_DIAG (one, for query owners), connected UDP sockets to each
/// upstream (a pool, replaced as they are used) and a TCP connection per truncated upstream answer.
public final class DNSServer: @unchecked Sendable {
    /// The uid reported for queries that could not be tied to one user (answered from the union of views).
    public static let unknownUID = UInt32.max

    /// The loop everything runs on; `DNSServerDelegate` is called here.
    public let eventLoop: EventLoop
    /// Where the server listens (useful when bound to port 0 in tests).
    public let udpAddresses: [SocketAddress]
    public let tcpAddresses: [SocketAddress]
    // Confined to `eventLoop` (the `@unchecked Sendable` above rests on this).
    private let engine: NIOLoopBound<DNSEngine>
    private let channels: [Channel]
    /// The UDP listeners (internal: the tests check their socket options).
    let udpChannels: [Channel]

    private init(
        eventLoop: EventLoop, engine: NIOLoopBound<DNSEngine>, udpChannels: [Channel], tcpChannels: [Channel]
    ) {
        self.eventLoop = eventLoop
        self.engine = engine
        self.channels = udpChannels + tcpChannels
        self.udpChannels = udpChannels
        self.udpAddresses = udpChannels.compactMap { $0.localAddress }
        self.tcpAddresses = tcpChannels.compactMap { $0.localAddress }
    }

    /// Serves already bound sockets (the helper binds :53 and passes them over SCM_RIGHTS): UDP sockets and
    /// listening TCP sockets, IPv4 and IPv6, any number of each. The server owns the fds from here on.
    public static func start(
        group: EventLoopGroup, udpFDs: [CInt], tcpFDs: [CInt], configuration: DNSServerConfiguration,
        delegate: DNSServerDelegate?, logger: Logger
    ) -> EventLoopFuture<DNSServer> {
        start(
            group: group, udp: udpFDs.map { .descriptor($0) }, tcp: tcpFDs.map { .descriptor($0) },
            configuration: configuration, delegate: delegate, logger: logger)
    }

    /// Binds the addresses itself: for tests and benchmarks that run the server unsandboxed (port 0 picks
    /// an ephemeral port; see `udpAddresses`/`tcpAddresses`).
    public static func start(
        group: EventLoopGroup, udpAddresses: [SocketAddress], tcpAddresses: [SocketAddress],
        configuration: DNSServerConfiguration, delegate: DNSServerDelegate?, logger: Logger
    ) -> EventLoopFuture<DNSServer> {
        start(
            group: group, udp: udpAddresses.map { .address($0) }, tcp: tcpAddresses.map { .address($0) },
            configuration: configuration, delegate: delegate, logger: logger)
    }

    private enum Endpoint {
        case descriptor(CInt)
        case address(SocketAddress)
    }

    /// Datagrams read per recvmmsg call on the listening UDP sockets.
    static let udpVectorReadCount = 16
    /// recvmmsg calls per wakeup on a listener, so at most 64 queries are read before the loop flushes
    /// their forwards and turns to the upstream sockets' answers: with 16 (256 queries) the upstream
    /// waited idle behind a long read, and forwarded misses ran ~4 % slower (issue 8; alias answers
    /// the same within noise).
    static let udpMessagesPerRead = 4
    /// The room each query gets in a vector read (`vectorReadAllocator`; NIO's default left 128 bytes a
    /// query, and any longer one, a long name with an EDNS cookie, got FORMERR). A query that fills its room
    /// may have been cut: it is answered TC, and the client asks again over TCP.
    static let queryDatagramRoom = 4096

    /// The receive buffer for a channel that reads `datagrams` per recvmmsg with `room` bytes each. NIO
    /// splits one buffer evenly between the datagrams of a vector read, and a datagram channel's default
    /// buffer is 2 KiB in all. A datagram longer than its room arrives cut to exactly `room` bytes (NIO does
    /// not report MSG_TRUNC), so one that fills its room must be treated as possibly cut. NIO rounds the
    /// capacity up to a power of two: both counts are powers of two, so the room is exact.
    static func vectorReadAllocator(datagrams: Int, room: Int) -> FixedSizeRecvByteBufferAllocator {
        FixedSizeRecvByteBufferAllocator(capacity: datagrams * room)
    }
    static let tcpBacklog: Int32 = 256

    /// Answers leave an IPv4 listener with DF set (`IP_PMTUDISC_PROBE`: set, whatever the path MTU). The
    /// listeners are local addresses answering local clients, so an answer never meets a smaller MTU; with
    /// DF the kernel writes IP ID 0 instead of hashing a per-destination ID for every answer (~0.7 % of the
    /// worker's CPU per alias answer, issue 8). Left as it is, with a log line, if the kernel refuses.
    private static func setDontFragment(_ channel: Channel, logger: Logger) -> EventLoopFuture<Channel> {
        guard case .v4 = channel.localAddress else { return channel.eventLoop.makeSucceededFuture(channel) }
        let option = ChannelOptions.Types.SocketOption(
            level: NIOBSDSocket.OptionLevel(rawValue: CInt(IPPROTO_IP)),
            name: NIOBSDSocket.Option(rawValue: CInt(IP_MTU_DISCOVER)))
        return channel.setOption(option, value: SocketOptionValue(IP_PMTUDISC_PROBE)).map { channel }.flatMapError {
            error in
            logger.debug("cannot set IP_PMTUDISC_PROBE on a DNS listener", metadata: ["error": "\(error)"])
            return channel.eventLoop.makeSucceededFuture(channel)
        }
    }

    private static func start(
        group: EventLoopGroup, udp: [Endpoint], tcp: [Endpoint], configuration: DNSServerConfiguration,
        delegate: DNSServerDelegate?, logger: Logger
    ) -> EventLoopFuture<DNSServer> {
        let loop = group.next()
        guard !udp.isEmpty || !tcp.isEmpty else { return loop.makeFailedFuture(DNSServiceError.noSockets) }
        let confinedDelegate = LoopConfined(delegate)
        return loop.flatSubmit {
            let engine = DNSEngine(
                loop: loop, configuration: configuration, delegate: confinedDelegate.value, logger: logger)
            engine.forwarder.setUpstreams(configuration.upstreams)
            let bound = NIOLoopBound(engine, eventLoop: loop)
            let udpFutures = udp.map { endpoint -> EventLoopFuture<Channel> in
                let bootstrap = DatagramBootstrap(group: loop)
                    .channelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                    .channelOption(ChannelOptions.datagramVectorReadMessageCount, value: udpVectorReadCount)
                    .channelOption(ChannelOptions.maxMessagesPerRead, value: UInt(udpMessagesPerRead))
                    .channelOption(
                        ChannelOptions.recvAllocator,
                        value: vectorReadAllocator(datagrams: udpVectorReadCount, room: queryDatagramRoom)
                    )
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(UDPQueryHandler(engine: bound.value))
                        }
                    }
                let channel: EventLoopFuture<Channel>
                switch endpoint {
                case .descriptor(let fd): channel = bootstrap.withBoundSocket(fd)
                case .address(let address): channel = bootstrap.bind(to: address)
                }
                return channel.flatMap { setDontFragment($0, logger: logger) }
            }
            let tcpFutures = tcp.map { endpoint -> EventLoopFuture<Channel> in
                let bootstrap = ServerBootstrap(group: loop)
                    .serverChannelOption(ChannelOptions.backlog, value: tcpBacklog)
                    .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                    .childChannelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            let engine = bound.value
                            try channel.pipeline.syncOperations.addHandlers([
                                TCPConnectionLimitHandler(engine: engine),
                                ByteToMessageHandler(DNSTCPFrameDecoder()),
                                TCPQueryHandler(engine: engine),
                            ])
                        }
                    }
                switch endpoint {
                case .descriptor(let fd): return bootstrap.withBoundSocket(fd)
                case .address(let address): return bootstrap.bind(to: address)
                }
            }
            let udpAll = EventLoopFuture.whenAllSucceed(udpFutures, on: loop)
            let tcpAll = EventLoopFuture.whenAllSucceed(tcpFutures, on: loop)
            return udpAll.and(tcpAll).map { udpChannels, tcpChannels in
                DNSServer(eventLoop: loop, engine: bound, udpChannels: udpChannels, tcpChannels: tcpChannels)
            }.flatMapErrorThrowing { error in
                // Some sockets may have opened: close whatever did before reporting.
                for future in udpFutures + tcpFutures { future.whenSuccess { $0.close(promise: nil) } }
                bound.value.forwarder.closeAll()
                throw error
            }
        }
    }

    // MARK: broker → dns

    /// Replaces `uid`'s alias view; `[]` removes it (also how a user's pause looks). Names are matched
    /// case-insensitively, a trailing dot ignored. A change flushes the answer cache.
    public func setView(uid: UInt32, entries: [AliasEntry]) {
        onLoop { engine in
            let usersBefore = engine.aliases.userCount
            let (changed, rejected) = engine.aliases.setView(uid: uid, entries: entries)
            // A user's first view (a sign-in) ran code the worker rarely runs again (like start-up).
            let firstView = engine.aliases.userCount > usersBefore
            for name in rejected {
                engine.logger.debug("alias is not a valid DNS name", metadata: ["uid": "\(uid)", "alias": "\(name)"])
            }
            if changed { engine.cache.removeAll() }
            // The message's strings and the scratch names of a big view are freed blocks now: give
            // their pages back rather than keep them resident.
            // (A moment later, once the message itself is released; several views in a row trim once.)
            if firstView { engine.trimDropsCode = true }
            if entries.count >= Self.trimAfterEntries || firstView, !engine.trimScheduled {
                engine.trimScheduled = true
                let confined = LoopConfined(engine)
                engine.loop.scheduleTask(in: .milliseconds(200)) {
                    confined.value.trimScheduled = false
                    StartupPages.release(code: confined.value.trimDropsCode)
                    confined.value.trimDropsCode = false
                }
            }
        }
    }

    /// A view at least this large returns the freed heap pages to the kernel after it is applied.
    static let trimAfterEntries = 10_000

    /// The users whose unknown names are asked of the broker (`DNSServerDelegate.resolveRequest`).
    public func setFallbackUsers(_ uids: [UInt32]) {
        onLoop { engine in engine.fallbackUIDs = Set(uids) }
    }

    /// The broker's answer to `resolveRequest`; no address means "not an alias": the name is forwarded.
    public func resolveResult(
        requestID: UInt64, uid: UInt32, name: String, ipv4: IPv4Address?, ipv6: IPv6Address?
    ) {
        onLoop { engine in
            engine.forwarder.resolveResult(requestID: requestID, uid: uid, name: name, ipv4: ipv4, ipv6: ipv6)
            engine.endOfBatch()
        }
    }

    /// Forgets every cached answer (the broker asks on pause and on alias changes).
    public func flushCache() {
        onLoop { engine in engine.cache.removeAll() }
    }

    /// Forgets every view and fallback user and the cache: a restarted broker starts with no tokens,
    /// so what the previous one pushed no longer holds (the new one pushes what it knows).
    public func resetViews() {
        onLoop { engine in
            for uid in engine.aliases.uids { _ = engine.aliases.setView(uid: uid, entries: []) }
            engine.fallbackUIDs = []
            engine.cache.removeAll()
        }
    }

    // MARK: configuration and status

    /// Applies a reloaded configuration: upstreams, timeouts, cache size (a new size empties the cache).
    public func update(configuration: DNSServerConfiguration) {
        onLoop { engine in
            let old = engine.configuration
            engine.configuration = configuration
            if old.cacheSize != configuration.cacheSize { engine.cache.resize(configuration.cacheSize) }
            if old.upstreams != configuration.upstreams
                || old.upstreamSocketsPerServer != configuration.upstreamSocketsPerServer
            {
                engine.forwarder.setUpstreams(configuration.upstreams)
                engine.cache.removeAll()
            }
        }
    }

    /// A snapshot of the counters.
    public func counters() -> EventLoopFuture<DNSCounters> {
        let engine = self.engine
        return eventLoop.submit {
            var counters = engine.value.counters
            counters.cacheEntries = engine.value.cache.count
            counters.tcpConnections = engine.value.tcpConnectionCount
            return counters
        }
    }

    /// Stops serving: closes the listening sockets and upstream sockets. In-flight queries are dropped.
    public func close() -> EventLoopFuture<Void> {
        let engine = self.engine
        let channels = self.channels
        return eventLoop.flatSubmit {
            engine.value.forwarder.closeAll()
            let closes = channels.map { $0.close() }
            return EventLoopFuture.andAllComplete(closes, on: engine.value.loop)
        }
    }

    private func onLoop(_ body: @escaping @Sendable (DNSEngine) -> Void) {
        let engine = self.engine
        if eventLoop.inEventLoop {
            body(engine.value)
        } else {
            eventLoop.execute { body(engine.value) }
        }
    }
}
