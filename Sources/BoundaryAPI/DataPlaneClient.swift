import BoundaryWire
import Logging
import NIOCore
import NIOPosix
import NIOSSL

#if canImport(Glibc)
    import Glibc
#endif

/// What the data plane needs from a session's decoded `authorization_token` (boundary-protocol.md §2).
public struct DataPlaneCredentials: Sendable {
    /// `s_…`: offered as the second ALPN value so the worker can find the session.
    public var sessionID: String
    /// DER of the self-signed session certificate: our client certificate, and the only
    /// certificate the worker may present.
    public var certificateDER: [UInt8]
    /// Go's `ed25519.PrivateKey`: the 32-byte seed followed by the 32-byte public key.
    public var privateKey: [UInt8]
    /// The session's expiry; open streams are closed then. nil = no client-side deadline.
    public var expiration: Timestamp?

    public init(sessionID: String, certificateDER: [UInt8], privateKey: [UInt8], expiration: Timestamp?) {
        self.sessionID = sessionID
        self.certificateDER = certificateDER
        self.privateKey = privateKey
        self.expiration = expiration
    }
}

/// Opens proxied TCP connections through Boundary workers for one session (boundary-protocol.md §3):
/// TCP to a worker, TLS 1.3 with the session certificate on both ends, the `/v1/proxy` WebSocket
/// upgrade, and the protobuf handshake with the session's tofu token. Make one per session and keep
/// it: the TLS context (certificate, key, ALPN) is built once here.
///
/// Foundation- and Dispatch-free; addresses come resolved (`WorkerEndpoint`), so it runs inside the
/// sandboxed broker.
public final class DataPlaneClient: Sendable {
    public struct Configuration: Sendable {
        /// TCP connect limit per worker address, after which the next address is tried.
        public var connectTimeout: TimeAmount = .seconds(10)
        /// Limit for TLS + upgrade + protobuf handshake once TCP is up (the reference client's
        /// session teardown uses 30 s).
        public var handshakeTimeout: TimeAmount = .seconds(30)
        /// How long to wait for the worker's close frame after sending ours.
        public var closeTimeout: TimeAmount = .seconds(2)

        public init() {}
    }

    public let sessionID: String
    public let tofuToken: String
    public let expiration: Timestamp?
    let configuration: Configuration
    let sslContext: NIOSSLContext
    let certificateDER: [UInt8]
    let logger: Logger

