import AgentConfig

/// The answer to a worker's request (`pause`, `resume`, `restoreResolver`, `status`), matched by id.
public struct RequestResult: Sendable, Equatable {
    public var id: UInt32
    public var succeeded: Bool
    /// Why it failed, or the answer's text (`status`: JSON).
    public var message: String

    public init(id: UInt32, succeeded: Bool, message: String) {
        self.id = id
        self.succeeded = succeeded
        self.message = message
    }
}

/// The DNS worker's passed sockets, one message kind each.
public enum DNSListener: Sendable, CaseIterable {
    case udp4, tcp4, udp6, tcp6

    var kind: MessageKind {
        switch self {
        case .udp4: return .dnsUDP4
        case .tcp4: return .dnsTCP4
        case .udp6: return .dnsUDP6
        case .tcp6: return .dnsTCP6
        }
    }
}

/// The proxy worker's passed listeners, one message kind each.
public enum ProxyListener: Sendable, CaseIterable {
    /// The transparent proxy on 127.0.0.1 and ::1 (the nftables redirect's target).
    case proxy4, proxy6
    /// The local API: the unix socket (mode 0666) and 127.0.0.1:api_listen_port.
    case apiUnix, apiTCP

    var kind: MessageKind {
        switch self {
        case .proxy4: return .proxyListener4
        case .proxy6: return .proxyListener6
        case .apiUnix: return .apiUnixListener
        case .apiTCP: return .apiTCPListener
        }
    }
}

/// Helper → DNS worker. Bootstrap: `configText`, `upstreamServers`, `logFile`, `peerLink`, the four
/// `listener`s, then `bootstrapEnd`. Reload: `reloadBegin`, items, `reloadEnd` (the worker swaps on
/// END). At any time: `peerLink` (the broker restarted: a fresh link), `shutdown`, `requestResult`.
public enum HelperToDNS: IPCMessage, Equatable {
    case configText(String)
    case upstreamServers([UpstreamServer])
    case logFile(Int32)
    case peerLink(Int32)
    case listener(DNSListener, Int32)
    case bootstrapEnd
    case reloadBegin
    case reloadEnd
    case shutdown
    case requestResult(RequestResult)

    public static let direction = Direction.helperToDNS

    public func frame() -> Frame {
        switch self {
        case .configText(let text): return HelperCodec.configText(text)
        case .upstreamServers(let servers): return HelperCodec.upstreams(servers)
        case .logFile(let fd): return Frame(kind: .logFile, fds: [fd])
        case .peerLink(let fd): return Frame(kind: .peerLink, fds: [fd])
        case .listener(let slot, let fd): return Frame(kind: slot.kind, fds: [fd])
        case .bootstrapEnd: return Frame(kind: .bootstrapEnd)
        case .reloadBegin: return Frame(kind: .reloadBegin)
        case .reloadEnd: return Frame(kind: .reloadEnd)
        case .shutdown: return Frame(kind: .shutdown)
        case .requestResult(let r): return HelperCodec.result(r)
        }
    }

    public init(frame: Frame) throws {
        self = try frame.decode(Self.direction) { r in
            switch r.kind {
            case .configText: return .configText(try HelperCodec.configText(&r))
            case .upstreamServers: return .upstreamServers(try HelperCodec.upstreams(&r))
            case .logFile: return .logFile(frame.fds[0])
            case .peerLink: return .peerLink(frame.fds[0])
            case .dnsUDP4: return .listener(.udp4, frame.fds[0])
            case .dnsTCP4: return .listener(.tcp4, frame.fds[0])
            case .dnsUDP6: return .listener(.udp6, frame.fds[0])
            case .dnsTCP6: return .listener(.tcp6, frame.fds[0])
            case .bootstrapEnd: return .bootstrapEnd
            case .reloadBegin: return .reloadBegin
            case .reloadEnd: return .reloadEnd
            case .shutdown: return .shutdown
            case .requestResult: return .requestResult(try HelperCodec.result(&r))
            default: throw IPCError.unexpectedKind(r.kind, Self.direction)
            }
        }
    }
}

