import AgentAPI

/// Why a `boundary-agent` command failed. `exitCode` is 2 for usage errors and 1 for everything
/// else; `description` is the one line (or few) printed on standard error.
public enum CLIError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Bad or missing arguments found after parsing (e.g. no login name and no terminal to ask on).
    case usage(String)
    /// Nothing listens where the agent should: the whole message, with how to start it.
    case agentNotRunning(String)
    /// The endpoint refused us or does not exist (mapped to `agentNotRunning` by `AgentClient`).
    case notListening(AgentEndpoint)
    /// Connecting failed for another reason (permission, a full backlog).
    case connectFailed(AgentEndpoint, String)
    /// The agent did not answer in time.
    case timeout(AgentEndpoint, seconds: Int)
    /// A socket call failed mid-exchange.
    case io(String)
    /// The answer is not HTTP/1.1 as the agent speaks it.
    case malformedResponse(String)
    /// The answer's body is over the cap.
    case responseTooLarge(limit: Int)
    /// The agent answered with an error (Boundary's error JSON).
    case api(APIError)
    /// The agent answered 2xx with a body we cannot read.
    case unexpectedBody(String)
    /// Signing in to the controller failed (`login`).
    case controller(String)
    /// A secret could not be read (password file, token on stdin, the terminal).
    case input(String)

    public var exitCode: Int32 {
        if case .usage = self { return 2 }
        return 1
    }

    public var description: String {
        switch self {
        case .usage(let m): return m
        case .agentNotRunning(let m): return m
        case .notListening(let endpoint): return "nothing listens on \(endpoint)"
        case .connectFailed(let endpoint, let why): return "cannot connect to the client agent on \(endpoint): \(why)"
        case .timeout(let endpoint, let seconds):
            return "the client agent on \(endpoint) did not answer within \(seconds)s"
        case .io(let m): return "talking to the client agent failed: \(m)"
        case .malformedResponse(let m): return "the client agent's answer is not valid HTTP: \(m)"
        case .responseTooLarge(let limit): return "the client agent's answer is larger than \(limit) bytes"
        case .api(let e):
            let kind = e.kind.isEmpty ? "" : ", \(e.kind)"
            let message = e.message.isEmpty ? "(no message)" : e.message
            return "Error from the client agent: \(message) (HTTP \(e.status)\(kind))"
        case .unexpectedBody(let m): return "the client agent's answer has an unexpected shape: \(m)"
        case .controller(let m): return m
        case .input(let m): return m
        }
    }
}
