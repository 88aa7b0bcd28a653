import NIOCore
import NIOHTTP1

/// The last handler of an `HTTPClient` connection: writes the request once the connection is up
/// and gathers the response into one `HTTPResponse`, refusing bodies over the size cap as soon
/// as the `Content-Length` or the bytes so far exceed it.
final class HTTPResponseCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let exchange: HTTPExchange
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []

    init(exchange: HTTPExchange) {
        self.exchange = exchange
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(exchange.requestHead)), promise: nil)
        if let bytes = exchange.request.body, !bytes.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes)))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !exchange.finished else { return }
        switch unwrapInboundIn(data) {
        case .head(let h):
            // 1xx answers are interim (RFC 9110 §15.2); the real head follows.
            guard h.status.code >= 200 else { return }
            if let length = h.headers.first(name: "content-length").flatMap({ Int($0) }),
                length > exchange.maximumResponseBytes
            {
                exchange.fail(.bodyTooLarge(limit: exchange.maximumResponseBytes))
                return
            }
            head = h
        case .body(let buffer):
            guard body.count + buffer.readableBytes <= exchange.maximumResponseBytes else {
                exchange.fail(.bodyTooLarge(limit: exchange.maximumResponseBytes))
                return
            }
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            guard let head else {
                exchange.fail(.malformedResponse("response ended before its head"))
                return
            }
            exchange.succeed(HTTPResponse(status: Int(head.status.code), headers: head.headers, body: body))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        exchange.fail(.connectionFailed("the controller closed the connection before the response was complete"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        exchange.fail(HTTPExchange.mapPipelineError(error))
        context.close(promise: nil)
    }
}
