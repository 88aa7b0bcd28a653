import AgentAPI
import ArgumentParser

/// `boundary-agent explain NAME`: `GET /v1/explain?name=NAME`, why NAME does or does not resolve to
/// a Boundary alias for the caller, plus the CLI's own look at the system resolver (table only:
/// `-format json` prints the agent's answer unchanged).
struct ExplainCommand: AgentSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain whether a name resolves to a Boundary alias for you, and why (not).")

    /// The longest DNS name, with a trailing dot.
    static let maximumNameLength = 254

    @OptionGroup var globals: GlobalOptions

    @Argument(help: ArgumentHelp("The host name, e.g. ssh.boundary.dev.", valueName: "name"))
    var name: String

    func validate() throws {
        guard !name.isEmpty else { throw ValidationError("the name is empty") }
        guard name.utf8.count <= Self.maximumNameLength else {
            throw ValidationError("the name is longer than a DNS name can be (\(Self.maximumNameLength) bytes)")
        }
    }

    func execute(_ context: CLIContext) throws {
        let json = try context.agentClient(globals).get(
            APIPaths.explain + "?name=" + QueryEncoding.encode(name))
        switch globals.format {
        case .json:
            context.printJSON(json)
        case .table:
            let explain = try decodeBody { try ExplainResponse(json: json) }
            let agentPaused = explain.checks.contains { $0.check == "agent" && !$0.ok }
            let resolver = ResolverCheck.check(
                configuration: context.configuration,
                resolvConf: context.readResolvConf(context.configuration.resolvConfPath), agentPaused: agentPaused)
            context.standardOutput.write(ExplainTable.render(explain, resolver: resolver))
        }
    }
}
