import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

#if canImport(Glibc)
    import Glibc
#endif

/// Settings of `HTTPClient`; every limit is named here.
public struct HTTPClientConfiguration: Sendable {
    /// How server certificates are checked (roots loaded before any sandbox).
    public var trust: HTTPTrust
    /// `Boundary-client-agent/<semver>` for the agent (boundary-protocol.md §1.1).
    public var userAgent: String
    /// Deadline for a whole request: resolve, connect, TLS, send, full response.
    public var requestTimeout: TimeAmount
    /// Limit for one TCP connect, after which the next address is tried.
    public var connectTimeout: TimeAmount
    /// Largest response body accepted (1 MiB, the controller's own request limit).
    public var maximumResponseBytes: Int

    public static let defaultRequestTimeout = TimeAmount.seconds(30)
    public static let defaultConnectTimeout = TimeAmount.seconds(10)
    public static let defaultMaximumResponseBytes = 1 << 20

    public init(
        trust: HTTPTrust, userAgent: String, requestTimeout: TimeAmount = defaultRequestTimeout,
        connectTimeout: TimeAmount = defaultConnectTimeout, maximumResponseBytes: Int = defaultMaximumResponseBytes
    ) {
        self.trust = trust
        self.userAgent = userAgent
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
        self.maximumResponseBytes = maximumResponseBytes
    }
}

/// A small HTTP/1.1 client on SwiftNIO: one connection per request (`Connection: close`), http or
/// https, addresses from an injected `HostResolver` (IP literals need none), a deadline per
/// request and a response size cap. No Foundation and no Dispatch, so the sandboxed broker can
/// use it; the TLS context is built here, once, so no file is opened during a request.
public final class HTTPClient: Sendable {
    public let group: any EventLoopGroup
    public let configuration: HTTPClientConfiguration
    let resolver: (any HostResolver)?
    let sslContext: NIOSSLContext

    public init(group: any EventLoopGroup, resolver: (any HostResolver)?, configuration: HTTPClientConfiguration)
        throws
    {
        self.group = group
        self.resolver = resolver
        self.configuration = configuration
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.applicationProtocols = ["http/1.1"]
        switch configuration.trust {
        case .roots(let roots):
            tls.trustRoots = .certificates(roots)
            tls.certificateVerification = .fullVerification
        case .insecure:
            // An empty root list keeps NIOSSL from loading the system bundle from disk.
            tls.trustRoots = .certificates([])
            tls.certificateVerification = .none
        }
        do {
            sslContext = try NIOSSLContext(configuration: tls)
        } catch {
            throw ControllerError.invalidArgument("cannot build the TLS context: \(error)")
        }
    }

    /// Sends `request` to `endpoint` and collects the whole response. Fails with `ControllerError`
    /// (timeout, refused, TLS, resolution, malformed, body too large); any HTTP status succeeds.
    public func execute(_ request: HTTPRequest, to endpoint: HTTPEndpoint, timeout: TimeAmount? = nil)
        -> EventLoopFuture<HTTPResponse>
    {
        let eventLoop = group.next()
        let exchange = HTTPExchange(
            client: self, request: request, endpoint: endpoint, timeout: timeout ?? configuration.requestTimeout,
            eventLoop: eventLoop)
        eventLoop.execute { exchange.start() }
        return exchange.promise.futureResult
    }

    public func execute(_ request: HTTPRequest, to endpoint: HTTPEndpoint, timeout: TimeAmount? = nil) async throws
        -> HTTPResponse
    {
        try await execute(request, to: endpoint, timeout: timeout).get()
    }
}

/// One request in flight. Invariant: every method runs on `eventLoop` (callers hop there), so
/// the mutable state needs no lock; `@unchecked Sendable` lets NIO's `@Sendable` callbacks hold it.
final class HTTPExchange: @unchecked Sendable {
    let client: HTTPClient
    let request: HTTPRequest
    let endpoint: HTTPEndpoint
    let timeout: TimeAmount
    let eventLoop: any EventLoop
    let promise: EventLoopPromise<HTTPResponse>
    private var channel: (any Channel)?
    private var deadline: Scheduled<Void>?
    private(set) var finished = false

    init(
        client: HTTPClient, request: HTTPRequest, endpoint: HTTPEndpoint, timeout: TimeAmount, eventLoop: any EventLoop
    ) {
        self.client = client
        self.request = request
        self.endpoint = endpoint
        self.timeout = timeout
        self.eventLoop = eventLoop
        self.promise = eventLoop.makePromise(of: HTTPResponse.self)
    }

