import BoundaryWire
import JSON

/// What the dev controller serves: users, targets, aliases, grants and timing. The defaults mirror
/// `boundary dev` (boundary-protocol.md §5); `-config FILE` (JSON) replaces any section it names.
///
/// ```json
/// {
///   "auth_method_id": "ampw_1234567890",
///   "auth_token_time_to_live": "7d",   "auth_token_time_to_stale": "24h",
///   "max_page_size": 1000,
///   "worker_addresses": ["127.0.0.1:9202"],
///   "users": [{"id": "u_1234567890", "login_name": "admin", "password": "password", "admin": true,
///              "list_resolvable_aliases": true, "targets": ["*"]}],
///   "targets": [{"id": "ttcp_1234567890", "name": "ssh", "address": "127.0.0.1", "port": 22,
///                "connection_limit": -1, "max_seconds": 28800,
///                "credentials": [{"type": "username_password", "username": "u", "password": "p"}]}],
///   "aliases": [{"value": "ssh.boundary.dev", "target": "ttcp_1234567890"}]
/// }
/// ```
/// Credential types: `username_password`, `username_password_domain` (+`domain`), `password`,
/// `ssh_private_key` (`username`, `private_key`, `private_key_passphrase`), `ssh_certificate`
/// (`username`, `private_key`, `certificate`), `json` (`object`), `vault_generic` (`object`, no type).
public struct DevControllerConfig: Sendable, Equatable {
    public struct User: Sendable, Equatable {
        public var id: String
        public var loginName: String
        public var password: String
        public var accountID: String
        /// `ids=*;type=*;actions=*`: may read other users' tokens and sessions.
        public var isAdmin: Bool
        /// The `list-resolvable-aliases` grant on themselves (off → 403, the agent's fallback path).
        public var mayListAliases: Bool
        /// Target ids the user may `authorize-session` on; `*` = all.
        public var targets: Set<String>

        public init(
            id: String, loginName: String, password: String, accountID: String? = nil, isAdmin: Bool = false,
            mayListAliases: Bool = true, targets: Set<String> = ["*"]
        ) {
            self.id = id
            self.loginName = loginName
            self.password = password
            self.accountID = accountID ?? "acctpw_" + id.dropFirst(2)
            self.isAdmin = isAdmin
            self.mayListAliases = mayListAliases
            self.targets = targets
        }

        public func mayAuthorize(targetID: String) -> Bool { targets.contains("*") || targets.contains(targetID) }
    }

    public struct Credential: Sendable, Equatable {
        public var id: String
        public var name: String
        public var storeID: String
        /// Store subtype in `credential_source.type`.
        public var sourceType: String
        public var kind: BrokeredCredential

        public init(
            id: String, name: String = "", storeID: String = "csst_1234567890", sourceType: String = "static",
            kind: BrokeredCredential
        ) {
            self.id = id
            self.name = name
            self.storeID = storeID
            self.sourceType = sourceType
            self.kind = kind
        }
    }

    public struct Target: Sendable, Equatable {
        public var id: String
        public var name: String
        public var description: String
        public var address: String
        /// 0 = no default port: authorize-session fails with FailedPrecondition.
        public var port: Int
        /// -1 = unlimited.
        public var connectionLimit: Int32
        /// 0 = the database default, 28800 s.
        public var maxSeconds: Int
        public var credentials: [Credential]

        public init(
            id: String, name: String, description: String = "", address: String, port: Int,
            connectionLimit: Int32 = -1, maxSeconds: Int = 0, credentials: [Credential] = []
        ) {
            self.id = id
            self.name = name
            self.description = description
            self.address = address
            self.port = port
            self.connectionLimit = connectionLimit
            self.maxSeconds = maxSeconds
            self.credentials = credentials
        }

        public var effectiveMaxSeconds: Int {
            maxSeconds > 0 ? maxSeconds : DevControllerConfig.defaultSessionMaxSeconds
        }
    }

    public struct Alias: Sendable, Equatable {
        /// `alt_…`; generated when empty.
        public var id: String
        public var value: String
        /// Target id; empty = an alias without destination.
        public var destinationID: String
        /// `authorize_session_arguments.host_id`, enforced on authorize-session.
        public var hostID: String

        public init(id: String = "", value: String, destinationID: String, hostID: String = "") {
            self.id = id
            self.value = value
            self.destinationID = destinationID
            self.hostID = hostID
        }
    }

    public var authMethodID = "ampw_1234567890"
    public var users: [User]
    public var targets: [Target]
    public var aliases: [Alias]
    /// Seconds; `boundary dev` tokens live 7 days and go stale after 24 h without use.
    public var authTokenTimeToLive: Double = 7 * 86_400
    public var authTokenTimeToStale: Double = 86_400
    /// `page_size` 0 or above this is clamped to it (`globals.DefaultMaxPageSize`).
    public var maxPageSize = 1000
    /// `worker_info` addresses put in every authorization token; empty = the proxy listener's.
    public var workerAddresses: [String] = []

    public static let defaultSessionMaxSeconds = 28_800
    /// The project every dev target lives in.
    public static let projectScope = ScopeInfo(
        id: "p_1234567890", type: "project", name: "Generated project scope",
        description: "Provides an initial project scope in Boundary", parentScopeID: "o_1234567890")

    /// `boundary dev`: admin and user, the direct-address target, and the two alias targets.
    public static let devDefaults = DevControllerConfig(
        users: [
            User(id: "u_1234567890", loginName: "admin", password: "password", isAdmin: true),
            User(id: "u_0987654321", loginName: "user", password: "password"),
        ],
        targets: [
            Target(
                id: "ttcp_1234567890", name: "Generated target with a direct address", address: "127.0.0.1", port: 22),
            Target(
                id: "ttcp_5432543254", name: "postgres", address: "127.0.0.1", port: 5432,
                credentials: [
                    Credential(
                        id: "credup_1234567890", name: "postgres",
                        kind: .usernamePassword(username: "postgres", password: "password"))
                ]),
        ],
        aliases: [
            Alias(id: "alt_1234567890", value: "ssh.boundary.dev", destinationID: "ttcp_1234567890"),
            Alias(id: "alt_0987654321", value: "postgres.boundary.dev", destinationID: "ttcp_5432543254"),
        ])

    public init(users: [User], targets: [Target], aliases: [Alias]) {
        self.users = users
        self.targets = targets
        self.aliases = aliases
    }
}