/// Helper → proxy worker; the same sequence as `HelperToDNS`, with the proxy's listeners and the
/// status journal. `listener(.apiTCP, _)` is absent when `api_listen_port` is 0.
public enum HelperToProxy: IPCMessage, Equatable {
    case configText(String)
    case upstreamServers([UpstreamServer])
    case logFile(Int32)
    case peerLink(Int32)
    /// The broker's status errors and warnings, kept in `<dir of api_socket_path>/status-journal`
    /// (O_RDWR | O_APPEND, root's, mode 0600) so they outlive a worker or agent restart until reboot
    /// (/run).
    case statusJournal(Int32)
    case listener(ProxyListener, Int32)
    case bootstrapEnd
    case reloadBegin
    case reloadEnd
    case shutdown
    case requestResult(RequestResult)

    public static let direction = Direction.helperToProxy

    public func frame() -> Frame {
        switch self {
        case .configText(let text): return HelperCodec.configText(text)
        case .upstreamServers(let servers): return HelperCodec.upstreams(servers)
        case .logFile(let fd): return Frame(kind: .logFile, fds: [fd])
        case .peerLink(let fd): return Frame(kind: .peerLink, fds: [fd])
        case .statusJournal(let fd): return Frame(kind: .statusJournal, fds: [fd])
        case .listener(let slot, let fd): return Frame(kind: slot.kind, fds: [fd])
        case .bootstrapEnd: return Frame(kind: .bootstrapEnd)
        case .reloadBegin: return Frame(kind: .reloadBegin)
        case .reloadEnd: return Frame(kind: .reloadEnd)
        case .shutdown: return Frame(kind: .shutdown)
        case .requestResult(let r): return HelperCodec.result(r)
        }
    }

    public init(frame: Frame) throws {
        self = try frame.decode(Self.direction) { r in
            switch r.kind {
            case .configText: return .configText(try HelperCodec.configText(&r))
            case .upstreamServers: return .upstreamServers(try HelperCodec.upstreams(&r))
            case .logFile: return .logFile(frame.fds[0])
            case .peerLink: return .peerLink(frame.fds[0])
            case .statusJournal: return .statusJournal(frame.fds[0])
            case .proxyListener4: return .listener(.proxy4, frame.fds[0])
            case .proxyListener6: return .listener(.proxy6, frame.fds[0])
            case .apiUnixListener: return .listener(.apiUnix, frame.fds[0])
            case .apiTCPListener: return .listener(.apiTCP, frame.fds[0])
            case .bootstrapEnd: return .bootstrapEnd
            case .reloadBegin: return .reloadBegin
            case .reloadEnd: return .reloadEnd
            case .shutdown: return .shutdown
            case .requestResult: return .requestResult(try HelperCodec.result(&r))
            default: throw IPCError.unexpectedKind(r.kind, Self.direction)
            }
        }
    }
}

/// DNS worker → helper: it only says it is serving and reports errors for `status`.
public enum DNSToHelper: IPCMessage, Equatable {
    case ready
    case reportError(String)

    public static let direction = Direction.dnsToHelper

    public func frame() -> Frame {
        switch self {
        case .ready: return Frame(kind: .ready)
        case .reportError(let text): return HelperCodec.text(.reportError, text)
        }
    }

    public init(frame: Frame) throws {
        self = try frame.decode(Self.direction) { r in
            switch r.kind {
            case .ready: return .ready
            case .reportError: return .reportError(try r.string("text", maxLength: IPCLimits.maxErrorText))
            default: throw IPCError.unexpectedKind(r.kind, Self.direction)
            }
        }
    }
}

/// Proxy worker (broker) → helper. Requests with an id get a `requestResult` with that id.
public enum ProxyToHelper: IPCMessage, Equatable {
    case ready
    /// Pause the agent: put the system resolver back and remember "paused" across restarts.
    case pause(id: UInt32, reason: String)
    /// Undo `pause`.
    case resume(id: UInt32)
    case reportError(String)
    /// Put the system resolver back without pausing (e.g. the DNS worker keeps failing).
    case restoreResolver(id: UInt32)
    /// The helper's view for `status`: system changes, worker restarts (JSON in the result's message).
    case status(id: UInt32)

