import AgentConfig

/// The command line: `boundary-agent-helper [-config PATH] [-validate] [-seccomp-log]`,
/// `boundary-agent-helper cleanup [-config PATH]` and `-version`. Usage errors exit 2.
struct HelperOptions {
    enum Command { case run, validate, cleanup, version }

    var command = Command.run
    var configPath = AgentConfiguration.defaultPath
    var seccompLog = false

    static let usage = """
        usage: boundary-agent-helper [-config PATH] [-validate] [-seccomp-log]
               boundary-agent-helper cleanup [-config PATH]
               boundary-agent-helper -version
        """

    init(_ arguments: [String]) throws {
        var rest = arguments.dropFirst()
        if rest.first == "cleanup" {
            command = .cleanup
            rest = rest.dropFirst()
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "-config", "--config":
                guard let path = rest.popFirst() else { throw HelperError.usage("-config needs a path\n\(Self.usage)") }
                configPath = path
            case _ where argument.hasPrefix("-config=") || argument.hasPrefix("--config="):
                configPath = String(argument.split(separator: "=", maxSplits: 1)[1])
            case "-version" where command == .run, "--version" where command == .run:
                command = .version
            case "-validate" where command == .run, "--validate" where command == .run:
                command = .validate
            // Debug only: the workers log blocked syscalls instead of dying (not for production).
            case "-seccomp-log" where command == .run, "--seccomp-log" where command == .run:
                seccompLog = true
            default:
                throw HelperError.usage("unknown argument \(argument)\n\(Self.usage)")
            }
        }
    }
}
