import JSON

/// `controller.api.resources.sessions.v1.Session`: the body of `GET /v1/sessions/{id}` and of
/// `POST /v1/sessions/{id}:cancel` (boundary-protocol.md §1.8).
public struct Session: ProtoJSONCodable, Equatable {
    public static let statusPending = "pending"
    public static let statusActive = "active"
    public static let statusCanceling = "canceling"
    public static let statusTerminated = "terminated"

    public var id: String
    public var targetID: String
    public var scope: ScopeInfo?
    public var createdTime: Timestamp?
    public var updatedTime: Timestamp?
    /// Optimistic-lock version; `:cancel` must send the current one.
    public var version: UInt32
    public var type: String
    public var expirationTime: Timestamp?
    public var authTokenID: String
    public var userID: String
    public var hostSetID: String
    public var hostID: String
    public var scopeID: String
    public var endpoint: String
    public var states: [State]
    /// `pending`, `active`, `canceling` or `terminated`.
    public var status: String
    /// DER of the session certificate (base64 in JSON).
    public var certificate: [UInt8]
    public var terminationReason: String
    public var authorizedActions: [String]
    public var connections: [Connection]

    public struct State: ProtoJSONCodable, Equatable {
        public var status: String
        public var startTime: Timestamp?
        public var endTime: Timestamp?

        public init(status: String, startTime: Timestamp? = nil, endTime: Timestamp? = nil) {
            self.status = status
            self.startTime = startTime
            self.endTime = endTime
        }

        public init(protoJSON: JSONValue, path: String) throws {
            let o = try ProtoJSONObject(protoJSON, path: path)
            self.init(
                status: try o.string("status"), startTime: try o.timestamp("start_time"),
                endTime: try o.timestamp("end_time"))
        }

        public var protoJSON: JSONValue {
            var b = ProtoJSONBuilder()
            b.set("status", status)
            b.set("start_time", startTime)
            b.set("end_time", endTime)
            return b.value
        }
    }

    public struct Connection: ProtoJSONCodable, Equatable {
        public var clientTCPAddress: String
        public var clientTCPPort: UInt32
        public var endpointTCPAddress: String
        public var endpointTCPPort: UInt32
        /// int64 fields: JSON strings.
        public var bytesUp: Int64
        public var bytesDown: Int64
        public var closedReason: String

        public init(
            clientTCPAddress: String = "", clientTCPPort: UInt32 = 0, endpointTCPAddress: String = "",
            endpointTCPPort: UInt32 = 0, bytesUp: Int64 = 0, bytesDown: Int64 = 0, closedReason: String = ""
        ) {
            self.clientTCPAddress = clientTCPAddress
            self.clientTCPPort = clientTCPPort
            self.endpointTCPAddress = endpointTCPAddress
            self.endpointTCPPort = endpointTCPPort
            self.bytesUp = bytesUp
            self.bytesDown = bytesDown
            self.closedReason = closedReason
        }

        public init(protoJSON: JSONValue, path: String) throws {
            let o = try ProtoJSONObject(protoJSON, path: path)
            self.init(
                clientTCPAddress: try o.string("client_tcp_address"), clientTCPPort: try o.uint32("client_tcp_port"),
                endpointTCPAddress: try o.string("endpoint_tcp_address"),
                endpointTCPPort: try o.uint32("endpoint_tcp_port"), bytesUp: try o.int64("bytes_up"),
                bytesDown: try o.int64("bytes_down"), closedReason: try o.string("closed_reason"))
        }

        public var protoJSON: JSONValue {
            var b = ProtoJSONBuilder()
            b.set("client_tcp_address", clientTCPAddress)
            b.set("client_tcp_port", clientTCPPort)
            b.set("endpoint_tcp_address", endpointTCPAddress)
            b.set("endpoint_tcp_port", endpointTCPPort)
            b.setInt64("bytes_up", bytesUp)
            b.setInt64("bytes_down", bytesDown)
            b.set("closed_reason", closedReason)
            return b.value
        }
    }

    public init(
        id: String = "", targetID: String = "", scope: ScopeInfo? = nil, createdTime: Timestamp? = nil,
        updatedTime: Timestamp? = nil, version: UInt32 = 0, type: String = "", expirationTime: Timestamp? = nil,
        authTokenID: String = "", userID: String = "", hostSetID: String = "", hostID: String = "",
        scopeID: String = "", endpoint: String = "", states: [State] = [], status: String = "",
        certificate: [UInt8] = [], terminationReason: String = "", authorizedActions: [String] = [],
        connections: [Connection] = []
    ) {
        self.id = id
        self.targetID = targetID
        self.scope = scope
        self.createdTime = createdTime
        self.updatedTime = updatedTime
        self.version = version
        self.type = type
        self.expirationTime = expirationTime
        self.authTokenID = authTokenID
        self.userID = userID
        self.hostSetID = hostSetID
        self.hostID = hostID
        self.scopeID = scopeID
        self.endpoint = endpoint
        self.states = states
        self.status = status
        self.certificate = certificate
        self.terminationReason = terminationReason
        self.authorizedActions = authorizedActions
        self.connections = connections
    }

    public init(protoJSON: JSONValue, path: String) throws {
        let o = try ProtoJSONObject(protoJSON, path: path)
        self.init(
            id: try o.string("id"), targetID: try o.string("target_id"),
            scope: try o.message("scope", as: ScopeInfo.self), createdTime: try o.timestamp("created_time"),
            updatedTime: try o.timestamp("updated_time"), version: try o.uint32("version"), type: try o.string("type"),
            expirationTime: try o.timestamp("expiration_time"), authTokenID: try o.string("auth_token_id"),
            userID: try o.string("user_id"), hostSetID: try o.string("host_set_id"), hostID: try o.string("host_id"),
            scopeID: try o.string("scope_id"), endpoint: try o.string("endpoint"),
            states: try o.messages("states", as: State.self), status: try o.string("status"),
            certificate: try o.bytes("certificate"), terminationReason: try o.string("termination_reason"),
            authorizedActions: try o.strings("authorized_actions"),
            connections: try o.messages("connections", as: Connection.self))
    }

    public var protoJSON: JSONValue {
        var b = ProtoJSONBuilder()
        b.set("id", id)
        b.set("target_id", targetID)
        b.set("scope", scope)
        b.set("created_time", createdTime)
        b.set("updated_time", updatedTime)
        b.set("version", version)
        b.set("type", type)
        b.set("expiration_time", expirationTime)
        b.set("auth_token_id", authTokenID)
        b.set("user_id", userID)
        b.set("host_set_id", hostSetID)
        b.set("host_id", hostID)
        b.set("scope_id", scopeID)
        b.set("endpoint", endpoint)
        b.set("states", states)
        b.set("status", status)
        b.set("certificate", bytes: certificate)
        b.set("termination_reason", terminationReason)
        b.set("authorized_actions", authorizedActions)
        b.set("connections", connections)
        return b.value
    }

    /// Pending or active: the session can still carry connections.
    public var isLive: Bool { status == Session.statusPending || status == Session.statusActive }
}
