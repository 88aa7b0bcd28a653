import JSON

/// The 200 body of `POST /v1/targets/{id}:authorize-session`, unwrapped (boundary-protocol.md §1.7).
/// Worker addresses are not here: they are only inside `authorizationToken` (decode it with
/// `SessionAuthorizationData(authorizationToken:)`).
public struct SessionAuthorization: ProtoJSONCodable, Equatable {
    /// `s_…`.
    public var sessionID: String
    /// The real target id, also when authorized by alias value.
    public var targetID: String
    public var scope: ScopeInfo?
    public var createdTime: Timestamp?
    public var userID: String
    /// Empty for address targets.
    public var hostSetID: String
    /// For address targets newer controllers put the target id here.
    public var hostID: String
    /// `tcp`, `ssh`, `rdp`.
    public var type: String
    /// base58 of protobuf `SessionAuthorizationData`.
    public var authorizationToken: String
    /// -1 = unlimited; 0 is omitted in JSON (and means 0 here).
    public var connectionLimit: Int32
    /// `tcp://host:port`.
    public var endpoint: String
    public var endpointPort: UInt32
    public var expiration: Timestamp?
    public var credentials: [SessionCredential]
    public var sessionRecordingID: String

    public init(
        sessionID: String = "", targetID: String = "", scope: ScopeInfo? = nil, createdTime: Timestamp? = nil,
        userID: String = "", hostSetID: String = "", hostID: String = "", type: String = "",
        authorizationToken: String = "", connectionLimit: Int32 = 0, endpoint: String = "", endpointPort: UInt32 = 0,
        expiration: Timestamp? = nil, credentials: [SessionCredential] = [], sessionRecordingID: String = ""
    ) {
        self.sessionID = sessionID
        self.targetID = targetID
        self.scope = scope
        self.createdTime = createdTime
        self.userID = userID
        self.hostSetID = hostSetID
        self.hostID = hostID
        self.type = type
        self.authorizationToken = authorizationToken
        self.connectionLimit = connectionLimit
        self.endpoint = endpoint
        self.endpointPort = endpointPort
        self.expiration = expiration
        self.credentials = credentials
        self.sessionRecordingID = sessionRecordingID
    }

    public init(protoJSON: JSONValue, path: String) throws {
        let o = try ProtoJSONObject(protoJSON, path: path)
        self.init(
            sessionID: try o.string("session_id"), targetID: try o.string("target_id"),
            scope: try o.message("scope", as: ScopeInfo.self), createdTime: try o.timestamp("created_time"),
            userID: try o.string("user_id"), hostSetID: try o.string("host_set_id"), hostID: try o.string("host_id"),
            type: try o.string("type"), authorizationToken: try o.string("authorization_token"),
            connectionLimit: try o.int32("connection_limit"), endpoint: try o.string("endpoint"),
            endpointPort: try o.uint32("endpoint_port"), expiration: try o.timestamp("expiration"),
            credentials: try o.messages("credentials", as: SessionCredential.self),
            sessionRecordingID: try o.string("session_recording_id"))
    }

    public var protoJSON: JSONValue {
        var b = ProtoJSONBuilder()
        b.set("session_id", sessionID)
        b.set("target_id", targetID)
        b.set("scope", scope)
        b.set("created_time", createdTime)
        b.set("user_id", userID)
        b.set("host_set_id", hostSetID)
        b.set("host_id", hostID)
        b.set("type", type)
        b.set("authorization_token", authorizationToken)
        b.set("connection_limit", connectionLimit)
        b.set("endpoint", endpoint)
        b.set("endpoint_port", endpointPort)
        b.set("expiration", expiration)
        b.set("credentials", credentials)
        b.set("session_recording_id", sessionRecordingID)
        return b.value
    }
}
