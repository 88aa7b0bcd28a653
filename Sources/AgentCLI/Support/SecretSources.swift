import AgentAPI

/// Where `login` gets the password and `token add` the token: never from argv (every user can read
/// `/proc/PID/cmdline`), so flags carry only a reference (`env://VAR`, `file://PATH`).
enum SecretSources {
    /// Files holding a password or a token are small.
    static let maximumSecretFileBytes = 64 * 1024
    /// A token on standard input.
    static let maximumTokenBytes = 8 * 1024

    /// The `-password` value: `env://NAME` or `file://PATH`, read and trimmed of surrounding white
    /// space as the boundary CLI does. Anything else is refused without repeating it.
    static func password(reference: String, context: CLIContext) throws -> String {
        if reference.hasPrefix("env://") {
            let name = String(reference.dropFirst("env://".count))
            guard !name.isEmpty else { throw CLIError.usage("-password env:// needs a variable name") }
            guard let value = context.variable(name) else {
                throw CLIError.usage("-password env://\(name): \(name) is not set")
            }
            return trimmed(value)
        }
        if reference.hasPrefix("file://") {
            let path = String(reference.dropFirst("file://".count))
            guard !path.isEmpty else { throw CLIError.usage("-password file:// needs a path") }
            let bytes = try context.input.readFile(path: path, limit: maximumSecretFileBytes)
            return trimmed(String(decoding: bytes, as: UTF8.self))
        }
        throw CLIError.usage(passwordOnCommandLine)
    }

    static let passwordOnCommandLine =
        "-password takes env://VARIABLE or file://PATH, never the password itself: the command line of "
        + "every process is visible to every user on this host"

    static func trimmed(_ text: String) -> String {
        var t = Substring(text)
        while let f = t.first, f.isWhitespace { t = t.dropFirst() }
        while let l = t.last, l.isWhitespace { t = t.dropLast() }
        return String(t)
    }

    /// Go's `strconv.ParseBool`, which the boundary CLI uses for BOUNDARY_TLS_INSECURE.
    static func parseBool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default: return nil
        }
    }
}
