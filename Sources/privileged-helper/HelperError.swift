import AgentConfig
import AgentIPC
import PrivSep

/// Everything the helper reports as a failure. Setup errors stop the start (after reverting what
/// was done); worker errors end that worker only.
enum HelperError: Error, CustomStringConvertible {
    case usage(String)
    case config(ConfigError)
    case notRoot
    case alreadyRunning(Int32)
    case stateFile(String, String)
    case firewall(String)
    case resolver(String)
    case setup(String)
    case workerFailedToStart(WorkerRole, String)
    case system(PrivSepError)
    case ipc(IPCError)

    var description: String {
        switch self {
        case .usage(let text): return text
        case .config(let error): return "\(error)"
        case .notRoot: return "must run as root"
        case .alreadyRunning(let pid): return "another boundary-agent-helper is running (pid \(pid))"
        case .stateFile(let path, let why): return "state file \(path): \(why)"
        case .firewall(let why): return "nftables: \(why)"
        case .resolver(let why): return "resolver: \(why)"
        case .setup(let why): return why
        case .workerFailedToStart(let role, let why): return "the \(role) worker failed to start: \(why)"
        case .system(let error): return "\(error)"
        case .ipc(let error): return "\(error)"
        }
    }
}
