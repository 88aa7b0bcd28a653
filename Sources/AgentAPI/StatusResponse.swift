import JSON

/// Whether the agent serves the caller: `running` or `paused` (upstream's two values).
public enum AgentStatus: String, Sendable, Equatable {
    case running, paused
}

/// Who a pause applies to: the caller alone, or the whole agent (root or `admin_group` only;
/// the helper then restores the system resolver).
public enum PauseScope: String, Sendable, Equatable {
    case user, agent
}

/// `GET /v1/status`: the upstream agent's GetStatusResponse (boundary-protocol.md §4.1) for the
/// calling OS user, plus members of ours the official CLI ignores.
///
/// ```json
/// {"boundary_addr":"http://127.0.0.1:9200","auth_token_id":"at_1234567890",
///  "auth_token_expiry":"2026-12-02T10:00:00Z","version":"0.1.0","status":"running",
///  "errors":["2026-11-25T10:00:00Z: …"],"warnings":[],
///  "uid":1001,"user_id":"u_1234567890","pause_scope":"user","pause_reason":"paused by uid 1001",
///  "alias_count":3,"alias_listing":"ok","session_count":1,"events":["…"],
///  "dns":{"queries":120,"alias_answers":14,"forwarded":80,"cache_hits":26,"server_failures":1,
///         "rejected_answers":0,"upstream_failures":{"127.0.0.2:53":3}}}
/// ```
/// `boundary_addr`, `auth_token_id` and `user_id` are left out when the caller has no token;
/// `auth_token_expiry` is then null. `errors`, `warnings` and `events` are newest first. `dns` (the
/// DNS worker's counters, the same for every caller) is left out until the DNS worker reported.
public struct StatusResponse: Sendable, Equatable {
    public var boundaryAddr: String?
    public var authTokenID: String?
    /// RFC 3339, as the controller sent it.
    public var authTokenExpiry: String?
    public var version: String
    /// `paused` when the caller or the whole agent is paused.
    public var status: AgentStatus
    public var errors: [String]
    public var warnings: [String]

    // Ours.
    /// The caller's OS uid as the agent identified them (from the socket, never the request).
    public var uid: UInt32?
    /// The Boundary user the caller's token belongs to.
    public var userID: String?
    /// Set when `status` is `paused`: `agent` wins over `user` when both apply.
    public var pauseScope: PauseScope?
    public var pauseReason: String?
    /// Aliases in the caller's view.
    public var aliasCount: Int?
    /// `ok`, `forbidden` (the 403 fallback is in use), `pending` (first listing under way).
    public var aliasListing: String?
    /// Live sessions the caller owns.
    public var sessionCount: Int?
    /// Notices for the caller, newest first (e.g. a session with brokered credentials was established).
    public var events: [String]
    /// The DNS worker's counters (machine-wide); nil until it reported.
    public var dns: DNSStatus?

    public init(
        boundaryAddr: String? = nil, authTokenID: String? = nil, authTokenExpiry: String? = nil, version: String,
        status: AgentStatus, errors: [String] = [], warnings: [String] = [], uid: UInt32? = nil,
        userID: String? = nil, pauseScope: PauseScope? = nil, pauseReason: String? = nil, aliasCount: Int? = nil,
        aliasListing: String? = nil, sessionCount: Int? = nil, events: [String] = [], dns: DNSStatus? = nil
    ) {
        self.boundaryAddr = boundaryAddr
        self.authTokenID = authTokenID
        self.authTokenExpiry = authTokenExpiry
        self.version = version
        self.status = status
        self.errors = errors
        self.warnings = warnings
        self.uid = uid
        self.userID = userID
        self.pauseScope = pauseScope
        self.pauseReason = pauseReason
        self.aliasCount = aliasCount
        self.aliasListing = aliasListing
        self.sessionCount = sessionCount
        self.events = events
        self.dns = dns
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "version": .string(version),
            "status": .string(status.rawValue),
            "errors": .array(errors.map { .string($0) }),
            "warnings": .array(warnings.map { .string($0) }),
            "events": .array(events.map { .string($0) }),
            "auth_token_expiry": authTokenExpiry.map { .string($0) } ?? .null,
        ]
        o.setIfPresent("boundary_addr", boundaryAddr)
        o.setIfPresent("auth_token_id", authTokenID)
        o.setIfPresent("user_id", userID)
        o.setIfPresent("pause_scope", pauseScope?.rawValue)
        o.setIfPresent("pause_reason", pauseReason)
        o.setIfPresent("alias_listing", aliasListing)
        if let uid { o["uid"] = .int(Int64(uid)) }
        if let aliasCount { o["alias_count"] = .int(Int64(aliasCount)) }
        if let sessionCount { o["session_count"] = .int(Int64(sessionCount)) }
        if let dns { o["dns"] = dns.json }
        return .object(o)
    }

    public init(json: JSONValue) throws {
        let r = try FieldReader(json, what: "status")
        boundaryAddr = try r.optionalString("boundary_addr")
        authTokenID = try r.optionalString("auth_token_id")
        authTokenExpiry = try r.optionalString("auth_token_expiry")
        version = try r.optionalString("version") ?? ""
        let statusText = try r.optionalString("status") ?? AgentStatus.running.rawValue
        guard let status = AgentStatus(rawValue: statusText) else {
            throw APIDecodingError.invalidValue(field: "status", reason: "unknown status \"\(statusText)\"")
        }
        self.status = status
        errors = try r.strings("errors")
        warnings = try r.strings("warnings")
        if let uid = try r.optionalInt("uid") {
            guard let u = UInt32(exactly: uid) else {
                throw APIDecodingError.invalidValue(field: "uid", reason: "out of range")
            }
            self.uid = u
        }
        userID = try r.optionalString("user_id")
        if let scope = try r.optionalString("pause_scope") {
            guard let s = PauseScope(rawValue: scope) else {
                throw APIDecodingError.invalidValue(field: "pause_scope", reason: "unknown scope \"\(scope)\"")
            }
            pauseScope = s
        }
        pauseReason = try r.optionalString("pause_reason")
        aliasCount = try r.optionalInt("alias_count").flatMap { Int(exactly: $0) }
        aliasListing = try r.optionalString("alias_listing")
        sessionCount = try r.optionalInt("session_count").flatMap { Int(exactly: $0) }
        events = try r.strings("events")
        dns = try r.optionalObject("dns").map(DNSStatus.init(json:))
    }
}
