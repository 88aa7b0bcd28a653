import AgentAPI
import ArgumentParser
import BoundaryWire
import CPrivSep

/// `boundary-agent login`: password authentication at the controller (boundary-protocol.md §1.3),
/// then `POST /v1/tokens` so the agent uses the new token for the caller. The password comes from
/// `BOUNDARY_AUTHENTICATE_PASSWORD_PASSWORD`, `-password env://VAR` / `file://PATH`, or a prompt
/// without echo; the token goes from the controller's answer straight into the request body.
struct LoginCommand: AgentSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Sign in to a Boundary controller with a password and hand the token to the agent.",
        discussion: """
            The password is never taken from the command line: set BOUNDARY_AUTHENTICATE_PASSWORD_PASSWORD, \
            pass -password env://VARIABLE or -password file://PATH, or type it at the prompt (not echoed).
            """)

    static let defaultAddress = "http://127.0.0.1:9200"
    /// The agent checks the token with the controller before it answers.
    static let tokenTimeoutSeconds = 45

    @OptionGroup var globals: GlobalOptions

    @Option(
        name: .customLong("addr", withSingleDash: true),
        help: ArgumentHelp(
            "The controller's address (also BOUNDARY_ADDR; default http://127.0.0.1:9200).", valueName: "url"))
    var addr: String?

    @Option(
        name: .customLong("auth-method-id", withSingleDash: true),
        help: ArgumentHelp("The password auth method, ampw_… (also BOUNDARY_AUTH_METHOD_ID).", valueName: "id"))
    var authMethodID: String?

    @Option(
        name: .customLong("login-name", withSingleDash: true),
        help: ArgumentHelp(
            "The login name (also BOUNDARY_AUTHENTICATE_PASSWORD_LOGIN_NAME; asked for on a terminal).",
            valueName: "name"))
    var loginName: String?

    @Option(
        name: .customLong("password", withSingleDash: true),
        help: ArgumentHelp(
            "Where to read the password: env://VARIABLE or file://PATH (never the password itself).",
            valueName: "ref"))
    var password: String?

    @Flag(
        name: .customLong("tls-insecure", withSingleDash: true),
        help: "Do not verify the controller's TLS certificate (also BOUNDARY_TLS_INSECURE; testing only).")
    var tlsInsecure = false

    @Option(
        name: .customLong("ca-cert", withSingleDash: true),
        help: ArgumentHelp("PEM file of CA certificates for the controller (also BOUNDARY_CACERT).", valueName: "path"),
        completion: .file())
    var caCert: String?

    func validate() throws {
        // Refused before anything else happens, and without repeating the value.
        if let password, !password.hasPrefix("env://"), !password.hasPrefix("file://") {
            throw ValidationError(SecretSources.passwordOnCommandLine)
        }
    }

    func execute(_ context: CLIContext) throws {
        // No core dump or ptrace by other processes of this user while the password and token are in memory.
        _ = cps_set_dumpable(0)
        let address = addr ?? context.variable("BOUNDARY_ADDR") ?? Self.defaultAddress
        guard
            let method = authMethodID ?? context.variable("BOUNDARY_AUTH_METHOD_ID")
                ?? context.variable("BOUNDARY_AUTHENTICATE_AUTH_METHOD_ID"), !method.isEmpty
        else {
            throw CLIError.usage(
                "-auth-method-id (or BOUNDARY_AUTH_METHOD_ID) is required: the password auth method, ampw_…")
        }
        let insecure = try tlsInsecure || Self.insecureFromEnvironment(context)
        let caCertPath = caCert ?? context.variable("BOUNDARY_CACERT").flatMap { $0.isEmpty ? nil : $0 }

        // Fail before signing in when there is no agent to hand the token to.
        let agent = try context.agentClient(globals, timeoutSeconds: Self.tokenTimeoutSeconds)
        _ = try agent.get(APIPaths.status)

        let name =
            try loginName ?? context.variable("BOUNDARY_AUTHENTICATE_PASSWORD_LOGIN_NAME") ?? askLoginName(context)
        let secret = try readPassword(context)
        let token = try context.login.authenticate(
            LoginRequest(
                address: address, authMethodID: method, loginName: name, password: secret, caCertPath: caCertPath,
                tlsInsecure: insecure))
        let answer = try agent.post(
            APIPaths.tokens, body: TokenRequest(boundaryAddr: address, token: token.token).json)

        switch globals.format {
        case .json:
            context.printJSON(answer)
        case .table:
            var block = KeyValueBlock(indent: 2)
            if !token.accountID.isEmpty { block.add("Account ID", token.accountID) }
            if !token.authMethodID.isEmpty { block.add("Auth Method ID", token.authMethodID) }
            if let expiration = token.expirationTime {
                block.add(
                    "Expiration Time",
                    "\(expiration.rfc3339) (in \(DurationText.format(seconds: DurationText.secondsUntil(expiration, now: context.now()))))"
                )
            }
            block.add("User ID", token.userID)
            let lines =
                ["", "Authentication information:"] + block.lines() + [
                    "",
                    "The client agent now uses this token (\(token.id)) for \(context.describeUser(context.uid)); "
                        + "`boundary-agent status` shows what it sees.",
                ]
            context.standardOutput.write(lines.joined(separator: "\n") + "\n")
        }
    }

    func askLoginName(_ context: CLIContext) throws -> String {
        guard context.input.standardInputIsTerminal else {
            throw CLIError.usage(
                "-login-name (or BOUNDARY_AUTHENTICATE_PASSWORD_LOGIN_NAME) is required when not on a terminal")
        }
        let name = SecretSources.trimmed(try context.input.readLine(prompt: "Login name: "))
        guard !name.isEmpty else { throw CLIError.usage("no login name entered") }
        return name
    }

    func readPassword(_ context: CLIContext) throws -> String {
        if let password { return try SecretSources.password(reference: password, context: context) }
        if let value = context.variable("BOUNDARY_AUTHENTICATE_PASSWORD_PASSWORD") { return value }
        guard context.input.standardInputIsTerminal else {
            throw CLIError.usage(
                "no password: set BOUNDARY_AUTHENTICATE_PASSWORD_PASSWORD, pass -password env://VARIABLE or "
                    + "-password file://PATH, or run on a terminal to be asked")
        }
        let typed = try context.input.readSecret(prompt: "Password (will be hidden): ")
        guard !typed.isEmpty else { throw CLIError.usage("no password entered") }
        return typed
    }

    static func insecureFromEnvironment(_ context: CLIContext) throws -> Bool {
        guard let text = context.variable("BOUNDARY_TLS_INSECURE"), !text.isEmpty else { return false }
        guard let value = SecretSources.parseBool(text) else {
            throw CLIError.usage("BOUNDARY_TLS_INSECURE=\(text) is not a boolean (true or false)")
        }
        return value
    }
}
