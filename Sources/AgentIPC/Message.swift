import AgentConfig

/// The shared vocabulary of every link (after OpenBSD unwind's `unwind.h`): one numbering for all
/// kinds, the limits of each, the directions that carry it, and which worker may send which request
/// to the helper. The per-direction enums (`HelperToDNS`, `ProxyToHelper`, ...) encode and decode.
///
/// Numbering: 1xx helper → worker, 2xx worker → helper (requests even, their answer is
/// `requestResult`), 3xx broker → dns, 4xx dns → broker.
public enum MessageKind: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    // helper → worker: bootstrap items, reload, control, answers
    case configText = 100
    case upstreamServers = 101
    case logFile = 102
    case peerLink = 103
    case statusJournal = 104
    case dnsUDP4 = 110
    case dnsTCP4 = 111
    case dnsUDP6 = 112
    case dnsTCP6 = 113
    case proxyListener4 = 120
    case proxyListener6 = 121
    case apiUnixListener = 122
    case apiTCPListener = 123
    case bootstrapEnd = 130
    case reloadBegin = 131
    case reloadEnd = 132
    case shutdown = 133
    case requestResult = 135
    // worker → helper
    case ready = 200
    case pause = 202
    case resume = 204
    case reportError = 206
    case restoreResolver = 208
    case status = 210
    // broker → dns
    case setView = 300
    case setFallbackUsers = 301
    case resolveResult = 302
    case flushCache = 303
    // dns → broker
    case aliasQueried = 400
    case resolveRequest = 401
    case counters = 402

    public var description: String { "\(self.name)(\(rawValue))" }

    var name: String {
        switch self {
        case .configText: return "configText"
        case .upstreamServers: return "upstreamServers"
        case .logFile: return "logFile"
        case .peerLink: return "peerLink"
        case .statusJournal: return "statusJournal"
        case .dnsUDP4: return "dnsUDP4"
        case .dnsTCP4: return "dnsTCP4"
        case .dnsUDP6: return "dnsUDP6"
        case .dnsTCP6: return "dnsTCP6"
        case .proxyListener4: return "proxyListener4"
        case .proxyListener6: return "proxyListener6"
        case .apiUnixListener: return "apiUnixListener"
        case .apiTCPListener: return "apiTCPListener"
        case .bootstrapEnd: return "bootstrapEnd"
        case .reloadBegin: return "reloadBegin"
        case .reloadEnd: return "reloadEnd"
        case .shutdown: return "shutdown"
        case .requestResult: return "requestResult"
        case .ready: return "ready"
        case .pause: return "pause"
        case .resume: return "resume"
        case .reportError: return "reportError"
        case .restoreResolver: return "restoreResolver"
        case .status: return "status"
        case .setView: return "setView"
        case .setFallbackUsers: return "setFallbackUsers"
        case .resolveResult: return "resolveResult"
        case .flushCache: return "flushCache"
        case .aliasQueried: return "aliasQueried"
        case .resolveRequest: return "resolveRequest"
        case .counters: return "counters"
        }
    }

    /// The most payload bytes a message of this kind may have (checked before it is decoded, and
    /// during reassembly before anything past the limit is buffered).
    public var maxLength: Int {
        switch self {
        case .configText: return 4 + IPCLimits.maxConfigText
        case .upstreamServers:
            // Family and address (17), port (2), link index (4), link name (4 + 15).
            return 4 + IPCLimits.maxUpstreams * (19 + 4 + 4 + UpstreamServer.Link.maxNameLength)
        case .logFile, .peerLink, .statusJournal, .dnsUDP4, .dnsTCP4, .dnsUDP6, .dnsTCP6, .proxyListener4,
            .proxyListener6, .apiUnixListener, .apiTCPListener, .bootstrapEnd, .reloadBegin, .reloadEnd, .shutdown,
            .ready, .flushCache:
            return 0
        case .requestResult: return 4 + 1 + 4 + IPCLimits.maxResultText
        case .pause: return 4 + 4 + IPCLimits.maxReason
        case .resume, .restoreResolver, .status: return 4
        case .reportError: return 4 + IPCLimits.maxErrorText
        case .setView: return 4 + 4 + IPCLimits.maxViewEntries * (4 + IPCLimits.maxName + 4 + 16)
        case .setFallbackUsers: return 4 + IPCLimits.maxFallbackUsers * 4
        case .resolveResult: return 8 + 4 + 4 + IPCLimits.maxName + 1 + 4 + 16
        case .aliasQueried: return 4 + 4 + IPCLimits.maxName
        case .resolveRequest: return 8 + 4 + 4 + IPCLimits.maxName
        case .counters:
            return 4 + DNSCounters.fieldCount * 8 + 4 + IPCLimits.maxUpstreams * (4 + IPCLimits.maxUpstreamLabel + 8)
        }
    }

    /// How many fds a message of this kind carries: exactly this many, no more, no fewer.
    public var fdCount: Int {
        switch self {
        case .logFile, .peerLink, .statusJournal, .dnsUDP4, .dnsTCP4, .dnsUDP6, .dnsTCP6, .proxyListener4,
            .proxyListener6, .apiUnixListener, .apiTCPListener:
            return 1
        default:
            return 0
        }
    }
}

