import JSON
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// The dev controller's worker: a Boundary worker proxy listener (default `127.0.0.1:9202`) as
/// strict as the real one (boundary-protocol.md §3, `internal/daemon/worker`):
///
/// - TLS 1.3 only; the session comes from SNI (if it starts `s_`) or else the first ALPN value
///   starting `s_`, read from the ClientHello before any certificate is chosen
///   (`WorkerTLSSniffHandler`); an unknown, expired or cancelled session fails the handshake with an
///   internal_error alert, a ClientHello without `http/1.1` among its ALPN values with
///   no_application_protocol (Go's ALPN rule);
/// - presents the session certificate and key, and demands the byte-identical client certificate;
/// - accepts only `GET /v1/proxy` with subprotocol `boundary-tcp-proxy-v1` (else a plain HTTP error);
/// - runs the handshake rules of §3.3 with the real close codes (`WorkerProxyHandler`), then pipes
///   bytes to the session's endpoint;
/// - cuts every stream at the session's expiry and within about two seconds of a cancel (it polls
///   the store, as the real worker polls the controller), and reports bytes up/down on close.
///
/// Every decision is recorded in the request log (`worker-tls`, `worker-http`, `worker-handshake`).
public final class DevWorker: Sendable {
    let store: DevSessionStore
    let log: DevRequestLog
    let group: any EventLoopGroup
    /// How often open connections are checked against the store (the real worker's
    /// `SessionInfoInterval` is 2 s plus jitter).
    let pollInterval: TimeAmount

    private struct State {
        var listener: Channel?
        var pollTask: RepeatedTask?
        /// One TLS context per session, built on first use and dropped when the session dies.
        var contexts: [String: NIOSSLContext] = [:]
        var connections: [UInt64: (sessionID: String, channel: Channel)] = [:]
        var nextConnection: UInt64 = 0
    }

    private let state = Mutex(State())

    public init(
        store: DevSessionStore, log: DevRequestLog, group: any EventLoopGroup,
        pollInterval: TimeAmount = .seconds(2)
    ) {
        self.store = store
        self.log = log
        self.group = group
        self.pollInterval = pollInterval
    }

    /// Binds the proxy listener and starts serving; returns the bound address (port 0 picks one).
    public func start(host: String = "127.0.0.1", port: Int = 9202) async throws -> SocketAddress {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 4096)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(WorkerTLSSniffHandler(worker: self))
                }
            }
            .bind(host: host, port: port)
            .get()
        let poll = group.next().scheduleRepeatedTask(initialDelay: pollInterval, delay: pollInterval) { [self] _ in
            self.closeDeadConnections()
        }
        state.withLock {
            $0.listener = channel
            $0.pollTask = poll
        }
        guard let address = channel.localAddress else { throw ChannelError.unknownLocalAddress }
        return address
    }

    /// Stops listening and closes every open proxy connection.
    public func stop() async {
        let (listener, poll, open) = state.withLock { s -> (Channel?, RepeatedTask?, [Channel]) in
            defer {
                s.listener = nil
                s.pollTask = nil
            }
            return (s.listener, s.pollTask, s.connections.values.map(\.channel))
        }
        poll?.cancel()
        for channel in open { channel.close(promise: nil) }
        try? await listener?.close()
    }

    // MARK: used by the handlers

    /// The server TLS context of a session: its certificate and key, TLS 1.3, Ed25519 signatures,
    /// a client certificate required (checked byte for byte by the handler's callback), and only
    /// `http/1.1` offered.
    func tlsContext(for session: DevSessionStore.WorkerView) throws -> NIOSSLContext {
        if let cached = state.withLock({ $0.contexts[session.id] }) { return cached }
        let certificate = try NIOSSLCertificate(bytes: session.certificateDER, format: .der)
        let key = try NIOSSLPrivateKey(
            bytes: Self.pkcs8Ed25519Prefix + Array(session.privateKey.prefix(32)), format: .der)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(certificate)], privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv13
        tls.maximumTLSVersion = .tlsv13
        tls.verifySignatureAlgorithms = [.ed25519]
        tls.certificateVerification = .noHostnameVerification
        tls.trustRoots = .certificates([])
        tls.applicationProtocols = ["http/1.1"]
        let context = try NIOSSLContext(configuration: tls)
        state.withLock { $0.contexts[session.id] = context }
        return context
    }

    /// PKCS#8 DER prefix of an Ed25519 private key (RFC 8410 §7); the 32-byte seed follows.
    static let pkcs8Ed25519Prefix: [UInt8] = [
        0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]

    func register(sessionID: String, channel: Channel) -> UInt64 {
        state.withLock { s in
            s.nextConnection += 1
            s.connections[s.nextConnection] = (sessionID, channel)
            return s.nextConnection
        }
    }

    func unregister(_ id: UInt64) {
        state.withLock { _ = $0.connections.removeValue(forKey: id) }
    }

    func record(_ event: String, _ fields: [String: JSONValue]) {
        log.record(event, fields)
    }

    /// `session_info.go cleanupConnections`: a connection whose session is no longer live
    /// (cancelled, terminated, expired) is closed abruptly, as the worker's context cancel does.
    private func closeDeadConnections() {
        let now = DevSessionStore.now()
        let dead = state.withLock { s -> [Channel] in
            var channels: [Channel] = []
            for (_, c) in s.connections where store.liveSession(id: c.sessionID, now: now) == nil {
                channels.append(c.channel)
            }
            for id in Array(s.contexts.keys) where store.liveSession(id: id, now: now) == nil {
                s.contexts.removeValue(forKey: id)
            }
            return channels
        }
        for channel in dead { channel.close(promise: nil) }
    }
}