    public static let direction = Direction.proxyToHelper

    public func frame() -> Frame {
        var w = IPCWriter()
        switch self {
        case .ready: return Frame(kind: .ready)
        case .pause(let id, let reason):
            w.u32(id)
            w.string(reason)
            return Frame(kind: .pause, payload: w.bytes)
        case .resume(let id):
            w.u32(id)
            return Frame(kind: .resume, payload: w.bytes)
        case .reportError(let text): return HelperCodec.text(.reportError, text)
        case .restoreResolver(let id):
            w.u32(id)
            return Frame(kind: .restoreResolver, payload: w.bytes)
        case .status(let id):
            w.u32(id)
            return Frame(kind: .status, payload: w.bytes)
        }
    }

    public init(frame: Frame) throws {
        self = try frame.decode(Self.direction) { r in
            switch r.kind {
            case .ready: return .ready
            case .pause:
                let id = try r.u32("id")
                return .pause(id: id, reason: try r.string("reason", maxLength: IPCLimits.maxReason))
            case .resume: return .resume(id: try r.u32("id"))
            case .reportError: return .reportError(try r.string("text", maxLength: IPCLimits.maxErrorText))
            case .restoreResolver: return .restoreResolver(id: try r.u32("id"))
            case .status: return .status(id: try r.u32("id"))
            default: throw IPCError.unexpectedKind(r.kind, Self.direction)
            }
        }
    }
}

/// Encodings shared by both helper → worker directions.
enum HelperCodec {
    static func configText(_ text: String) -> Frame {
        var w = IPCWriter(capacity: text.utf8.count + 4)
        w.string(text)
        return Frame(kind: .configText, payload: w.bytes)
    }

    static func configText(_ r: inout IPCReader) throws -> String {
        try r.string("text", maxLength: IPCLimits.maxConfigText)
    }

    static func upstreams(_ servers: [UpstreamServer]) -> Frame {
        var w = IPCWriter()
        w.u32(UInt32(servers.count))
        for s in servers {
            w.ipAddress(s.address)
            w.u16(s.port)
            w.u32(s.link?.index ?? 0)
            w.string(s.link?.name ?? "")
        }
        return Frame(kind: .upstreamServers, payload: w.bytes)
    }

    static func upstreams(_ r: inout IPCReader) throws -> [UpstreamServer] {
        let n = try r.count("servers", maxCount: IPCLimits.maxUpstreams, minimumElementSize: 15)
        var out: [UpstreamServer] = []
        for _ in 0..<n {
            let address = try r.ipAddress("server")
            let port = try r.u16("port")
            guard port != 0 else { throw IPCError.invalidField(r.kind, field: "port") }
            let index = try r.u32("link index")
            let name = try r.string("link name", maxLength: UpstreamServer.Link.maxNameLength)
            // A link is an interface of an IPv6 address, with a name for its label; nothing otherwise.
            var link: UpstreamServer.Link? = nil
            if index != 0 || !name.isEmpty {
                guard index != 0, !name.isEmpty, address.family == .v6 else {
                    throw IPCError.invalidField(r.kind, field: "link")
                }
                link = UpstreamServer.Link(index: index, name: name)
            }
            out.append(UpstreamServer(address: address, port: port, link: link))
        }
        return out
    }

    static func result(_ result: RequestResult) -> Frame {
        var w = IPCWriter()
        w.u32(result.id)
        w.bool(result.succeeded)
        w.string(result.message)
        return Frame(kind: .requestResult, payload: w.bytes)
    }

    static func result(_ r: inout IPCReader) throws -> RequestResult {
        let id = try r.u32("id")
        let ok = try r.bool("succeeded")
        return RequestResult(
            id: id, succeeded: ok, message: try r.string("message", maxLength: IPCLimits.maxResultText))
    }

    static func text(_ kind: MessageKind, _ text: String) -> Frame {
        var w = IPCWriter()
        w.string(text)
        return Frame(kind: kind, payload: w.bytes)
    }
}
