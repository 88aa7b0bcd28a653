import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// One HTTP request as the dev servers see it.
struct DevHTTPRequest: Sendable {
    var method: HTTPMethod
    var uri: String
    var headers: HTTPHeaders
    var body: [UInt8]
    var peer: SocketAddress?

    /// The path without the query.
    var path: Substring { uri.prefix { $0 != "?" } }

    /// Query parameters, form-decoded (`+` is a space), first value wins.
    var query: [String: String] {
        guard let q = uri.firstIndex(of: "?") else { return [:] }
        var result: [String: String] = [:]
        for pair in uri[uri.index(after: q)...].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (s: Substring) in DevHTTPRequest.percentDecode(s.replacingOccurrences(of: "+", with: " ")) }
            guard let key = decode(kv[0]) else { continue }
            let value = kv.count > 1 ? decode(kv[1]) ?? "" : ""
            if result[key] == nil { result[key] = value }
        }
        return result
    }

    static func percentDecode(_ text: some StringProtocol) -> String? {
        var out: [UInt8] = []
        var bytes = Array(text.utf8)[...]
        while let c = bytes.popFirst() {
            if c == UInt8(ascii: "%") {
                guard bytes.count >= 2, let hi = hex(bytes.removeFirst()), let lo = hex(bytes.removeFirst()) else {
                    return nil
                }
                out.append(hi << 4 | lo)
            } else {
                out.append(c)
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
}

extension Substring {
    fileprivate func replacingOccurrences(of a: Character, with b: Character) -> String {
        String(map { $0 == a ? b : $0 })
    }
}

struct DevHTTPResponse: Sendable {
    var status: Int
    var headers: [(String, String)] = [("Content-Type", "application/json")]
    var body: [UInt8]

    init(status: Int, body: [UInt8], contentType: String = "application/json") {
        self.status = status
        self.body = body
        self.headers = [("Content-Type", contentType)]
    }
}

/// Where a dev listener binds: `host:port`, `[v6]:port`, or (as `boundary dev` allows for the API)
/// a path starting with `/` for a unix socket.
public enum DevListenAddress: Sendable, Equatable, CustomStringConvertible {
    case tcp(host: String, port: Int)
    case unix(path: String)

    public init(parsing text: String) throws {
        if text.hasPrefix("/") {
            self = .unix(path: text)
            return
        }
        var host: Substring
        var port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw DevControllerError.config("listen address \(text) is not [v6]:port")
            }
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw DevControllerError.config("listen address \(text) is not host:port")
            }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        }
        guard let p = Int(port), p >= 0, p <= 65535, !host.isEmpty else {
            throw DevControllerError.config("listen address \(text) has no valid port")
        }
        self = .tcp(host: String(host), port: p)
    }

    public var description: String {
        switch self {
        case .tcp(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): return path
        }
    }
}

/// A small HTTP/1.1 server (keep-alive, pipelining through NIO's server pipeline) whose listener
/// can be stopped and started again in the same process: the "API down" fault knob.
final class DevHTTPServer: Sendable {
    typealias Handler = @Sendable (DevHTTPRequest, any EventLoop) -> EventLoopFuture<DevHTTPResponse>

    /// Request bodies above this are refused (`globals.DefaultMaxRequestSize`, 1 MiB).
    static let maximumRequestBytes = 1 << 20

    let name: String
    let group: any EventLoopGroup
    let handler: Handler

    private struct State {
        var listener: (any Channel)?
        var address: DevListenAddress?
        var children: [ObjectIdentifier: any Channel] = [:]
    }

    private let state = Mutex(State())

    init(name: String, group: any EventLoopGroup, handler: @escaping Handler) {
        self.name = name
        self.group = group
        self.handler = handler
    }

    var isRunning: Bool { state.withLock { $0.listener != nil } }

    /// Binds and serves; returns the bound address (port 0 picks a free port, which `restart`
    /// then reuses).
    @discardableResult
    func start(_ address: DevListenAddress) async throws -> SocketAddress {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 4096)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.configureHTTPServerPipeline(withErrorHandling: true)
                    try sync.addHandler(DevHTTPHandler(handler: handler, peer: channel.remoteAddress))
                    track(channel)
                }
            }
        let channel: any Channel
        do {
            switch address {
            case .tcp(let host, let port): channel = try await bootstrap.bind(host: host, port: port).get()
            case .unix(let path):
                channel = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
            }
        } catch {
            throw DevControllerError.bind(address: address.description, reason: "\(error)")
        }
        var bound = address
        if case .tcp(let host, _) = address, let port = channel.localAddress?.port {
            bound = .tcp(host: host, port: port)
        }
        state.withLock {
            $0.listener = channel
            $0.address = bound
        }
        guard let local = channel.localAddress else { throw ChannelError.unknownLocalAddress }
        return local
    }

    /// Closes the listener and every open connection: new connections are refused.
    func stop() async {
        let (listener, children) = state.withLock { s -> ((any Channel)?, [any Channel]) in
            defer {
                s.listener = nil
                s.children = [:]
            }
            return (s.listener, Array(s.children.values))
        }
        try? await listener?.close()
        for child in children { try? await child.close() }
    }

    /// Binds the address of the last `start` again.
    func restart() async throws {
        guard !isRunning else { return }
        guard let address = state.withLock({ $0.address }) else {
            throw DevControllerError.config("\(name) was never started")
        }
        try await start(address)
    }

    private func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        state.withLock { $0.children[id] = channel }
        channel.closeFuture.whenComplete { [self] _ in
            _ = state.withLock { $0.children.removeValue(forKey: id) }
        }
    }
}

/// Gathers one request (body capped), asks the handler, writes the answer; keeps the connection
/// open when the client asked for keep-alive.
final class DevHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let handler: DevHTTPServer.Handler
    private let peer: SocketAddress?
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false

    init(handler: @escaping DevHTTPServer.Handler, peer: SocketAddress?) {
        self.handler = handler
        self.peer = peer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
            tooLarge = false
        case .body(let buffer):
            if body.count + buffer.readableBytes > DevHTTPServer.maximumRequestBytes {
                tooLarge = true
            } else {
                body.append(contentsOf: buffer.readableBytesView)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            if tooLarge {
                let error = DevAPIError(
                    status: 413, body: .init(kind: "InvalidArgument", message: "http: request body too large"))
                respond(
                    context: context, keepAlive: false, DevHTTPResponse(status: 413, body: error.body.protoJSONBytes))
                return
            }
            let request = DevHTTPRequest(
                method: head.method, uri: head.uri, headers: head.headers, body: body, peer: peer)
            let keepAlive = head.isKeepAlive
            handler(request, context.eventLoop).hop(to: context.eventLoop).assumeIsolated().whenComplete { result in
                switch result {
                case .success(let response): self.respond(context: context, keepAlive: keepAlive, response)
                case .failure(let error):
                    let body = DevAPIError.internal("\(error)").body.protoJSONBytes
                    self.respond(context: context, keepAlive: false, DevHTTPResponse(status: 500, body: body))
                }
            }
        }
    }

    private func respond(context: ChannelHandlerContext, keepAlive: Bool, _ response: DevHTTPResponse) {
        // The client may have gone while a latency fault held the answer back.
        guard context.channel.isActive else { return }
        var headers = HTTPHeaders(response.headers)
        headers.add(name: "Content-Length", value: String(response.body.count))
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(
            version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !response.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            done.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
