import AgentAPI

#if canImport(Glibc)
    import Glibc
#endif

/// Where the local API listens: the unix socket (the agent reads the caller's uid with
/// SO_PEERCRED) or TCP on 127.0.0.1 (the agent finds the caller's uid with sock_diag).
public enum AgentEndpoint: Sendable, Hashable, CustomStringConvertible {
    case unix(path: String)
    case tcp(port: UInt16)

    public var description: String {
        switch self {
        case .unix(let path): return path
        case .tcp(let port): return "127.0.0.1:\(port)"
        }
    }
}

/// How the CLI picks the endpoint (docs/cli.md "Which socket"):
/// 1. `-socket PATH` → that unix socket; `-client-agent-port N` → 127.0.0.1:N (not both);
/// 2. else `BOUNDARY_CLIENT_AGENT_LISTENING_PORT` (the official CLI's variable) → 127.0.0.1:N;
/// 3. else the unix socket (`api_socket_path` of the config, `/run/boundary-client-agent/agent.sock`
///    by default) when it exists, falling back to TCP `api_listen_port` (9300) only when it does not.
/// The unix socket comes first because the agent identifies its caller there by SO_PEERCRED, which
/// needs no lookup and works whatever network namespace the caller is in.
public struct EndpointChoice: Sendable, Equatable {
    public var endpoint: AgentEndpoint
    /// The unix socket that was looked for and missing when the choice fell back to TCP (for the
    /// "not running" message).
    public var missingSocket: String?

    public static let portVariable = "BOUNDARY_CLIENT_AGENT_LISTENING_PORT"

    public static func choose(
        socketFlag: String?, portFlag: UInt16?, environment: [String: String], defaultSocket: String,
        defaultPort: UInt16, socketExists: (String) -> Bool
    ) throws -> EndpointChoice {
        if let socketFlag, portFlag != nil {
            throw CLIError.usage("give -socket \(socketFlag) or -client-agent-port, not both")
        }
        if let socketFlag {
            guard !socketFlag.isEmpty else { throw CLIError.usage("-socket needs a path") }
            return EndpointChoice(endpoint: .unix(path: socketFlag))
        }
        if let portFlag {
            guard portFlag != 0 else { throw CLIError.usage("-client-agent-port must be 1-65535") }
            return EndpointChoice(endpoint: .tcp(port: portFlag))
        }
        if let text = environment[portVariable], !text.isEmpty {
            guard let port = UInt16(text), port != 0 else {
                throw CLIError.usage("\(portVariable)=\(text) is not a port (1-65535)")
            }
            return EndpointChoice(endpoint: .tcp(port: port))
        }
        if socketExists(defaultSocket) || defaultPort == 0 {
            return EndpointChoice(endpoint: .unix(path: defaultSocket))
        }
        return EndpointChoice(endpoint: .tcp(port: defaultPort), missingSocket: defaultSocket)
    }

    /// Whether anything exists at `path` (a socket, or something that will fail to connect clearly).
    public static func pathExists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    /// The one line printed when nothing answers.
    public func notRunningMessage() -> String {
        let where_: String
        switch endpoint {
        case .unix(let path):
            where_ = "nothing listens on \(path)"
        case .tcp(let port):
            if let missingSocket {
                where_ = "\(missingSocket) does not exist and nothing listens on 127.0.0.1:\(port)"
            } else {
                where_ = "nothing listens on 127.0.0.1:\(port)"
            }
        }
        return "The Boundary client agent is not running (\(where_)). "
            + "Start it with: sudo systemctl start boundary-client-agent"
    }
}
