import AgentAPI
import JSON
import Logging
import NIOCore
import NIOHTTP1

/// Serves the local API to one identified caller (`uid`, from the socket). Handlers of the
/// requests live in the backend (`BrokerCore`); this one assembles each request within the size
/// caps, applies the browser checks, routes it and writes the JSON answer.
public protocol LocalAPIBackend: AnyObject, Sendable {
    /// Runs `route` for `uid`; callable from any event loop. Fails with `APIError`.
    func handle(_ route: LocalAPIRoute, uid: UInt32) -> EventLoopFuture<JSONValue>
}

final class LocalAPIHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let uid: UInt32
    private let transport: LocalAPIRoute.Transport
    private let backend: LocalAPIBackend
    private let logger: Logger
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false

    init(uid: UInt32, transport: LocalAPIRoute.Transport, backend: LocalAPIBackend, logger: Logger) {
        self.uid = uid
        self.transport = transport
        self.backend = backend
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.removeAll(keepingCapacity: false)
            let declared = h.headers.first(name: "content-length").flatMap { Int($0) } ?? 0
            tooLarge = declared > APIPaths.maximumRequestBody
        case .body(let buffer):
            guard !tooLarge else { return }
            if body.count + buffer.readableBytes > APIPaths.maximumRequestBody {
                tooLarge = true
                body.removeAll(keepingCapacity: false)
            } else {
                body.append(contentsOf: buffer.readableBytesView)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            respond(context: context, to: head)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            // A client that sends nothing for the idle time holds an fd for nothing.
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.debug("local API connection error: \(error)", metadata: ["uid": "\(uid)"])
        context.close(promise: nil)
    }

    private func respond(context: ChannelHandlerContext, to head: HTTPRequestHead) {
        let keepAlive = head.isKeepAlive && !tooLarge
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        logger.debug(
            "local API request", metadata: ["uid": "\(uid)", "method": "\(head.method.rawValue)", "path": "\(path)"])
        if tooLarge {
            let limit = APIPaths.maximumRequestBody
            return write(context, head, .failure(.payloadTooLarge("request body over \(limit) bytes")), keepAlive)
        }
        if let refusal = LocalAPIRoute.browserCheck(head.headers, transport: transport) {
            return write(context, head, .failure(refusal), keepAlive)
        }
        let route = LocalAPIRoute.route(method: head.method, uri: head.uri, body: body)
        body.removeAll(keepingCapacity: false)
        switch route {
        case .failure(let error):
            write(context, head, .failure(error), keepAlive)
        case .success(let route):
            backend.handle(route, uid: uid).hop(to: context.eventLoop).assumeIsolated().whenComplete { result in
                switch result {
                case .success(let json):
                    self.write(context, head, .success(json), keepAlive)
                case .failure(let error as APIError):
                    self.write(context, head, .failure(error), keepAlive)
                case .failure(let error):
                    self.write(context, head, .failure(.internalError("\(error)")), keepAlive)
                }
            }
        }
    }

    private func write(
        _ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ result: Result<JSONValue, APIError>,
        _ keepAlive: Bool
    ) {
        let status: HTTPResponseStatus
        let json: JSONValue
        switch result {
        case .success(let value):
            status = .ok
            json = value
        case .failure(let error):
            status = HTTPResponseStatus(statusCode: error.status)
            json = error.json
            // Every refused attempt leaves a line (a user trying to pause everyone, a browser, ...).
            if error.status == 401 || error.status == 403 {
                let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
                logger.notice(
                    "local API request refused: \(error.message)",
                    metadata: ["uid": "\(uid)", "method": "\(head.method.rawValue)", "path": "\(path)"])
            }
        }
        var bytes = JSONWriter().bytes(json)
        bytes.append(UInt8(ascii: "\n"))
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: "\(bytes.count)")
        headers.add(name: "cache-control", value: "no-store")
        if !keepAlive { headers.add(name: "connection", value: "close") }
        let version = head.version.major == 1 ? head.version : .http1_1
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: bytes)))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            done.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
