import BoundaryAPI
import DNSCodec
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Resolves controller and worker host names inside the sandbox, where getaddrinfo may not run (it
/// reads /etc files, and NIO's wrapper uses Dispatch): an A and an AAAA query to the DNS worker
/// (`v4_prefix` base + 1, port 53), which forwards names that are not aliases to the system's
/// upstream resolvers. UDP first, with EDNS (RFC 6891: answers up to 1,232 bytes fit a datagram); when
/// an answer is truncated anyway (a name with a hundred addresses), or the sandbox does not allow a UDP
/// socket, the queries again over one TCP connection (RFC 7766 §6.2.1.1 pipelining). Random ids (and,
/// for UDP, a random source port); an answer counts only from the server we asked, with our id and our
/// question (RFC 5452 §9.1). Answers are cached for their TTL (clamped), since a data-plane connection
/// to a worker named by host name resolves it each time.
public struct DNSHostResolver: HostResolver {
    /// How long both answers may take together.
    public static let defaultTimeout: TimeAmount = .seconds(5)
    /// Bounds on how long an answer is reused.
    public static let minimumCacheSeconds: UInt32 = 5
    public static let maximumCacheSeconds: UInt32 = 300
    /// Bound on cached names.
    public static let maximumCachedNames = 256

    public enum Transport: Sendable {
        /// UDP, and TCP when no UDP socket can be had.
        case udpThenTCP
        /// TCP only (tests; a DNS server without UDP).
        case tcp
    }

    public let server: SocketAddress
    public let timeout: TimeAmount
    public let transport: Transport
    let cache = ResolverCache()

    public init(
        server: SocketAddress, timeout: TimeAmount = DNSHostResolver.defaultTimeout, transport: Transport = .udpThenTCP
    ) {
        self.server = server
        self.timeout = timeout
        self.transport = transport
    }

    public func resolve(host: String, port: Int, on eventLoop: any EventLoop) -> EventLoopFuture<[SocketAddress]> {
        let key = AliasName.normalize(host)
        if let cached = cache.lookup(key, at: .now()) {
            return eventLoop.makeSucceededFuture(cached.compactMap { try? SocketAddress(ipAddress: $0, port: port) })
        }
        let name: DNSName
        do {
            name = try DNSName(host)
        } catch {
            return eventLoop.makeFailedFuture(ControllerError.resolutionFailed(host: host, reason: "not a DNS name"))
        }
        let lookup = DNSLookup(name: name)
        let promise = eventLoop.makePromise(of: DNSLookup.Answer.self)
        let timer = eventLoop.scheduleTask(in: timeout) {
            promise.fail(ControllerError.resolutionFailed(host: host, reason: "no answer from the DNS server"))
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        // A group shutting down fails the timer instead of running it: answer then, or the promise leaks.
        timer.futureResult.whenFailure { error in
            if let loopError = error as? EventLoopError, loopError == .shutdown {
                promise.fail(ControllerError.resolutionFailed(host: host, reason: "the resolver is shutting down"))
            }
        }
        let server = self.server
        if transport == .tcp {
            Self.overTCP(lookup, server: server, promise: promise, on: eventLoop)
        } else {
            overUDP(lookup, promise: promise, on: eventLoop)
        }
        let cache = self.cache
        return promise.futureResult.flatMapThrowing { answer in
            guard !answer.addresses.isEmpty else {
                throw ControllerError.resolutionFailed(host: host, reason: answer.failure ?? "no IPv4 or IPv6 address")
            }
            cache.store(key, answer.addresses, ttl: answer.ttl, at: .now())
            return answer.addresses.compactMap { try? SocketAddress(ipAddress: $0, port: port) }
        }
    }

    /// The wildcard addresses for an ephemeral local port. As literal addresses: NIO's `bind(host:port:)`
    /// goes through getaddrinfo, whose AI_ADDRCONFIG check opens a NETLINK_ROUTE socket, which the
    /// sandbox answers by killing the process.
    static var anyIPv4: SocketAddress {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        return SocketAddress(address, host: "")
    }

    static var anyIPv6: SocketAddress {
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        return SocketAddress(address, host: "")
    }

    func overUDP(_ lookup: DNSLookup, promise: EventLoopPromise<DNSLookup.Answer>, on eventLoop: EventLoop) {
        let server = self.server
        DatagramBootstrap(group: eventLoop)
            // Room for any datagram: one cut short would not parse, and only the timeout would answer.
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_535))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        DNSUDPLookupHandler(lookup: lookup, server: server, promise: promise))
                }
            }
            .bind(to: server.protocol == .inet6 ? Self.anyIPv6 : Self.anyIPv4)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
                    for query in lookup.queries() {
                        var buffer = channel.allocator.buffer(capacity: 512)
                        buffer.writeBytes(query)
                        channel.writeAndFlush(AddressedEnvelope(remoteAddress: server, data: buffer), promise: nil)
                    }
                case .failure:
                    // The sandbox may allow only stream sockets: ask over TCP instead.
                    Self.overTCP(lookup, server: server, promise: promise, on: eventLoop)
                }
            }
    }

    static func overTCP(
        _ lookup: DNSLookup, server: SocketAddress, promise: EventLoopPromise<DNSLookup.Answer>, on eventLoop: EventLoop
    ) {
        ClientBootstrap(group: eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        DNSTCPLookupHandler(lookup: lookup, promise: promise))
                }
            }
            .connect(to: server)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
                    for query in lookup.queries() {
                        var buffer = channel.allocator.buffer(capacity: query.count + 2)
                        buffer.writeInteger(UInt16(query.count))
                        buffer.writeBytes(query)
                        channel.writeAndFlush(buffer, promise: nil)
                    }
                case .failure(let error):
                    promise.fail(
                        ControllerError.resolutionFailed(
                            host: "\(lookup.name)", reason: "DNS server unreachable: \(error)"))
                }
            }
    }
}

