import AgentAPI
import AgentConfig
import AgentVersion
import BoundaryWire

#if canImport(Glibc)
    import Glibc
#endif

/// Everything a command reads from or writes to the world, so tests can run commands against a
/// local server with canned input and captured output.
public struct CLIContext {
    /// The variables the CLI reads (`CLIContext.environmentVariables`).
    public var environment: [String: String]
    /// Whether a variable outside `environment` (`-password env://NAME`) is looked up in the
    /// process environment (tests leave it off).
    public var readsProcessEnvironment = false
    public var standardOutput: TextOutput
    public var standardError: TextOutput
    public var input: SecretInput
    /// The wall clock (auth token expiry and session expiry are shown as time left).
    public var now: () -> Timestamp
    public var socketExists: (String) -> Bool
    /// The agent's configuration when readable (for the socket path, the port and the explain
    /// resolver check); the defaults otherwise.
    public var configuration: AgentConfiguration
    public var login: ControllerLogin
    /// Reads the resolver file for `explain` (nil when unreadable).
    public var readResolvConf: (String) -> String?
    /// The caller's uid and a name for it.
    public var uid: UInt32
    public var userName: (UInt32) -> String?

    public init(
        environment: [String: String], standardOutput: TextOutput, standardError: TextOutput, input: SecretInput,
        now: @escaping () -> Timestamp = { Timestamp.now() },
        socketExists: @escaping (String) -> Bool = EndpointChoice.pathExists,
        configuration: AgentConfiguration = AgentConfiguration(), login: ControllerLogin = BoundaryControllerLogin(),
        readResolvConf: @escaping (String) -> String? = ResolverCheck.readFile, uid: UInt32 = getuid(),
        userName: @escaping (UInt32) -> String? = CLIContext.passwdName
    ) {
        self.environment = environment
        self.standardOutput = standardOutput
        self.standardError = standardError
        self.input = input
        self.now = now
        self.socketExists = socketExists
        self.configuration = configuration
        self.login = login
        self.readResolvConf = readResolvConf
        self.uid = uid
        self.userName = userName
    }

    /// Points the CLI at another agent configuration file (ours; default
    /// `/etc/boundary/boundary-client-agent.hcl`).
    public static let configVariable = "BOUNDARY_CLIENT_AGENT_CONFIG"

    /// Every environment variable the CLI reads; only these are copied out of the process
    /// environment.
    public static let environmentVariables = [
        EndpointChoice.portVariable, configVariable, "BOUNDARY_ADDR", "BOUNDARY_AUTH_METHOD_ID",
        "BOUNDARY_AUTHENTICATE_AUTH_METHOD_ID", "BOUNDARY_AUTHENTICATE_PASSWORD_LOGIN_NAME",
        "BOUNDARY_AUTHENTICATE_PASSWORD_PASSWORD", "BOUNDARY_TOKEN", "BOUNDARY_TLS_INSECURE", "BOUNDARY_CACERT",
    ]

    /// The process's own streams, terminal, clock and configuration.
    public static func live() -> CLIContext {
        var environment: [String: String] = [:]
        for name in environmentVariables {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        var context = CLIContext(
            environment: environment, standardOutput: FileDescriptorOutput(fd: STDOUT_FILENO),
            standardError: FileDescriptorOutput(fd: STDERR_FILENO), input: TerminalInput(),
            configuration: loadConfiguration(path: environment[configVariable] ?? AgentConfiguration.defaultPath))
        context.readsProcessEnvironment = true
        return context
    }

    /// A variable by name: from `environment`, else (live) from the process environment.
    func variable(_ name: String) -> String? {
        if let value = environment[name] { return value }
        guard readsProcessEnvironment, let value = getenv(name) else { return nil }
        return String(cString: value)
    }

    /// The agent's configuration, or the defaults when the file is missing, unreadable or invalid:
    /// the CLI only borrows a few values and must work whatever state the file is in.
    public static func loadConfiguration(path: String) -> AgentConfiguration {
        guard EndpointChoice.pathExists(path) else { return AgentConfiguration() }
        return (try? ConfigLoader.load(path: path)) ?? AgentConfiguration()
    }

    /// The login name of `uid` from the password database.
    public static func passwdName(_ uid: UInt32) -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name
        else { return nil }
        return String(cString: name)
    }

    // MARK: - Derived

    /// The endpoint `globals` and the environment select (see `EndpointChoice`).
    func endpointChoice(_ globals: GlobalOptions) throws -> EndpointChoice {
        try EndpointChoice.choose(
            socketFlag: globals.socket, portFlag: globals.clientAgentPort, environment: environment,
            defaultSocket: configuration.apiSocketPath, defaultPort: configuration.apiListenPort,
            socketExists: socketExists)
    }

    func agentClient(_ globals: GlobalOptions, timeoutSeconds: Int = LocalHTTPClient.defaultTimeoutSeconds) throws
        -> AgentClient
    {
        AgentClient(
            choice: try endpointChoice(globals), userAgent: "boundary-agent/\(AgentVersion.semver)",
            timeoutSeconds: timeoutSeconds)
    }

    /// "bca-u1 (uid 1001)", or "uid 1001" without a name.
    func describeUser(_ uid: UInt32) -> String {
        userName(uid).map { "\($0) (uid \(uid))" } ?? "uid \(uid)"
    }
}
