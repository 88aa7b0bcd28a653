/// Errors of the Broker module (STYLE rule 4: one enum per module). Controller answers are
/// `ControllerFailure`, local API answers `AgentAPI.APIError`.
public enum BrokerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The kernel could not tell who is at the other end of a socket.
    case identification(String)
    /// A listener could not be served.
    case listener(String)
    /// A configuration value the broker cannot use.
    case configuration(String)

    public var description: String {
        switch self {
        case .identification(let m): return "cannot identify the client: \(m)"
        case .listener(let m): return "listener: \(m)"
        case .configuration(let m): return "configuration: \(m)"
        }
    }
}