/// The names resolved recently (addresses as text, with their expiry).
final class ResolverCache: Sendable {
    private let entries = Mutex<[String: (addresses: [String], until: NIODeadline)]>([:])

    func lookup(_ name: String, at now: NIODeadline) -> [String]? {
        entries.withLock { entries in
            guard let entry = entries[name] else { return nil }
            guard entry.until > now else {
                entries.removeValue(forKey: name)
                return nil
            }
            return entry.addresses
        }
    }

    func store(_ name: String, _ addresses: [String], ttl: UInt32, at now: NIODeadline) {
        let seconds = min(max(ttl, DNSHostResolver.minimumCacheSeconds), DNSHostResolver.maximumCacheSeconds)
        entries.withLock { entries in
            if entries.count >= DNSHostResolver.maximumCachedNames { entries.removeAll() }
            entries[name] = (addresses, now + .seconds(Int64(seconds)))
        }
    }
}

/// One lookup's state: the two questions (AAAA and A) and what came back. Used on one event loop.
final class DNSLookup: @unchecked Sendable {
    // @unchecked: touched only on the lookup's event loop (the handlers' and the bootstrap callbacks').
    struct Answer: Sendable {
        /// IPv6 first, then IPv4 (RFC 6724's default preference).
        var addresses: [String]
        var ttl: UInt32
        var failure: String?
    }

    let name: DNSName
    private var pending: [UInt16: DNSType] = [:]
    private var v6: [String] = []
    private var v4: [String] = []
    private var ttl = UInt32.max
    private var failures: [String] = []
    private var built: [[UInt8]] = []
    /// An answer came with TC: over UDP, the whole lookup is asked again over TCP.
    private(set) var truncated = false

    init(name: DNSName) {
        self.name = name
    }

