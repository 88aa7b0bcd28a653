import AgentConfig
import AgentIPC
import PrivSep

/// Everything AgentCore throws while bringing a worker up. Any of them ends the worker (exit 1 with
/// the description on stderr and in the log); the helper restarts it with backoff.
public enum AgentCoreError: Error, CustomStringConvertible {
    case usage(String)
    case bootstrap(String)
    case ipc(IPCError)
    case system(PrivSepError)
    case config(ConfigError)

    public var description: String {
        switch self {
        case .usage(let text): return "usage: \(text)"
        case .bootstrap(let text): return "bootstrap: \(text)"
        case .ipc(let error): return "IPC: \(error)"
        case .system(let error): return "\(error)"
        case .config(let error): return "configuration: \(error)"
        }
    }
}
