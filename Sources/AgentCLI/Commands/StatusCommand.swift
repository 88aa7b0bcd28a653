import AgentAPI
import ArgumentParser

/// `boundary-agent status`: `GET /v1/status`.
struct StatusCommand: AgentSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the agent's status for you: controller, token, running or paused, recent errors.")

    @OptionGroup var globals: GlobalOptions

    func execute(_ context: CLIContext) throws {
        let json = try context.agentClient(globals).get(APIPaths.status)
        switch globals.format {
        case .json:
            context.printJSON(json)
        case .table:
            let status = try decodeBody { try StatusResponse(json: json) }
            context.standardOutput.write(StatusTable.render(status, now: context.now(), userName: context.userName))
        }
    }
}

/// Decodes an answer's body, turning a shape error into `CLIError.unexpectedBody`.
func decodeBody<T>(_ decode: () throws -> T) throws -> T {
    do {
        return try decode()
    } catch let error as APIDecodingError {
        throw CLIError.unexpectedBody("\(error)")
    }
}