    /// The encoded queries (built once, so UDP and TCP send the same ids).
    func queries() -> [[UInt8]] {
        if !built.isEmpty { return built }
        var generator = SystemRandomNumberGenerator()
        for type in [DNSType.aaaa, .a] {
            var id = UInt16.random(in: 0...UInt16.max, using: &generator)
            while pending[id] != nil { id = UInt16.random(in: 0...UInt16.max, using: &generator) }
            pending[id] = type
            let query = DNSMessage(
                header: DNSHeader(id: id, flags: DNSHeader.Flag.recursionDesired, questionCount: 1),
                questions: [DNSQuestion(name: name, type: type)], edns: EDNS())
            var buffer = ByteBuffer()
            // A name that parsed cannot fail to encode; if it did, the timeout answers.
            try? query.write(to: &buffer)
            built.append(Array(buffer.readableBytesView))
        }
        return built
    }

    /// Takes one response; returns the answer once both questions are answered.
    func take(_ bytes: ByteBuffer) -> Answer? {
        guard let message = try? DNSMessage.read(from: bytes), message.header.isResponse,
            let type = pending[message.header.id], message.questions.count == 1,
            message.questions[0].type == type, message.questions[0].name == name
        else { return nil }
        pending.removeValue(forKey: message.header.id)
        if message.header.isTruncated {
            truncated = true
            failures.append("\(type) answer truncated")
        } else if message.responseCode != .noError {
            failures.append("\(type): \(message.responseCode)")
        }
        for record in message.answers {
            switch record.data {
            case .a(let address):
                v4.append(address.description)
                ttl = min(ttl, record.ttl)
            case .aaaa(let address):
                v6.append(address.description)
                ttl = min(ttl, record.ttl)
            default:
                continue
            }
        }
        guard pending.isEmpty else { return nil }
        return Answer(
            addresses: v6 + v4, ttl: ttl == UInt32.max ? 0 : ttl,
            failure: failures.isEmpty ? nil : failures.joined(separator: ", "))
    }
}

final class DNSUDPLookupHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: used only on its channel's event loop.
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    let lookup: DNSLookup
    let server: SocketAddress
    let promise: EventLoopPromise<DNSLookup.Answer>
    private var retriedOverTCP = false

    init(lookup: DNSLookup, server: SocketAddress, promise: EventLoopPromise<DNSLookup.Answer>) {
        self.lookup = lookup
        self.server = server
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard envelope.remoteAddress == server, !retriedOverTCP else { return }
        let answer = lookup.take(envelope.data)
        if lookup.truncated {
            // The addresses did not fit a datagram: a partial list could leave out the one that works.
            retriedOverTCP = true
            DNSHostResolver.overTCP(
                DNSLookup(name: lookup.name), server: server, promise: promise, on: context.eventLoop)
            context.close(promise: nil)
        } else if let answer {
            promise.succeed(answer)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // ICMP port unreachable and the like: the timeout or a later answer decides.
    }
}

/// DNS over TCP: each message has a two-byte length prefix (RFC 1035 §4.2.2).
final class DNSTCPLookupHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: used only on its channel's event loop.
    typealias InboundIn = ByteBuffer

    /// A DNS message is at most 65535 bytes; anything pending beyond two of them is not ours.
    static let maximumBuffered = 2 * 65_537

    let lookup: DNSLookup
    let promise: EventLoopPromise<DNSLookup.Answer>
    private var buffer = ByteBuffer()

    init(lookup: DNSLookup, promise: EventLoopPromise<DNSLookup.Answer>) {
        self.lookup = lookup
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        guard buffer.readableBytes <= Self.maximumBuffered else {
            promise.fail(ControllerError.resolutionFailed(host: "\(lookup.name)", reason: "oversized DNS answer"))
            context.close(promise: nil)
            return
        }
        while let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
            buffer.readableBytes >= 2 + Int(length)
        {
            buffer.moveReaderIndex(forwardBy: 2)
            // `readSlice` returns nil only when short, checked above.
            guard let message = buffer.readSlice(length: Int(length)) else { return }
            if let answer = lookup.take(message) {
                promise.succeed(answer)
                return
            }
        }
        buffer.discardReadBytes()
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(
            ControllerError.resolutionFailed(host: "\(lookup.name)", reason: "the DNS server closed the connection"))
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise.fail(ControllerError.resolutionFailed(host: "\(lookup.name)", reason: "\(error)"))
        context.close(promise: nil)
    }
}
