import AgentAPI
import ArgumentParser

/// `boundary-agent resume`: `POST /v1/resume`. Resumes the caller; root and the admin group also
/// resume the whole agent when it is paused.
struct ResumeCommand: AgentSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Resume transparent sessions: for you, or (root and the admin group) for every user.")

    @OptionGroup var globals: GlobalOptions

    @Option(
        name: .customLong("scope", withSingleDash: true),
        help: "user: only you; agent: every user (root and the admin group only). Default: the agent decides.")
    var scope: PauseScope?

    func execute(_ context: CLIContext) throws {
        let target = APIPaths.resume + (scope.map { "?scope=\($0.rawValue)" } ?? "")
        let json = try context.agentClient(globals).post(target)
        switch globals.format {
        case .json:
            context.printJSON(json)
        case .table:
            context.standardOutput.write(PauseMessages.resumed(json) + "\n")
        }
    }
}
