import AgentConfig
import AgentIPC

/// `HelperToDNS` and `HelperToProxy` as one value, so the bootstrap and the control loop are written
/// once for both workers. Listener slots keep their worker's type.
enum HelperCommand {
    case configText(String)
    case upstreamServers([UpstreamServer])
    case logFile(Int32)
    case peerLink(Int32)
    case statusJournal(Int32)
    case dnsListener(DNSListener, Int32)
    case proxyListener(ProxyListener, Int32)
    case bootstrapEnd
    case reloadBegin
    case reloadEnd
    case shutdown
    case requestResult(RequestResult)

    init(frame: Frame, role: WorkerRole) throws {
        switch role {
        case .dns:
            switch try HelperToDNS(frame: frame) {
            case .configText(let t): self = .configText(t)
            case .upstreamServers(let u): self = .upstreamServers(u)
            case .logFile(let fd): self = .logFile(fd)
            case .peerLink(let fd): self = .peerLink(fd)
            case .listener(let slot, let fd): self = .dnsListener(slot, fd)
            case .bootstrapEnd: self = .bootstrapEnd
            case .reloadBegin: self = .reloadBegin
            case .reloadEnd: self = .reloadEnd
            case .shutdown: self = .shutdown
            case .requestResult(let r): self = .requestResult(r)
            }
        case .proxy:
            switch try HelperToProxy(frame: frame) {
            case .configText(let t): self = .configText(t)
            case .upstreamServers(let u): self = .upstreamServers(u)
            case .logFile(let fd): self = .logFile(fd)
            case .peerLink(let fd): self = .peerLink(fd)
            case .statusJournal(let fd): self = .statusJournal(fd)
            case .listener(let slot, let fd): self = .proxyListener(slot, fd)
            case .bootstrapEnd: self = .bootstrapEnd
            case .reloadBegin: self = .reloadBegin
            case .reloadEnd: self = .reloadEnd
            case .shutdown: self = .shutdown
            case .requestResult(let r): self = .requestResult(r)
            }
        }
    }

    /// The fd the command carries, if any (closed when the command is refused).
    var fd: Int32? {
        switch self {
        case .logFile(let fd), .peerLink(let fd), .statusJournal(let fd), .dnsListener(_, let fd),
            .proxyListener(_, let fd):
            return fd
        default: return nil
        }
    }

    var name: String {
        switch self {
        case .configText: return "configText"
        case .upstreamServers: return "upstreamServers"
        case .logFile: return "logFile"
        case .peerLink: return "peerLink"
        case .statusJournal: return "statusJournal"
        case .dnsListener(let slot, _): return "listener \(slot)"
        case .proxyListener(let slot, _): return "listener \(slot)"
        case .bootstrapEnd: return "bootstrapEnd"
        case .reloadBegin: return "reloadBegin"
        case .reloadEnd: return "reloadEnd"
        case .shutdown: return "shutdown"
        case .requestResult: return "requestResult"
        }
    }
}
