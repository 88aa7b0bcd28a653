/// A configuration file was rejected. `diagnostics` holds every problem found, sorted by position
/// (whole-file problems first); `description` prints one `path:line:col: message` per line.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var diagnostics: [ConfigDiagnostic]

    public init(diagnostics: [ConfigDiagnostic]) {
        self.diagnostics = diagnostics
    }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}
