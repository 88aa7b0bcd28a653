import JSON

/// `GET /v1/explain?name=N` (ours): why N does or does not resolve to a Boundary alias for the
/// caller, as a list of checks in the order the agent applies them.
///
/// ```json
/// {"name":"SSH.boundary.dev.","alias":"ssh.boundary.dev","resolves":true,
///  "ipv4":"100.97.12.34","ipv6":"fd5b:c1a6:e7a0::1:2","source":"listed","session_id":"s_…",
///  "summary":"ssh.boundary.dev is a Boundary alias for you: 100.97.12.34, fd5b:c1a6:e7a0::1:2",
///  "checks":[{"check":"agent","ok":true,"detail":"running"},{"check":"signed_in","ok":true,"detail":"…"},…]}
/// ```
/// Check names: `agent` (not paused as a whole), `user` (the caller not paused), `signed_in`,
/// `alias_listing`, `alias` (in the caller's view), `address`, `session`.
public struct ExplainResponse: Sendable, Equatable {
    public struct Check: Sendable, Equatable {
        public var check: String
        public var ok: Bool
        public var detail: String

        public init(check: String, ok: Bool, detail: String) {
            self.check = check
            self.ok = ok
            self.detail = detail
        }

        public var json: JSONValue { .object(["check": .string(check), "ok": .bool(ok), "detail": .string(detail)]) }

        public init(json: JSONValue) throws {
            let r = try FieldReader(json, what: "check")
            check = try r.string("check")
            ok = try r.optionalBool("ok") ?? false
            detail = try r.optionalString("detail") ?? ""
        }
    }

    /// The name as asked.
    public var name: String
    /// The name as an alias value (lowercase, no trailing dot).
    public var alias: String
    /// Whether the agent answers the name with an alias address for the caller.
    public var resolves: Bool
    public var ipv4: String?
    public var ipv6: String?
    /// `listed` (from list-resolvable-aliases) or `learned` (403 fallback); absent when not an alias.
    public var source: String?
    public var sessionID: String?
    public var summary: String
    public var checks: [Check]

    public init(
        name: String, alias: String, resolves: Bool, ipv4: String? = nil, ipv6: String? = nil, source: String? = nil,
        sessionID: String? = nil, summary: String, checks: [Check]
    ) {
        self.name = name
        self.alias = alias
        self.resolves = resolves
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.source = source
        self.sessionID = sessionID
        self.summary = summary
        self.checks = checks
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "name": .string(name), "alias": .string(alias), "resolves": .bool(resolves), "summary": .string(summary),
            "checks": .array(checks.map(\.json)),
        ]
        o.setIfPresent("ipv4", ipv4)
        o.setIfPresent("ipv6", ipv6)
        o.setIfPresent("source", source)
        o.setIfPresent("session_id", sessionID)
        return .object(o)
    }

    public init(json: JSONValue) throws {
        let r = try FieldReader(json, what: "explain")
        name = try r.string("name")
        alias = try r.optionalString("alias") ?? ""
        resolves = try r.optionalBool("resolves") ?? false
        ipv4 = try r.optionalString("ipv4")
        ipv6 = try r.optionalString("ipv6")
        source = try r.optionalString("source")
        sessionID = try r.optionalString("session_id")
        summary = try r.optionalString("summary") ?? ""
        checks = try r.array("checks").map { try Check(json: $0) }
    }
}
