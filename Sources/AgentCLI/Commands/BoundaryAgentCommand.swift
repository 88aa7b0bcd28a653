import ArgumentParser

/// `boundary-agent`: the per-user command line of the Boundary client agent.
public struct BoundaryAgentCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "boundary-agent",
        abstract: "Drive the Boundary client agent (transparent sessions) for your OS user.",
        discussion: """
            Sign in once with `boundary-agent login`; then Boundary alias names (ssh db.corp, psql -h pg.corp) \
            resolve to local addresses and every connection is carried through a Boundary session, for your \
            OS user only. Flags take one dash, like the boundary CLI's (-format json).

            Exit status: 0 on success, 1 on an error, 2 on a usage error.
            """,
        subcommands: [
            StatusCommand.self, SessionsCommand.self, LoginCommand.self, TokenCommand.self, LogoutCommand.self,
            PauseCommand.self, ResumeCommand.self, ExplainCommand.self, VersionCommand.self,
        ],
        helpNames: [.short, .long, .customLong("help", withSingleDash: true)])

    public init() {}
}

/// `boundary-agent token`: the group of `token add`.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Hand the agent a Boundary auth token you already have.",
        subcommands: [TokenAddCommand.self])
}
