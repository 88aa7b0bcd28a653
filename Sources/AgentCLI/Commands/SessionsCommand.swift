import AgentAPI
import ArgumentParser

/// `boundary-agent sessions`: `GET /v1/sessions`, the caller's own sessions and their brokered
/// credentials.
struct SessionsCommand: AgentSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions",
        abstract: "List your transparent sessions and their brokered credentials.")

    @OptionGroup var globals: GlobalOptions

    func execute(_ context: CLIContext) throws {
        let json = try context.agentClient(globals).get(APIPaths.sessions)
        switch globals.format {
        case .json:
            context.printJSON(json)
        case .table:
            let sessions = try decodeBody { try SessionsResponse(json: json) }
            context.standardOutput.write(SessionsTable.render(sessions, now: context.now()))
        }
    }
}
