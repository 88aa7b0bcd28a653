import AgentAPI
import ArgumentParser

/// `boundary-agent logout`: `DELETE /v1/tokens`. The agent forgets the caller's token and ends
/// their sessions; the token itself stays valid at the controller (the boundary CLI may share it).
struct LogoutCommand: AgentSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Make the agent forget your token and end your transparent sessions.")

    @OptionGroup var globals: GlobalOptions

    func execute(_ context: CLIContext) throws {
        let json = try context.agentClient(globals).delete(APIPaths.tokens)
        switch globals.format {
        case .json:
            context.printJSON(json)
        case .table:
            context.standardOutput.write(
                "The client agent no longer holds a token for \(context.describeUser(context.uid)); your transparent "
                    + "sessions have ended. The token itself stays valid at the controller until it expires.\n")
        }
    }
}
