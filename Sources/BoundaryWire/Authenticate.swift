import JSON

/// Body of `POST /v1/auth-methods/{ampw_…}:authenticate` for the password method
/// (boundary-protocol.md §1.3): `{"command":"login","attributes":{"login_name","password"}}`.
/// `type` is left out unless set (the response then leaves it out too).
public struct PasswordAuthenticateRequest: ProtoJSONCodable, Equatable {
    public var command: String
    public var loginName: String
    public var password: String
    /// `token` or `cookie`; empty means `token`. Never send `cookie`.
    public var type: String
    /// Whether the body had an `attributes` object at all (the server rejects its absence).
    public var hasAttributes: Bool

    public init(loginName: String, password: String, command: String = "login", type: String = "") {
        self.command = command
        self.loginName = loginName
        self.password = password
        self.type = type
        self.hasAttributes = true
    }

    public init(protoJSON: JSONValue, path: String) throws {
        let o = try ProtoJSONObject(protoJSON, path: path)
        let attributes = try o.object("attributes")
        command = try o.string("command")
        // `token_type` is the deprecated spelling of `type`.
        let type = try o.string("type")
        self.type = type.isEmpty ? try o.string("token_type") : type
        loginName = try attributes?.string("login_name") ?? ""
        password = try attributes?.string("password") ?? ""
        hasAttributes = attributes != nil
    }

    public var protoJSON: JSONValue {
        var attributes = ProtoJSONBuilder()
        attributes.set("login_name", loginName)
        attributes.set("password", password)
        var b = ProtoJSONBuilder()
        b.set("command", command)
        b.set("type", type)
        b.set("attributes", json: attributes.value)
        return b.value
    }
}

/// The 200 answer to a password authenticate: `{"command":"login","attributes":{AuthToken…}}`.
public struct AuthenticateResponse: ProtoJSONCodable, Equatable {
    public var command: String
    /// Echo of the request's `type`; absent when the request had none.
    public var type: String
    public var attributes: AuthToken

    public init(command: String = "login", type: String = "", attributes: AuthToken) {
        self.command = command
        self.type = type
        self.attributes = attributes
    }

    public init(protoJSON: JSONValue, path: String) throws {
        let o = try ProtoJSONObject(protoJSON, path: path)
        command = try o.string("command")
        type = try o.string("type")
        attributes = try o.message("attributes", as: AuthToken.self) ?? AuthToken()
    }

    public var protoJSON: JSONValue {
        var b = ProtoJSONBuilder()
        b.set("command", command)
        b.set("type", type)
        b.set("attributes", attributes)
        return b.value
    }
}