    /// The PKCS#8 DER prefix of an Ed25519 private key (RFC 8410 §7); the 32-byte seed follows.
    static let pkcs8Ed25519Prefix: [UInt8] = [
        0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]
    /// The SubjectPublicKeyInfo DER prefix of an Ed25519 public key (RFC 8410 §4); 32 key bytes follow.
    static let spkiEd25519Prefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]

    /// Checks the credentials (key size, seed ↔ public half ↔ certificate key) and builds the TLS
    /// context. `tofuToken` is the session's one token (`TofuToken.generate()`, kept with the session).
    public init(
        credentials: DataPlaneCredentials, tofuToken: String, configuration: Configuration = Configuration(),
        logger: Logger
    ) throws(DataPlaneError) {
        guard TofuToken.isValid(tofuToken) else { throw .invalidTofuTokenFormat }
        let id = credentials.sessionID
        // ALPN protocol names are 1–255 bytes (RFC 7301 §3.1); Boundary's are `s_` + 10 characters.
        guard !id.isEmpty, id.utf8.count <= 255, id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .invalidCredentials("session id \"\(id.prefix(64))\" cannot be an ALPN value")
        }
        let key = credentials.privateKey
        guard key.count == 64 else {
            throw .invalidCredentials("private key is \(key.count) bytes, expected 64 (seed ‖ public key)")
        }
        let seed = Array(key[0..<32])
        let publicHalf = Array(key[32..<64])
        let certificate: NIOSSLCertificate
        let privateKey: NIOSSLPrivateKey
        do {
            certificate = try NIOSSLCertificate(bytes: credentials.certificateDER, format: .der)
            // The certificate's key must be the public half; BoringSSL checks below (when the
            // context is built) that the seed's key is the certificate's, which closes the triangle
            // seed ↔ public half ↔ certificate without a second crypto library.
            let spki = try certificate.extractPublicKey().toSPKIBytes()
            guard spki == Self.spkiEd25519Prefix + publicHalf else {
                throw DataPlaneError.invalidCredentials("certificate is not for the key's public half")
            }
            privateKey = try NIOSSLPrivateKey(bytes: Self.pkcs8Ed25519Prefix + seed, format: .der)
        } catch let error as DataPlaneError {
            throw error
        } catch {
            throw .invalidCredentials("certificate or key not loadable: \(error)")
        }

        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv13
        tls.maximumTLSVersion = .tlsv13
        tls.certificateChain = [.certificate(certificate)]
        tls.privateKey = .privateKey(privateKey)
        // BoringSSL's default verify list lacks Ed25519; without it neither end can sign with the
        // session key (swift-notes §7).
        tls.verifySignatureAlgorithms = [.ed25519]
        // Peer verification is on (so the callback runs), but the callback replaces chain and host
        // checks: the worker presents the session certificate itself (trap 4). No trust store at all.
        tls.certificateVerification = .noHostnameVerification
        tls.trustRoots = .certificates([])
        // The worker finds the session by the first ALPN value starting `s_` (§3.1); it offers only
        // http/1.1, which is what gets negotiated.
        tls.applicationProtocols = ["http/1.1", id]
        do {
            sslContext = try NIOSSLContext(configuration: tls)
        } catch {
            // SSL_CTX_use_PrivateKey refuses a key that does not match the certificate.
            throw .invalidCredentials("private key seed does not match the certificate: \(error)")
        }
        self.sessionID = id
        self.tofuToken = tofuToken
        self.expiration = credentials.expiration
        self.certificateDER = credentials.certificateDER
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "session"] = "\(id)"
        self.logger = logger
    }

    /// Opens one proxied connection: the first worker endpoint that accepts TCP is used (later ones
    /// only when an earlier one cannot be reached; a TLS or handshake refusal is final). The
    /// connection is created on `eventLoop`; splice it with a local channel on the same loop.
    public func connect(to endpoints: [WorkerEndpoint], on eventLoop: any EventLoop)
        -> EventLoopFuture<DataPlaneConnection>
    {
        let handshake = ClientHandshake(tofuToken: tofuToken)
        return attempt(endpoints[...], failures: [], handshake: handshake, eventLoop: eventLoop).flatMapThrowing {
            established in
            guard let result = established.result else {
                throw DataPlaneError.invalidHandshakeResult("missing")  // our handler never does this
            }
            let stream = try established.channel.pipeline.syncOperations.handler(type: WebSocketStreamHandler.self)
            return DataPlaneConnection(
                channel: established.channel, handshakeResult: result, endpoint: established.endpoint,
                outcome: stream.outcome)
        }
    }

    /// Ends the session through a worker with `ClientHandshake{SESSION_CANCEL}` (§3.6): needs no API
    /// token and no version, only the session certificate. Succeeds on close 1000 "session canceled".
    public func cancelSession(via endpoints: [WorkerEndpoint], on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let handshake = ClientHandshake(tofuToken: tofuToken, command: .sessionCancel)
        return attempt(endpoints[...], failures: [], handshake: handshake, eventLoop: eventLoop).map { _ in () }
    }

    // MARK: private

    private struct Established: Sendable {
        var channel: Channel
        var result: HandshakeResult?
        var endpoint: WorkerEndpoint
    }

    private func attempt(
        _ endpoints: ArraySlice<WorkerEndpoint>, failures: [String], handshake: ClientHandshake,
        eventLoop: any EventLoop
    ) -> EventLoopFuture<Established> {
        guard let endpoint = endpoints.first else {
            return eventLoop.makeFailedFuture(
                failures.isEmpty ? DataPlaneError.noWorkers : DataPlaneError.workersUnreachable(failures))
        }
        let result = eventLoop.makePromise(of: HandshakeResult?.self)
        return dial(endpoint, handshake: handshake, result: result, eventLoop: eventLoop)
            .map { Result<Channel, Error>.success($0) }
            .recover { Result<Channel, Error>.failure($0) }
            .flatMap { [self] connected in
                switch connected {
                case .success(let channel):
                    return result.futureResult.map { Established(channel: channel, result: $0, endpoint: endpoint) }
                case .failure(let error):
                    // TCP could not be established: this worker is unreachable, try the next.
                    result.fail(error)
                    logger.debug("worker unreachable", metadata: ["peer": "\(endpoint)", "error": "\(error)"])
                    return attempt(
                        endpoints.dropFirst(), failures: failures + ["\(endpoint): \(error)"], handshake: handshake,
                        eventLoop: eventLoop)
                }
            }
    }

    private func dial(
        _ endpoint: WorkerEndpoint, handshake: ClientHandshake, result: EventLoopPromise<HandshakeResult?>,
        eventLoop: any EventLoop
    ) -> EventLoopFuture<Channel> {
        ClientBootstrap(group: eventLoop)
            .connectTimeout(configuration.connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try configure(channel, endpoint: endpoint, handshake: handshake, result: result)
                }
            }
            .connect(to: endpoint.address)
    }

    private func configure(
        _ channel: Channel, endpoint: WorkerEndpoint, handshake: ClientHandshake,
        result: EventLoopPromise<HandshakeResult?>
    ) throws {
        let setup = DataPlaneSetup(promise: result)
        setup.startTimer(on: channel, after: configuration.handshakeTimeout, stage: "opening a proxy connection")
        let expected = certificateDER
        let tls = try NIOSSLClientHandler(
            context: sslContext, serverHostname: endpoint.serverName,
            customVerificationCallback: { certificates, promise in
                // Only the byte-identical session certificate (trap 4). BoringSSL still checks the
                // TLS 1.3 CertificateVerify signature with its key.
                let presented = try? certificates.first?.toDERBytes()
                promise.succeed(presented == expected ? .certificateVerified : .failed)
            })
        let deadline = expiration.map(Self.deadline(for:))
        let closeTimeout = configuration.closeTimeout
        let eventLoop = channel.eventLoop
        let upgrade = DataPlaneUpgradeHandler(
            request: WebSocketUpgradeRequest(host: endpoint.worker.original), setup: setup
        ) {
            (
                WebSocketStreamHandler(eventLoop: eventLoop, deadline: deadline, closeTimeout: closeTimeout),
                DataPlaneHandshakeHandler(handshake: handshake, setup: setup)
            )
        }
        try channel.pipeline.syncOperations.addHandlers([SetupFlushCoalescer(), tls, upgrade])
    }

    /// The wall-clock expiration as a monotonic deadline.
    static func deadline(for expiration: Timestamp) -> NIODeadline {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        // Clamp to ±100 years so a hostile expiration cannot overflow the nanosecond arithmetic.
        let limit: Int64 = 100 * 366 * 86_400
        let seconds = max(-limit, min(limit, expiration.seconds &- Int64(now.tv_sec)))
        let remaining = seconds * 1_000_000_000 + Int64(expiration.nanos) - Int64(now.tv_nsec)
        return .now() + .nanoseconds(remaining)
    }
}

extension DataPlaneCredentials {
    /// The data-plane part of a decoded `authorization_token`.
    public init(_ data: SessionAuthorizationData) {
        self.init(
            sessionID: data.sessionID, certificateDER: data.certificate, privateKey: data.privateKey,
            expiration: data.expiration)
    }
}

extension WorkerAddress {
    /// A session's `worker_info` addresses in the controller's order (it shuffles them already);
    /// empty entries are skipped.
    public static func list(from data: SessionAuthorizationData) throws(DataPlaneError) -> [WorkerAddress] {
        var out: [WorkerAddress] = []
        for info in data.workerInfo where !info.address.isEmpty { out.append(try WorkerAddress(parsing: info.address)) }
        return out
    }
}
