import BoundaryAPI
import DNSCodec
import NIOCore
import NIOPosix

/// Resolves controller and worker host names inside the sandbox, where getaddrinfo may not run (it
/// reads /etc files, and NIO's wrapper uses Dispatch): an A and an AAAA query over UDP to the DNS
/// worker (`v4_prefix` base + 1, port 53), which forwards names that are not aliases to the system's
/// upstream resolvers. Random id and source port per query; an answer counts only from the server
/// we asked, with our id and our question (RFC 5452 §9.1).
public struct DNSHostResolver: HostResolver {
    /// How long both answers may take together.
    public static let defaultTimeout: TimeAmount = .seconds(5)

    public let server: SocketAddress
    public let timeout: TimeAmount

    public init(server: SocketAddress, timeout: TimeAmount = DNSHostResolver.defaultTimeout) {
        self.server = server
        self.timeout = timeout
    }

    public func resolve(host: String, port: Int, on eventLoop: any EventLoop) -> EventLoopFuture<[SocketAddress]> {
        let name: DNSName
        do {
            name = try DNSName(host)
        } catch {
            return eventLoop.makeFailedFuture(ControllerError.resolutionFailed(host: host, reason: "not a DNS name"))
        }
        let promise = eventLoop.makePromise(of: [SocketAddress].self)
        let handler = DNSLookupHandler(name: name, server: server, port: port, promise: promise)
        let bind: EventLoopFuture<Channel> =
            DatagramBootstrap(group: eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
            }
            .bind(host: server.protocol == .inet6 ? "::" : "0.0.0.0", port: 0)
        let timeout = self.timeout
        bind.whenComplete { result in
            switch result {
            case .failure(let error):
                promise.fail(ControllerError.resolutionFailed(host: host, reason: "cannot open a UDP socket: \(error)"))
            case .success(let channel):
                let timer = channel.eventLoop.scheduleTask(in: timeout) {
                    promise.fail(ControllerError.resolutionFailed(host: host, reason: "no answer from the DNS server"))
                }
                promise.futureResult.whenComplete { _ in
                    timer.cancel()
                    channel.close(promise: nil)
                }
                handler.send(on: channel)
            }
        }
        return promise.futureResult.flatMapThrowing { addresses in
            guard !addresses.isEmpty else {
                throw ControllerError.resolutionFailed(host: host, reason: "no IPv4 or IPv6 address")
            }
            return addresses
        }
    }
}

/// One lookup: sends the A and AAAA questions, collects the two matching answers.
final class DNSLookupHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: used only on its channel's event loop (the bootstrap's and the send's).
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    let name: DNSName
    let server: SocketAddress
    let port: Int
    let promise: EventLoopPromise<[SocketAddress]>
    private var pending: [UInt16: DNSType] = [:]
    private var v6: [SocketAddress] = []
    private var v4: [SocketAddress] = []
    private var failures: [String] = []

    init(name: DNSName, server: SocketAddress, port: Int, promise: EventLoopPromise<[SocketAddress]>) {
        self.name = name
        self.server = server
        self.port = port
        self.promise = promise
    }

    func send(on channel: Channel) {
        var generator = SystemRandomNumberGenerator()
        for type in [DNSType.aaaa, .a] {
            var id = UInt16.random(in: 0...UInt16.max, using: &generator)
            while pending[id] != nil { id = UInt16.random(in: 0...UInt16.max, using: &generator) }
            pending[id] = type
            let query = DNSMessage(
                header: DNSHeader(id: id, flags: DNSHeader.Flag.recursionDesired, questionCount: 1),
                questions: [DNSQuestion(name: name, type: type)])
            var buffer = channel.allocator.buffer(capacity: 512)
            do {
                try query.write(to: &buffer)
            } catch {
                promise.fail(ControllerError.resolutionFailed(host: "\(name)", reason: "cannot encode the query"))
                return
            }
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: server, data: buffer), promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard envelope.remoteAddress == server else { return }
        guard let message = try? DNSMessage.read(from: envelope.data), message.header.isResponse,
            let type = pending[message.header.id], message.questions.count == 1,
            message.questions[0].type == type, message.questions[0].name == name
        else { return }
        pending.removeValue(forKey: message.header.id)
        if message.header.isTruncated {
            failures.append("\(type) answer truncated")
        } else if message.responseCode != .noError {
            failures.append("\(type): \(message.responseCode)")
        }
        for record in message.answers {
            switch record.data {
            case .a(let address):
                if let a = try? SocketAddress(ipAddress: address.description, port: port) { v4.append(a) }
            case .aaaa(let address):
                if let a = try? SocketAddress(ipAddress: address.description, port: port) { v6.append(a) }
            default:
                continue
            }
        }
        if pending.isEmpty {
            let all = v6 + v4
            if all.isEmpty, !failures.isEmpty {
                promise.fail(
                    ControllerError.resolutionFailed(host: "\(name)", reason: failures.joined(separator: ", ")))
            } else {
                promise.succeed(all)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // ICMP port unreachable and the like: the timeout or a later answer decides.
    }
}
