import AgentConfig
import AgentIPC
import Logging
import NIOCore
import NIOPosix

/// The DNS worker's sockets, bound by the helper on the DNS listen addresses, port 53.
public struct DNSSockets: Sendable {
    public var udp4: Int32
    public var tcp4: Int32
    public var udp6: Int32
    public var tcp6: Int32
}

/// The proxy worker's listeners.
public struct ProxySockets: Sendable {
    /// Transparent proxy on 127.0.0.1:<ephemeral> and [::1]:<ephemeral> (the nftables redirect target).
    public var proxy4: Int32
    public var proxy6: Int32
    /// The local API's unix socket (mode 0666; callers by SO_PEERCRED).
    public var apiUnix: Int32
    /// 127.0.0.1:api_listen_port (callers by sock_diag); nil when api_listen_port is 0.
    public var apiTCP: Int32?
}

/// A worker's passed sockets.
public enum WorkerSockets: Sendable {
    case dns(DNSSockets)
    case proxy(ProxySockets)
}

/// What a worker's serving code gets once the sandbox is up: everything it may use, nothing it
/// must open itself. The fds are listening/bound sockets to adopt with NIO's `withBoundSocket`.
public struct WorkerContext: Sendable {
    public let role: WorkerRole
    public let config: AgentConfiguration
    /// The configuration text as the helper read it (for anything that wants the raw file).
    public let configText: String
    /// The resolvers the system had before the agent pointed it at itself (our own addresses
    /// removed). `config.overrideUpstreamDNSServers`, when not empty, takes precedence.
    public let systemUpstreams: [UpstreamServer]
    public let sockets: WorkerSockets
    /// Created after the sandbox; never call `syncShutdownGracefully` on it (it uses Dispatch):
    /// close the channels and let AgentCore exit the process.
    public let group: MultiThreadedEventLoopGroup
    public let logger: Logger
    /// Requests to the helper (pause, resume, restoreResolver, status, reportError).
    public let helper: HelperClient
    public let logSink: LogSink

    /// The DNS sockets; a precondition failure in the proxy worker (a wiring bug).
    public var dnsSockets: DNSSockets {
        guard case .dns(let s) = sockets else { preconditionFailure("dnsSockets used outside the DNS worker") }
        return s
    }

    /// The proxy listeners; a precondition failure in the DNS worker (a wiring bug).
    public var proxySockets: ProxySockets {
        guard case .proxy(let s) = sockets else { preconditionFailure("proxySockets used outside the proxy worker") }
        return s
    }

    /// The upstream resolvers to use: the override list, else the system's.
    public var upstreams: [UpstreamServer] {
        config.overrideUpstreamDNSServers.isEmpty ? systemUpstreams : config.overrideUpstreamDNSServers
    }
}

/// A configuration pushed by the helper after SIGHUP (validated there, parsed again here).
public struct WorkerReload: Sendable {
    public let config: AgentConfiguration
    public let configText: String
    public let systemUpstreams: [UpstreamServer]
    /// The keys whose values changed (ConfigKey names, e.g. "log_level").
    public let changedKeys: [String]
}

/// A worker's serving code, as AgentCore drives it. All calls arrive on `context.group.next()`'s
/// first loop (the control loop) unless noted.
public protocol WorkerService: AnyObject, Sendable {
    /// A new configuration. Log level and log file are already applied by AgentCore.
    func reload(_ reload: WorkerReload)

    /// Stop serving: close the channels, then call `done` (AgentCore exits the process; a
    /// watchdog exits anyway after a few seconds).
    func shutdown(done: @escaping @Sendable () -> Void)
}

/// The DNS worker's service also talks to the broker.
public protocol DNSWorkerService: WorkerService {
    /// A link to a (re)started broker: start it (`link.start(on:_:)`) and use it from now on; the
    /// previous link, if any, has closed. Called once at startup and after every broker restart.
    func peerLinkReplaced(_ link: DNSPeerLink)
}

/// The broker's service also talks to the DNS worker.
public protocol ProxyWorkerService: WorkerService {
    /// A link to a (re)started DNS worker: start it and push every user's view again (a new DNS
    /// worker knows nothing). Called once at startup and after every DNS worker restart.
    func peerLinkReplaced(_ link: BrokerPeerLink)
}
