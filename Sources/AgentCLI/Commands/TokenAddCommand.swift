import AgentAPI
import ArgumentParser
import CPrivSep

/// `boundary-agent token add`: `POST /v1/tokens` with a token the caller already has (from
/// `boundary authenticate`, for instance), read from `BOUNDARY_TOKEN` or standard input, never
/// from the command line.
struct TokenAddCommand: AgentSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Hand the agent an auth token from BOUNDARY_TOKEN or standard input.",
        discussion: """
            The token is read from BOUNDARY_TOKEN, else from standard input (asked for without echo on a \
            terminal), never from the command line: every user on the host can read a process's arguments. \
            Example: boundary config get-token | boundary-agent token add
            """)

    @OptionGroup var globals: GlobalOptions

    @Option(
        name: .customLong("addr", withSingleDash: true),
        help: ArgumentHelp(
            "The controller that issued the token (also BOUNDARY_ADDR; default http://127.0.0.1:9200).",
            valueName: "url"))
    var addr: String?

    /// Caught so a token typed on the command line gets an explanation instead of being echoed
    /// back in "unexpected argument".
    @Argument(help: .hidden)
    var stray: [String] = []

    func validate() throws {
        if !stray.isEmpty {
            throw ValidationError(
                "token add takes no arguments: it reads the token from BOUNDARY_TOKEN or standard input, never "
                    + "from the command line (every user on this host can read it there)")
        }
    }

    func execute(_ context: CLIContext) throws {
        _ = cps_set_dumpable(0)
        let address = addr ?? context.variable("BOUNDARY_ADDR") ?? LoginCommand.defaultAddress
        let agent = try context.agentClient(globals, timeoutSeconds: LoginCommand.tokenTimeoutSeconds)
        let token = try readToken(context)
        guard let tokenID = TokenRequest.tokenID(of: token) else {
            throw CLIError.input(
                "that is not a Boundary auth token (expected at_<id>_<secret>, as `boundary config get-token` prints)")
        }
        let answer = try agent.post(APIPaths.tokens, body: TokenRequest(boundaryAddr: address, token: token).json)
        switch globals.format {
        case .json:
            context.printJSON(answer)
        case .table:
            context.standardOutput.write(
                "The client agent now uses token \(tokenID) from \(address) for \(context.describeUser(context.uid)).\n"
            )
        }
    }

    func readToken(_ context: CLIContext) throws -> String {
        if let value = context.variable("BOUNDARY_TOKEN"), !value.isEmpty { return SecretSources.trimmed(value) }
        let text: String
        if context.input.standardInputIsTerminal {
            text = try context.input.readSecret(prompt: "Auth token (will be hidden): ")
        } else {
            let bytes = try context.input.readStandardInput(limit: SecretSources.maximumTokenBytes)
            text = String(decoding: bytes, as: UTF8.self)
        }
        let token = SecretSources.trimmed(text)
        guard !token.isEmpty else {
            throw CLIError.usage("no token: set BOUNDARY_TOKEN or write the token to standard input")
        }
        return token
    }
}
