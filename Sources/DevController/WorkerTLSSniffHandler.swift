import JSON
import NIOCore
import NIOHTTP1
import NIOSSL
import NIOWebSocket

/// First handler of every dev-worker connection. It holds the bytes until the whole ClientHello is
/// in, picks the session the way `getSessionTls` does (SNI when it starts `s_`, else the first ALPN
/// value starting `s_`), and then either refuses with a TLS alert or installs the session's TLS
/// server handler and the HTTP/WebSocket pipeline behind it, replays the bytes and leaves.
final class WorkerTLSSniffHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// TLS alert descriptions (RFC 8446 §6).
    enum Alert: UInt8 {
        case internalError = 80
        case noApplicationProtocol = 120
    }

    private let worker: DevWorker
    private var buffered: ByteBuffer?
    private var decided = false

    init(worker: DevWorker) {
        self.worker = worker
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !decided else { return }
        var incoming = unwrapInboundIn(data)
        if buffered == nil {
            buffered = incoming
        } else {
            buffered!.writeBuffer(&incoming)
        }
        let hello: WorkerClientHello
        do {
            guard let parsed = try WorkerClientHello.parse(Array(buffered!.readableBytesView)) else {
                if buffered!.readableBytes > WorkerClientHello.maximumLength + 5 * 8 {
                    refuse(context: context, alert: nil, fields: ["result": "client-hello-too-long"])
                }
                return
            }
            hello = parsed
        } catch {
            refuse(context: context, alert: nil, fields: ["result": .string("not-tls: \(error)")])
            return
        }
        decided = true
        var fields: [String: JSONValue] = [
            "sni": hello.serverName.map(JSONValue.string) ?? .null,
            "alpn": .array(hello.alpn.map(JSONValue.string)),
        ]
        let sessionID = Self.sessionID(from: hello)
        fields["session_id"] = sessionID.map(JSONValue.string) ?? .null
        // The session lookup runs first (inside GetConfigForClient); ALPN is negotiated afterwards.
        guard let sessionID, let session = worker.store.liveSession(id: sessionID) else {
            fields["result"] = sessionID == nil ? "no-session-id" : "unknown-session"
            refuse(context: context, alert: .internalError, fields: fields)
            return
        }
        guard hello.alpn.isEmpty || hello.alpn.contains("http/1.1") else {
            fields["result"] = "no-common-alpn"
            refuse(context: context, alert: .noApplicationProtocol, fields: fields)
            return
        }
        do {
            try install(context: context, session: session)
        } catch {
            fields["result"] = .string("tls-setup-failed: \(error)")
            refuse(context: context, alert: .internalError, fields: fields)
            return
        }
        fields["result"] = "ok"
        worker.record("worker-tls", fields)
        let bytes = buffered!
        buffered = nil
        context.fireChannelRead(wrapInboundOut(bytes))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    static func sessionID(from hello: WorkerClientHello) -> String? {
        if let sni = hello.serverName, sni.hasPrefix("s_") { return sni }
        return hello.alpn.first { $0.hasPrefix("s_") }
    }

    private func install(context: ChannelHandlerContext, session: DevSessionStore.WorkerView) throws {
        let tlsContext = try worker.tlsContext(for: session)
        let expected = session.certificateDER
        let worker = self.worker
        let sessionID = session.id
        let tls = NIOSSLServerHandler(
            context: tlsContext,
            customVerificationCallback: { certificates, promise in
                // RequireAnyClientCert + byte-identical to the session certificate (§3.1).
                let presented = try? certificates.first?.toDERBytes()
                if presented == expected {
                    promise.succeed(.certificateVerified)
                } else {
                    worker.record(
                        "worker-tls", ["session_id": .string(sessionID), "result": "client-certificate-rejected"])
                    promise.succeed(.failed)
                }
            })
        let pipeline = context.pipeline.syncOperations
        try pipeline.addHandler(tls, position: .after(self))
        try pipeline.addHandler(WorkerWriteCoalescer(), position: .after(tls))
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: WorkerProxyHandler.maximumFrameSize,
            automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                channel.eventLoop.makeSucceededFuture(
                    Self.upgradeHeaders(for: head, worker: worker, sessionID: sessionID))
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    // NIO appended its frame codec after our HTTP error handler; the error handler
                    // must go before any frame bytes flow.
                    let pipeline = channel.pipeline.syncOperations
                    pipeline.removeHandler(try pipeline.handler(type: WorkerHTTPErrorHandler.self), promise: nil)
                    try pipeline.addHandler(
                        WorkerProxyHandler(worker: worker, sessionID: sessionID, client: channel.remoteAddress))
                }
            })
        try pipeline.configureHTTPServerPipeline(
            position: .last, withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
        try pipeline.addHandler(WorkerHTTPErrorHandler(worker: worker, sessionID: sessionID))
    }

    /// `handleProxy`'s checks before `websocket.Accept`: the path, the subprotocol, and that the
    /// session is still known. nil refuses the upgrade; `WorkerHTTPErrorHandler` then answers.
    static func upgradeHeaders(for head: HTTPRequestHead, worker: DevWorker, sessionID: String) -> HTTPHeaders? {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let offered = head.headers[canonicalForm: "Sec-WebSocket-Protocol"].map { String($0) }
        guard head.method == .GET, path == "/v1/proxy", offered.contains("boundary-tcp-proxy-v1"),
            worker.store.liveSession(id: sessionID) != nil
        else { return nil }
        return HTTPHeaders([("Sec-WebSocket-Protocol", "boundary-tcp-proxy-v1"), ("Cache-Control", "no-store")])
    }

    /// A plaintext alert record (content type 21, TLS 1.2 record version, fatal) and close: what Go's
    /// TLS server sends when `GetConfigForClient` fails.
    private func refuse(context: ChannelHandlerContext, alert: Alert?, fields: [String: JSONValue]) {
        decided = true
        buffered = nil
        worker.record("worker-tls", fields)
        if let alert {
            var record = context.channel.allocator.buffer(capacity: 7)
            record.writeBytes([21, 0x03, 0x03, 0x00, 0x02, 2, alert.rawValue])
            context.writeAndFlush(wrapOutboundOut(record)).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        } else {
            context.close(promise: nil)
        }
    }
}
