import Crypto
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import X509

/// A real TCP (optionally TLS) server on 127.0.0.1 that answers each request with scripted bytes:
/// hostile and broken controllers for the HTTP client's transport tests. It records what the
/// client sent, so request shapes can be checked byte for byte.
final class ControllerTestServer: Sendable {
    enum Script: Sendable {
        /// Write these bytes once the request head (and its body) arrived, then close.
        case respond([UInt8])
        /// Read the request and never answer.
        case silent
    }

    let channel: any Channel
    private let requests = Mutex<[String]>([])

    var port: Int { channel.localAddress!.port! }

    /// Every request received, as text (head and body).
    var received: [String] { requests.withLock { $0 } }

    init(group: any EventLoopGroup, tls: NIOSSLContext? = nil, script: @escaping @Sendable (String) -> Script)
        async throws
    {
        let box = RequestBox()
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.addHandler(ScriptHandler(script: script, record: box.add))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        box.server = self
    }

    fileprivate func record(_ text: String) { requests.withLock { $0.append(text) } }

    func close() async { try? await channel.close() }

    static func response(status: String = "200 OK", headers: [String] = [], body: String) -> [UInt8] {
        var text = "HTTP/1.1 \(status)\r\n"
        for h in headers { text += h + "\r\n" }
        text += "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        return Array(text.utf8)
    }
}

/// Lets the channel initializer reach the server object created after the bind.
private final class RequestBox: @unchecked Sendable {
    // Written once before any connection is accepted by the tests; read afterwards.
    weak var server: ControllerTestServer?
    var add: @Sendable (String) -> Void { { [weak self] text in self?.server?.record(text) } }
}

private final class ScriptHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let script: @Sendable (String) -> ControllerTestServer.Script
    let record: @Sendable (String) -> Void
    var buffer: [UInt8] = []
    var answered = false

    init(
        script: @escaping @Sendable (String) -> ControllerTestServer.Script,
        record: @escaping @Sendable (String) -> Void
    ) {
        self.script = script
        self.record = record
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        buffer += unwrapInboundIn(data).readableBytesView
        guard !answered, let end = buffer.firstRange(of: Array("\r\n\r\n".utf8)) else { return }
        let head = String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
        let length =
            head.split(separator: "\r\n").compactMap { line -> Int? in
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                return Int(parts[1].trimmingCharacters(in: .whitespaces))
            }.first ?? 0
        guard buffer.count - end.upperBound >= length else { return }
        answered = true
        let text = String(decoding: buffer, as: UTF8.self)
        record(text)
        switch script(text) {
        case .respond(let bytes):
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        case .silent:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// A throwaway PKI: a CA and a server certificate for `controller.test` only (no IP SAN).
struct TestPKI {
    let caCertificate: NIOSSLCertificate
    let serverContext: NIOSSLContext

    init() throws {
        let now = Date()
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName { CommonName("bca-control test CA") }
        let ca = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(caKey.publicKey),
            notValidBefore: now - 60, notValidAfter: now + 3600, issuer: caName, subject: caName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true))
            }, issuerPrivateKey: .init(caKey))
        let leafKey = P256.Signing.PrivateKey()
        let leaf = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(leafKey.publicKey),
            notValidBefore: now - 60, notValidAfter: now + 3600, issuer: caName,
            subject: try DistinguishedName { CommonName("controller.test") }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([.dnsName("controller.test")])
            }, issuerPrivateKey: .init(caKey))
        caCertificate = try NIOSSLCertificate(bytes: Array(try ca.serializeAsPEM().pemString.utf8), format: .pem)
        let leafCertificate = try NIOSSLCertificate(
            bytes: Array(try leaf.serializeAsPEM().pemString.utf8), format: .pem)
        let key = try NIOSSLPrivateKey(bytes: Array(leafKey.pemRepresentation.utf8), format: .pem)
        serverContext = try NIOSSLContext(
            configuration: .makeServerConfiguration(
                certificateChain: [.certificate(leafCertificate)], privateKey: .privateKey(key)))
    }
}
