import AgentVersion
import BoundaryAPI
import BoundaryWire
import Logging
import NIOCore
import NIOPosix

/// What `login` asks the controller.
public struct LoginRequest: Sendable {
    public var address: String
    public var authMethodID: String
    public var loginName: String
    /// A secret: never printed, never logged.
    public var password: String
    public var caCertPath: String?
    public var tlsInsecure: Bool

    public init(
        address: String, authMethodID: String, loginName: String, password: String, caCertPath: String?,
        tlsInsecure: Bool
    ) {
        self.address = address
        self.authMethodID = authMethodID
        self.loginName = loginName
        self.password = password
        self.caCertPath = caCertPath
        self.tlsInsecure = tlsInsecure
    }
}

/// Password authentication against a controller (boundary-protocol.md §1.3). Tests may substitute it.
public protocol ControllerLogin {
    /// The new auth token (its `token` is the secret) or `CLIError.controller`.
    func authenticate(_ request: LoginRequest) throws -> AuthToken
}

/// `POST /v1/auth-methods/{id}:authenticate` with `BoundaryAPI.ControllerClient`: http or https
/// (TLS with the system roots, `-ca-cert`, or none with `-tls-insecure`), names resolved with
/// getaddrinfo. Its logger discards everything, so nothing about the exchange is written anywhere.
public struct BoundaryControllerLogin: ControllerLogin {
    public static let timeout = TimeAmount.seconds(30)

    public init() {}

    public func authenticate(_ request: LoginRequest) throws -> AuthToken {
        let trust: HTTPTrust
        do {
            trust = try HTTPTrust.load(caFile: request.caCertPath, insecure: request.tlsInsecure)
        } catch {
            throw CLIError.controller("Cannot load the CA certificates: \(error)")
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let logger = Logger(label: "boundary-agent", factory: { _ in SwiftLogNoOpLogHandler() })
        do {
            let http = try HTTPClient(
                group: group, resolver: GetaddrinfoHostResolver(),
                configuration: HTTPClientConfiguration(
                    trust: trust, userAgent: "boundary-agent/\(AgentVersion.semver)", requestTimeout: Self.timeout))
            let client = try ControllerClient(address: request.address, http: http, logger: logger)
            return try client.authenticate(
                authMethodID: request.authMethodID, loginName: request.loginName, password: request.password
            ).wait()
        } catch let error as ControllerError {
            throw CLIError.controller(Self.message(for: error, address: request.address))
        } catch {
            throw CLIError.controller("Authentication failed: \(error)")
        }
    }

    /// The controller's own message first; a hint where one helps.
    static func message(for error: ControllerError, address: String) -> String {
        switch error {
        case .unauthenticated(let body):
            let said = body.message.isEmpty ? "" : " (the controller said: \(body.message))"
            return "Authentication failed: wrong login name or password\(said)"
        case .notFound(let body):
            return "Authentication failed: \(body.message.isEmpty ? "not found" : body.message) "
                + "(check -auth-method-id)"
        case .forbidden(let body), .badRequest(let body), .invalidListToken(let body), .httpStatus(_, let body):
            return "Authentication failed: \(body.message.isEmpty ? "\(error)" : body.message)"
        case .connectionRefused:
            return "Cannot reach the controller at \(address): connection refused (check -addr or BOUNDARY_ADDR)"
        case .tlsFailure(let why):
            return "TLS with the controller at \(address) failed: \(why) (use -ca-cert for a private CA)"
        default:
            return "Authentication failed: \(error)"
        }
    }
}