/// The six directions of the three links.
public enum Direction: String, Sendable, CaseIterable, CustomStringConvertible {
    case helperToDNS = "helper→dns"
    case helperToProxy = "helper→proxy"
    case dnsToHelper = "dns→helper"
    case proxyToHelper = "proxy→helper"
    case brokerToDNS = "broker→dns"
    case dnsToBroker = "dns→broker"

    public var description: String { rawValue }

    /// The kinds this direction carries; anything else is refused before it is decoded.
    public var kinds: Set<MessageKind> {
        switch self {
        case .helperToDNS:
            return [
                .configText, .upstreamServers, .logFile, .peerLink, .dnsUDP4, .dnsTCP4, .dnsUDP6, .dnsTCP6,
                .bootstrapEnd, .reloadBegin, .reloadEnd, .shutdown, .requestResult,
            ]
        case .helperToProxy:
            return [
                .configText, .upstreamServers, .logFile, .peerLink, .statusJournal, .proxyListener4, .proxyListener6,
                .apiUnixListener, .apiTCPListener, .bootstrapEnd, .reloadBegin, .reloadEnd, .shutdown, .requestResult,
            ]
        case .dnsToHelper: return WorkerRole.dns.permittedRequests
        case .proxyToHelper: return WorkerRole.proxy.permittedRequests
        case .brokerToDNS:
            return [.setView, .setFallbackUsers, .resolveResult, .flushCache]
        case .dnsToBroker:
            return [.aliasQueried, .resolveRequest, .counters]
        }
    }

    /// The largest message this direction may carry (sizes the reassembly limit).
    public var maxLength: Int { kinds.map(\.maxLength).max() ?? 0 }
}

/// The two sandboxed workers.
public enum WorkerRole: String, Sendable, CaseIterable, CustomStringConvertible {
    case dns
    case proxy

    public var description: String { rawValue }

    /// What this worker may ask of the helper (OpenSSH's mon_table, reduced to the kinds; the
    /// helper's RequestTable adds max length, `once` and the handler per row).
    public var permittedRequests: Set<MessageKind> {
        switch self {
        // The DNS worker only reports: it has no business pausing the agent or moving the resolver.
        case .dns: return [.ready, .reportError]
        // The broker serves the local API, where `boundary-agent pause/resume` land, and needs the
        // helper's view of the system changes for `status`.
        case .proxy: return [.ready, .pause, .resume, .reportError, .restoreResolver, .status]
        }
    }

    /// The helper → worker direction.
    public var inbound: Direction { self == .dns ? .helperToDNS : .helperToProxy }

    /// The worker → helper direction.
    public var outbound: Direction { self == .dns ? .dnsToHelper : .proxyToHelper }

    /// The name of the worker's binary (product name).
    public var executableName: String { self == .dns ? "boundary-agent-dns" : "boundary-agent-proxy" }
}

/// Named limits (STYLE.md rule 7).
public enum IPCLimits {
    /// Frame header: kind (2), flags (2), payload length (4).
    public static let headerSize = 8
    /// The largest payload one SEQPACKET message carries; longer messages are fragmented. 16 KiB
    /// stays far below the default socket buffer (net.core.wmem_default, 208 KiB here).
    public static let fragmentPayload = 16 * 1024
    /// ConfigLoader.maximumFileSize.
    public static let maxConfigText = 1 << 20
    public static let maxUpstreams = 32
    /// An upstream's `ip:port` label ("[ffff:…:ffff%<15-byte interface>]:65535" is 63 bytes).
    public static let maxUpstreamLabel = 64
    public static let maxResultText = 64 * 1024
    public static let maxReason = 1024
    public static let maxErrorText = 4096
    /// A DNS name in text form (RFC 1035 §2.3.4: 253 characters, plus a trailing dot and slack).
    public static let maxName = 255
    /// Aliases in one user's view. Deployments with 100,000 aliases per user exist (the benchmark's
    /// scale case, bench/scale.sh); the limit bounds what a broken broker could make the DNS worker
    /// buffer, with room above that.
    public static let maxViewEntries = 1 << 20
    public static let maxFallbackUsers = 65536
}
