import JSON
import NIOCore
import NIOHTTP1
import NIOSSL
import NIOWebSocket

/// Answers every HTTP request the WebSocket upgrader refused, with a plain HTTP error as the real
/// worker's mux and `handleProxy` do: 404 for other paths, 405 for other methods, 426 for a
/// `/v1/proxy` request that is not a WebSocket upgrade or lacks `boundary-tcp-proxy-v1`, and 500
/// when the session went away between the TLS handshake and the request. Then it closes.
final class WorkerHTTPErrorHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let worker: DevWorker
    private let sessionID: String
    private var status: HTTPResponseStatus?
    private var message = ""

    init(worker: DevWorker, sessionID: String) {
        self.worker = worker
        self.sessionID = sessionID
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
            if path != "/v1/proxy" {
                (status, message) = (.notFound, "404 page not found\n")
            } else if head.method != .GET {
                (status, message) = (.methodNotAllowed, "method not allowed\n")
            } else if worker.store.liveSession(id: sessionID) == nil {
                (status, message) = (.internalServerError, "session not found\n")
            } else if !head.headers[canonicalForm: "Sec-WebSocket-Protocol"].contains("boundary-tcp-proxy-v1") {
                (status, message) = (.upgradeRequired, "WebSocket subprotocol boundary-tcp-proxy-v1 required\n")
            } else {
                (status, message) = (.upgradeRequired, "WebSocket protocol violation: not a WebSocket upgrade\n")
            }
            worker.record(
                "worker-http",
                [
                    "session_id": .string(sessionID), "method": .string(head.method.rawValue), "path": .string(path),
                    "status": .int(Int64(status!.code)),
                ])
        case .body:
            break
        case .end:
            guard let status else { return }
            self.status = nil
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            headers.add(name: "Content-Length", value: "\(message.utf8.count)")
            headers.add(name: "Connection", value: "close")
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
                promise: nil)
            context.write(
                wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: message)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // The upgrader reports a refused upgrade (e.g. no Sec-WebSocket-Key) as an error and then
        // hands us the request; answer that instead of dropping the connection. Other errors close.
        if error is NIOWebSocketUpgradeError { return }
        if error is NIOSSLError || error is BoringSSLError {
            // E.g. no client certificate (TLS 1.3 "certificate required"): record why the handshake failed.
            worker.record("worker-tls", ["session_id": .string(sessionID), "result": .string("tls-failed: \(error)")])
        }
        context.close(promise: nil)
    }
}
