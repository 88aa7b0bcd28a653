import JSON

/// `POST /v1/tokens`: the client agent's UpsertTokenRequest, exactly as the official `boundary` CLI's
/// token hook sends it (boundary-protocol.md §4.1): `{"boundary_addr":"…","token":"at_…_s1…"}`.
/// Other members are ignored (protojson's DiscardUnknown); in particular nothing in the body can
/// name an OS user: the agent takes the caller's uid from the socket.
public struct TokenRequest: Sendable, Equatable, CustomStringConvertible {
    public var boundaryAddr: String
    /// The full auth token: a secret (`description` leaves it out).
    public var token: String

    public init(boundaryAddr: String, token: String) {
        self.boundaryAddr = boundaryAddr
        self.token = token
    }

    public var json: JSONValue { .object(["boundary_addr": .string(boundaryAddr), "token": .string(token)]) }

    public init(json: JSONValue) throws {
        let r = try FieldReader(json, what: "token request")
        boundaryAddr = try r.string("boundary_addr")
        token = try r.string("token")
    }

    /// The public token id (`at_XXXXXXXXXX`): the first two of the token's three `_` parts
    /// (boundary-protocol.md §1.1); nil when the token does not have exactly three parts, as the
    /// official CLI also refuses to send such a token.
    public var tokenID: String? { TokenRequest.tokenID(of: token) }

    public static func tokenID(of token: String) -> String? {
        let parts = token.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }), parts[0] == "at" else { return nil }
        return "\(parts[0])_\(parts[1])"
    }

    public var description: String { "token request for \(boundaryAddr) (\(tokenID ?? "malformed token"))" }
}

/// `POST /v1/pause` and `POST /v1/resume` (ours; the official CLI ignores the body):
/// `{"status":"paused","pause_scope":"user"}`: what the call did and to whom.
public struct PauseResponse: Sendable, Equatable {
    public var status: AgentStatus
    public var scope: PauseScope

    public init(status: AgentStatus, scope: PauseScope) {
        self.status = status
        self.scope = scope
    }

    public var json: JSONValue {
        .object(["status": .string(status.rawValue), "pause_scope": .string(scope.rawValue)])
    }

    public init(json: JSONValue) throws {
        let r = try FieldReader(json, what: "pause response")
        let statusText = try r.string("status")
        let scopeText = try r.string("pause_scope")
        guard let status = AgentStatus(rawValue: statusText) else {
            throw APIDecodingError.invalidValue(field: "status", reason: "unknown status \"\(statusText)\"")
        }
        guard let scope = PauseScope(rawValue: scopeText) else {
            throw APIDecodingError.invalidValue(field: "pause_scope", reason: "unknown scope \"\(scopeText)\"")
        }
        self.status = status
        self.scope = scope
    }
}
