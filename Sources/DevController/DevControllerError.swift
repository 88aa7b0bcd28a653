/// Why the dev controller could not start or change its state.
public enum DevControllerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A bad `-config` file, flag value or admin request body.
    case config(String)
    /// A listener could not be bound.
    case bind(address: String, reason: String)
    /// An admin request names something that does not exist.
    case notFound(String)

    public var description: String {
        switch self {
        case .config(let why): return "invalid configuration: \(why)"
        case .bind(let address, let reason): return "cannot listen on \(address): \(reason)"
        case .notFound(let what): return "\(what) not found"
        }
    }
}
