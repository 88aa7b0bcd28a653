import AgentAPI
import ArgumentParser
import JSON

extension PauseScope: ExpressibleByArgument {}

/// `boundary-agent pause`: `POST /v1/pause`. Without `-scope`, the agent decides: an ordinary user
/// pauses only themselves; root and members of `admin_group` pause the whole agent.
struct PauseCommand: AgentSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "pause",
        abstract: "Pause transparent sessions: for you, or (root and the admin group) for every user.",
        discussion: """
            Paused, your alias names resolve as they would without the agent and your sessions end. \
            Root and members of the agent's admin_group pause the whole agent (the system resolver is \
            restored); -scope user pauses only yourself.
            """)

    @OptionGroup var globals: GlobalOptions

    @Option(
        name: .customLong("scope", withSingleDash: true),
        help: "user: only you; agent: every user (root and the admin group only). Default: the agent decides.")
    var scope: PauseScope?

    func execute(_ context: CLIContext) throws {
        let target = APIPaths.pause + (scope.map { "?scope=\($0.rawValue)" } ?? "")
        let json = try context.agentClient(globals).post(target)
        switch globals.format {
        case .json:
            context.printJSON(json)
        case .table:
            context.standardOutput.write(PauseMessages.paused(json, uid: context.describeUser(context.uid)) + "\n")
        }
    }
}

/// What `pause` and `resume` say, from what the agent answered (`PauseResponse`); an agent that
/// answers nothing (the upstream agent ignores the body) gets the upstream sentences.
enum PauseMessages {
    static func paused(_ json: JSONValue, uid: String) -> String {
        guard let answer = try? PauseResponse(json: json) else { return "The Client Agent has been paused." }
        switch answer.scope {
        case .agent:
            return "The Client Agent has been paused for every user: the system resolver is restored and all "
                + "transparent sessions have ended. Resume it with `boundary-agent resume`."
        case .user:
            return "The Client Agent has been paused for \(uid) only: your alias names resolve as without the "
                + "agent and your transparent sessions have ended. Other users are not affected. Resume with "
                + "`boundary-agent resume`."
        }
    }

    static func resumed(_ json: JSONValue) -> String {
        guard let answer = try? PauseResponse(json: json) else {
            return "The Client Agent has been successfully resumed."
        }
        switch (answer.scope, answer.status) {
        case (.agent, _):
            return "The Client Agent has been successfully resumed for every user."
        case (.user, .running):
            return "The Client Agent has been successfully resumed."
        case (.user, .paused):
            return "You are resumed, but the Client Agent is still paused for every user; root or a member of "
                + "the admin group can resume it with `boundary-agent resume`."
        }
    }
}
