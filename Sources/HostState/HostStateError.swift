/// A state file that cannot be read back.
public enum HostStateError: Error, CustomStringConvertible, Equatable {
    case notJSON(String)
    case unknownFormat
    case badEntry(String)

    public var description: String {
        switch self {
        case .notJSON(let why): return "not JSON: \(why)"
        case .unknownFormat: return "unknown format"
        case .badEntry(let entry): return "bad entry \(entry)"
        }
    }
}
