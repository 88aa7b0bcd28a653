/// `log_level`: how much the agent logs. The names match swift-log's levels that we use; config
/// text is case-insensitive (the upstream agent's docs write "DEBUG") and "warning" means `warn`.
public enum LogLevel: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case trace
    case debug
    case info
    case warn
    case error

    /// Parses config text; nil for an unknown level.
    public init?(configText text: String) {
        let lower = text.lowercased()
        if lower == "warning" {
            self = .warn
        } else if let level = LogLevel(rawValue: lower) {
            self = level
        } else {
            return nil
        }
    }

    public var description: String { rawValue }
}