    func start() {
        eventLoop.preconditionInEventLoop()
        let deadline = eventLoop.scheduleTask(in: timeout) { [self] in
            fail(.timeout("no complete answer from \(endpoint) within \(Self.describe(timeout))"))
        }
        self.deadline = deadline
        // When the event loop group shuts down with the request in flight, NIO fails scheduled tasks
        // instead of running them, and a resolver waiting on its own timer may never answer: end the
        // exchange then, or its promise leaks (a fatal error in debug builds).
        deadline.futureResult.whenFailure { [self] error in
            if let loopError = error as? EventLoopError, loopError == .shutdown {
                fail(.connectionFailed("the client is shutting down"))
            }
        }
        if let address = endpoint.literalAddress {
            connect(to: [address][...], lastError: nil)
            return
        }
        guard let resolver = client.resolver else {
            fail(.resolutionFailed(host: endpoint.host, reason: "no resolver for host names"))
            return
        }
        resolver.resolve(host: endpoint.host, port: endpoint.port, on: eventLoop).hop(to: eventLoop).whenComplete {
            [self] result in
            switch result {
            case .success(let addresses) where !addresses.isEmpty:
                connect(to: addresses[...], lastError: nil)
            case .success:
                fail(.resolutionFailed(host: endpoint.host, reason: "no address"))
            case .failure(let error as ControllerError):
                fail(error)
            case .failure(let error):
                fail(.resolutionFailed(host: endpoint.host, reason: "\(error)"))
            }
        }
    }

    /// Tries each address in turn; the last error decides what we report.
    private func connect(to addresses: ArraySlice<SocketAddress>, lastError: ControllerError?) {
        eventLoop.preconditionInEventLoop()
        guard !finished else { return }
        guard let address = addresses.first else {
            fail(lastError ?? .connectionFailed("no address to connect to"))
            return
        }
        let useTLS = endpoint.scheme == .https
        let serverName = endpoint.literalAddress == nil ? endpoint.host : nil
        ClientBootstrap(group: eventLoop)
            .connectTimeout(client.configuration.connectTimeout)
            .channelInitializer { [self] channel in
                do {
                    let sync = channel.pipeline.syncOperations
                    if useTLS {
                        // With no server name NIOSSL checks the certificate against the peer IP.
                        try sync.addHandler(NIOSSLClientHandler(context: client.sslContext, serverHostname: serverName))
                    }
                    try sync.addHTTPClientHandlers(leftOverBytesStrategy: .dropBytes)
                    try sync.addHandler(HTTPResponseCollector(exchange: self))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
            .connect(to: address)
            .hop(to: eventLoop)
            .whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    if finished {
                        channel.close(promise: nil)
                    } else {
                        self.channel = channel
                    }
                case .failure(let error):
                    connect(to: addresses.dropFirst(), lastError: Self.mapConnectError(error, address: address))
                }
            }
    }

    func succeed(_ response: HTTPResponse) {
        eventLoop.preconditionInEventLoop()
        guard !finished else { return }
        finish()
        promise.succeed(response)
    }

    func fail(_ error: ControllerError) {
        eventLoop.preconditionInEventLoop()
        guard !finished else { return }
        finish()
        promise.fail(error)
    }

    private func finish() {
        finished = true
        deadline?.cancel()
        channel?.close(promise: nil)
        channel = nil
    }

    /// The request head with the headers every controller call carries.
    var requestHead: HTTPRequestHead {
        var head = HTTPRequestHead(version: .http1_1, method: request.method, uri: endpoint.basePath + request.target)
        head.headers.add(name: "Host", value: endpoint.hostHeader)
        head.headers.add(name: "User-Agent", value: client.configuration.userAgent)
        for (name, value) in request.headers { head.headers.add(name: name, value: value) }
        if let body = request.body {
            head.headers.add(name: "Content-Length", value: String(body.count))
        }
        head.headers.add(name: "Connection", value: "close")
        return head
    }

    var maximumResponseBytes: Int { client.configuration.maximumResponseBytes }

    static func mapConnectError(_ error: any Error, address: SocketAddress) -> ControllerError {
        let text = describe(address)
        if let io = error as? IOError, io.errnoCode == ECONNREFUSED { return .connectionRefused(text) }
        if let channelError = error as? ChannelError, case .connectTimeout = channelError {
            return .timeout("connecting to \(text)")
        }
        return .connectionFailed("\(text): \(error)")
    }

    /// `127.0.0.1:9200` or `[::1]:9200` (NIO's own description repeats the address).
    static func describe(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    /// Errors raised inside the pipeline once connected.
    static func mapPipelineError(_ error: any Error) -> ControllerError {
        switch error {
        case let e as ControllerError: return e
        case is NIOSSLError, is BoringSSLError, is NIOSSLExtraError: return .tlsFailure("\(error)")
        case HTTPParserError.invalidEOFState:
            return .connectionFailed("the controller closed the connection before the response was complete")
        case is HTTPParserError: return .malformedResponse("not an HTTP/1.1 response (\(error))")
        default: return .connectionFailed("\(error)")
        }
    }

    static func describe(_ t: TimeAmount) -> String {
        let ms = t.nanoseconds / 1_000_000
        return ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms"
    }
}
