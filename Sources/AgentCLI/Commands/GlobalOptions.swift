import ArgumentParser
import JSON

/// `-format table|json`.
public enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case table, json
}

/// Options every subcommand takes, single-dash like the `boundary` CLI's.
public struct GlobalOptions: ParsableArguments {
    @Option(
        name: .customLong("format", withSingleDash: true),
        help: "Output format: table (for people) or json (the agent's answer, exactly).")
    public var format: OutputFormat = .table

    @Option(
        name: .customLong("client-agent-port", withSingleDash: true),
        help: ArgumentHelp(
            "Talk to the agent over TCP on 127.0.0.1:PORT (also BOUNDARY_CLIENT_AGENT_LISTENING_PORT).",
            valueName: "port"))
    public var clientAgentPort: UInt16?

    @Option(
        name: .customLong("socket", withSingleDash: true),
        help: ArgumentHelp(
            "Talk to the agent on this unix socket (default /run/boundary-client-agent/agent.sock, or TCP "
                + "127.0.0.1:9300 when that socket does not exist).", valueName: "path"),
        completion: .file())
    public var socket: String?

    public init() {}
}

/// A subcommand the CLI runs with a `CLIContext` (tests pass their own).
protocol AgentSubcommand: ParsableCommand {
    var globals: GlobalOptions { get }
    func execute(_ context: CLIContext) throws
}

extension AgentSubcommand {
    /// Run directly (not through `CLIMain`): with the process's own context.
    public func run() throws {
        try execute(CLIContext.live())
    }
}

extension CLIContext {
    /// Prints a JSON body as `-format json` does: pretty, sorted keys, one trailing newline.
    func printJSON(_ json: JSONValue) {
        standardOutput.write(JSONWriter(style: .pretty).string(json) + "\n")
    }
}
