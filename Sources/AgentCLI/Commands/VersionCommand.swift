import AgentAPI
import AgentVersion
import ArgumentParser
import JSON

/// `boundary-agent version`: this CLI's version and, when the agent answers, the agent's.
struct VersionCommand: AgentSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Show the version of this CLI and of the running agent.")

    /// The version is worth printing even when the agent hangs.
    static let agentTimeoutSeconds = 3

    @OptionGroup var globals: GlobalOptions

    func execute(_ context: CLIContext) throws {
        var agentVersion: String?
        var agentProblem: String?
        do {
            let json = try context.agentClient(globals, timeoutSeconds: Self.agentTimeoutSeconds).get(APIPaths.status)
            agentVersion = json["version"]?.stringValue
        } catch let error as CLIError {
            if case .usage = error { throw error }
            if case .agentNotRunning = error {
                agentProblem = "not running"
            } else {
                agentProblem = "\(error)"
            }
        }
        switch globals.format {
        case .json:
            var object: [String: JSONValue] = ["cli_version": .string(AgentVersion.semver)]
            object["agent_version"] = agentVersion.map { .string($0) } ?? .null
            context.printJSON(.object(object))
        case .table:
            var block = KeyValueBlock(indent: 0)
            block.add("boundary-agent", AgentVersion.semver)
            block.add("Client agent", agentVersion ?? agentProblem ?? "unknown")
            context.standardOutput.write(block.lines().joined(separator: "\n") + "\n")
        }
    }
}
