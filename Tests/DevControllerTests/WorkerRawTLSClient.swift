import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization

@testable import DevController

/// A TLS client that is not our data-plane client: it offers whatever certificate it is given and
/// sends raw HTTP, so tests can see what the dev worker does with requests our client never makes.
enum RawTLSClient {
    struct Outcome {
        /// What the worker answered (up to the end of the response head), if anything.
        var response: String?
        var error: String?
    }

    static func exchange(
        harness: WorkerTestHarness, sessionID: String, certificate: [UInt8], key: [UInt8], acceptServer: [UInt8],
        request: String
    ) async throws -> Outcome {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv13
        tls.certificateChain = [.certificate(try NIOSSLCertificate(bytes: certificate, format: .der))]
        tls.privateKey = .privateKey(
            try NIOSSLPrivateKey(bytes: DevWorker.pkcs8Ed25519Prefix + Array(key.prefix(32)), format: .der))
        tls.verifySignatureAlgorithms = [.ed25519]
        tls.certificateVerification = .noHostnameVerification
        tls.trustRoots = .certificates([])
        tls.applicationProtocols = ["http/1.1", sessionID]
        let context = try NIOSSLContext(configuration: tls)
        let collector = Collector()
        let channel = try await ClientBootstrap(group: harness.group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try NIOSSLClientHandler(
                        context: context, serverHostname: nil,
                        customVerificationCallback: { certs, promise in
                            let presented = try? certs.first?.toDERBytes()
                            promise.succeed(presented == acceptServer ? .certificateVerified : .failed)
                        })
                    try channel.pipeline.syncOperations.addHandlers([
                        handler, RequestHandler(request: request, collector: collector),
                    ])
                }
            }
            .connect(to: harness.workerAddress).get()
        // The worker answers and closes for errors; a 101 keeps the connection open, so stop at the head.
        let deadline = NIODeadline.now() + .seconds(5)
        while channel.isActive, !collector.hasHead, NIODeadline.now() < deadline {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        try? await channel.close()
        return Outcome(response: collector.text, error: collector.error)
    }

    final class Collector: Sendable {
        private let state = Mutex<(bytes: [UInt8], error: String?)>(([], nil))

        func append(_ bytes: [UInt8]) { state.withLock { $0.bytes += bytes } }
        func fail(_ error: Error) { state.withLock { $0.error = $0.error ?? "\(error)" } }
        var text: String? {
            state.withLock { $0.bytes.isEmpty ? nil : String(decoding: $0.bytes, as: UTF8.self) }
        }
        var hasHead: Bool { text?.contains("\r\n\r\n") ?? false }
        var error: String? { state.withLock { $0.error } }
    }

    final class RequestHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let request: String
        let collector: Collector

        init(request: String, collector: Collector) {
            self.request = request
            self.collector = collector
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case .handshakeCompleted = event as? TLSUserEvent {
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: request)), promise: nil)
            }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            collector.append(Array(unwrapInboundIn(data).readableBytesView))
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            collector.fail(error)
            context.close(promise: nil)
        }
    }
}
