import JSON

/// `GET /v1/sessions`: the upstream ListSessionsResponse (boundary-protocol.md §4.1), only the
/// caller's own sessions.
///
/// ```json
/// {"items":[{"alias":"postgres.boundary.dev","connections":1,
///   "session_authorization":{"session_id":"s_1234567890","target_id":"ttcp_…",
///     "created_time":"2026-11-25T10:00:00.123456Z","expiration":"2026-11-25T18:00:00Z",
///     "endpoint":"tcp://127.0.0.1:5432","type":"tcp","connection_limit":-1,
///     "credentials":[{"credential_source":{…},"secret":{"raw":"…","decoded":{…}},"credential":{…}}]}}]}
/// ```
/// `items` is always present (empty list when none). `credentials` is the controller's
/// authorize-session `credentials` array, unchanged (§1.7), and left out when empty.
public struct SessionsResponse: Sendable, Equatable {
    public var items: [SessionItem]

    public init(items: [SessionItem]) {
        self.items = items
    }

    public var json: JSONValue { .object(["items": .array(items.map(\.json))]) }

    public init(json: JSONValue) throws {
        let r = try FieldReader(json, what: "sessions")
        items = try r.array("items").map { try SessionItem(json: $0) }
    }
}

public struct SessionItem: Sendable, Equatable {
    public var alias: String
    public var sessionAuthorization: SessionAuthorizationSummary
    /// Ours: connections the agent carries on this session right now.
    public var connections: Int?

    public init(alias: String, sessionAuthorization: SessionAuthorizationSummary, connections: Int? = nil) {
        self.alias = alias
        self.sessionAuthorization = sessionAuthorization
        self.connections = connections
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = ["alias": .string(alias), "session_authorization": sessionAuthorization.json]
        if let connections { o["connections"] = .int(Int64(connections)) }
        return .object(o)
    }

    public init(json: JSONValue) throws {
        let r = try FieldReader(json, what: "session item")
        alias = try r.string("alias")
        guard let authorization = try r.optionalObject("session_authorization") else {
            throw APIDecodingError.missingField("session_authorization")
        }
        sessionAuthorization = try SessionAuthorizationSummary(json: authorization)
        connections = try r.optionalInt("connections").flatMap { Int(exactly: $0) }
    }
}

/// The fields of a SessionAuthorization the agent keeps (never the authorization token itself).
public struct SessionAuthorizationSummary: Sendable, Equatable {
    public var sessionID: String
    public var targetID: String?
    public var createdTime: String?
    public var expiration: String?
    public var endpoint: String?
    public var type: String?
    public var connectionLimit: Int32?
    /// The controller's brokered credentials, unchanged.
    public var credentials: [JSONValue]

    public init(
        sessionID: String, targetID: String? = nil, createdTime: String? = nil, expiration: String? = nil,
        endpoint: String? = nil, type: String? = nil, connectionLimit: Int32? = nil, credentials: [JSONValue] = []
    ) {
        self.sessionID = sessionID
        self.targetID = targetID
        self.createdTime = createdTime
        self.expiration = expiration
        self.endpoint = endpoint
        self.type = type
        self.connectionLimit = connectionLimit
        self.credentials = credentials
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = ["session_id": .string(sessionID)]
        o.setIfPresent("target_id", targetID)
        o.setIfPresent("created_time", createdTime)
        o.setIfPresent("expiration", expiration)
        o.setIfPresent("endpoint", endpoint)
        o.setIfPresent("type", type)
        if let connectionLimit, connectionLimit != 0 { o["connection_limit"] = .int(Int64(connectionLimit)) }
        if !credentials.isEmpty { o["credentials"] = .array(credentials) }
        return .object(o)
    }

    public init(json: JSONValue) throws {
        let r = try FieldReader(json, what: "session_authorization")
        sessionID = try r.string("session_id")
        targetID = try r.optionalString("target_id")
        createdTime = try r.optionalString("created_time")
        expiration = try r.optionalString("expiration")
        endpoint = try r.optionalString("endpoint")
        type = try r.optionalString("type")
        if let limit = try r.optionalInt("connection_limit") {
            guard let l = Int32(exactly: limit) else {
                throw APIDecodingError.invalidValue(field: "connection_limit", reason: "out of range")
            }
            connectionLimit = l
        }
        credentials = try r.array("credentials")
    }
}
