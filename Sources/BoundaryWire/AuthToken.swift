import JSON

/// `controller.api.resources.authtokens.v1.AuthToken` (boundary-protocol.md §1.3): the
/// `attributes` of a password authenticate response and the body of `GET /v1/auth-tokens/{id}`.
public struct AuthToken: ProtoJSONCodable, Equatable {
    /// `at_XXXXXXXXXX`.
    public var id: String
    public var scopeID: String
    public var scope: ScopeInfo?
    /// The full token (`at_…_s1…`); only the authenticate response carries it.
    public var token: String
    /// `u_…`; the user whose resolvable aliases we list.
    public var userID: String
    public var authMethodID: String
    public var accountID: String
    public var createdTime: Timestamp?
    public var updatedTime: Timestamp?
    public var approximateLastUsedTime: Timestamp?
    public var expirationTime: Timestamp?
    public var authorizedActions: [String]

    public init(
        id: String = "", scopeID: String = "", scope: ScopeInfo? = nil, token: String = "", userID: String = "",
        authMethodID: String = "", accountID: String = "", createdTime: Timestamp? = nil,
        updatedTime: Timestamp? = nil, approximateLastUsedTime: Timestamp? = nil,
        expirationTime: Timestamp? = nil, authorizedActions: [String] = []
    ) {
        self.id = id
        self.scopeID = scopeID
        self.scope = scope
        self.token = token
        self.userID = userID
        self.authMethodID = authMethodID
        self.accountID = accountID
        self.createdTime = createdTime
        self.updatedTime = updatedTime
        self.approximateLastUsedTime = approximateLastUsedTime
        self.expirationTime = expirationTime
        self.authorizedActions = authorizedActions
    }

    public init(protoJSON: JSONValue, path: String) throws {
        let o = try ProtoJSONObject(protoJSON, path: path)
        self.init(
            id: try o.string("id"), scopeID: try o.string("scope_id"),
            scope: try o.message("scope", as: ScopeInfo.self), token: try o.string("token"),
            userID: try o.string("user_id"), authMethodID: try o.string("auth_method_id"),
            accountID: try o.string("account_id"), createdTime: try o.timestamp("created_time"),
            updatedTime: try o.timestamp("updated_time"),
            approximateLastUsedTime: try o.timestamp("approximate_last_used_time"),
            expirationTime: try o.timestamp("expiration_time"),
            authorizedActions: try o.strings("authorized_actions"))
    }

    public var protoJSON: JSONValue {
        var b = ProtoJSONBuilder()
        b.set("id", id)
        b.set("scope_id", scopeID)
        b.set("scope", scope)
        b.set("token", token)
        b.set("user_id", userID)
        b.set("auth_method_id", authMethodID)
        b.set("account_id", accountID)
        b.set("created_time", createdTime)
        b.set("updated_time", updatedTime)
        b.set("approximate_last_used_time", approximateLastUsedTime)
        b.set("expiration_time", expirationTime)
        b.set("authorized_actions", authorizedActions)
        return b.value
    }
}

/// A full auth token as a client holds it: `at_<10 base62>_s1<base58>` (boundary-protocol.md §1.1).
/// The controller splits on `_` and needs exactly three segments; the public id (what
/// `GET /v1/auth-tokens/{id}` takes) is the first two. Recovery tokens (`r_…`) are not accepted.
public struct AuthTokenString: Sendable, Hashable, CustomStringConvertible {
    /// The whole secret token. Never log it.
    public let value: String
    /// `at_XXXXXXXXXX`.
    public let publicID: String

    /// Length of the random part of Boundary public ids (`db.NewPublicId`).
    public static let idLength = 10
    /// Longest token we accept; real ones are about 150 characters.
    public static let maximumLength = 4096

    public init(_ value: String) throws {
        guard value.utf8.count <= AuthTokenString.maximumLength else {
            throw BoundaryWireError.invalidAuthToken("longer than \(AuthTokenString.maximumLength) bytes")
        }
        let parts = value.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw BoundaryWireError.invalidAuthToken("expected 3 segments separated by \"_\", found \(parts.count)")
        }
        guard parts[0] == "at" else { throw BoundaryWireError.invalidAuthToken("does not start with \"at_\"") }
        guard parts[1].utf8.count == AuthTokenString.idLength, parts[1].utf8.allSatisfy(AuthTokenString.isBase62)
        else {
            throw BoundaryWireError.invalidAuthToken(
                "the id segment is not \(AuthTokenString.idLength) letters or digits")
        }
        let secret = parts[2].utf8
        guard secret.starts(with: "s1".utf8), secret.count > 2,
            secret.dropFirst(2).allSatisfy({ Base58.digitValues[Int($0)] != 0xFF })
        else {
            throw BoundaryWireError.invalidAuthToken("the secret segment is not \"s1\" followed by base58")
        }
        self.value = value
        self.publicID = "at_" + parts[1]
    }

    /// Assembles a token the way the controller's `EncryptToken` lays it out (the secret is
    /// opaque bytes here; the dev controller uses random ones).
    public static func make(publicID: String, secret: [UInt8]) throws -> AuthTokenString {
        try AuthTokenString(publicID + "_s1" + Base58.encode(secret))
    }

    static func isBase62(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
    }

    /// Redacted: the public id only.
    public var description: String { publicID + "_…" }
}
