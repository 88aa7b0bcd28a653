import AgentAPI
import JSON
import NIOCore

/// One Boundary session the broker holds for one (uid, alias).
///
/// `Grant` is what the data plane needs to open a connection (the decoded authorization token:
/// certificate, private key, worker addresses); the state types only carry it. Secrets live here
/// and nowhere else: the record is never logged (`description` names the session id only).
public struct SessionRecord<Grant: Sendable>: Sendable, CustomStringConvertible {
    public let id: String
    public let grant: Grant
    /// Trust-on-first-use token, 20 characters, the same for every connection of this session
    /// (boundary-protocol.md §3.3, §6.8).
    public let tofuToken: String
    /// What `GET /v1/sessions` shows: the controller's fields, credentials included.
    public let info: SessionInfo
    /// Monotonic form of `info.expiration`.
    public let expiresAt: NIODeadline
    /// Connections the controller will still allow, as far as we know: nil when unlimited.
    public internal(set) var limitLeft: Int?
    /// Connections being set up (reserved, handshake not done).
    public internal(set) var reserved = 0
    /// Connections carrying bytes.
    public internal(set) var open = 0
    public internal(set) var lastUsed: NIODeadline
    /// The controller that authorized it (a `:cancel` must go there, with a token for it).
    public let controllerAddress: String
    /// False once the worker refused it (in use, gone) or it was abandoned.
    public internal(set) var usable = true

    public init(
        id: String, grant: Grant, tofuToken: String, info: SessionInfo, expiresAt: NIODeadline,
        connectionLimit: Int32?, now: NIODeadline, controllerAddress: String = ""
    ) {
        self.controllerAddress = controllerAddress
        self.id = id
        self.grant = grant
        self.tofuToken = tofuToken
        self.info = info
        self.expiresAt = expiresAt
        // -1 is unlimited; 0 means the field was absent (protojson omits zero values), which tells
        // us nothing: the worker's `connections_left` will.
        if let connectionLimit, connectionLimit > 0 { limitLeft = Int(connectionLimit) } else { limitLeft = nil }
        self.lastUsed = now
    }

    public var description: String { "session \(id)" }

    var busy: Bool { reserved > 0 || open > 0 }
    var exhausted: Bool { limitLeft.map { $0 <= 0 } ?? false }

    func isExpired(at now: NIODeadline) -> Bool { now >= expiresAt }

    /// Whether a new connection may use it: live, not about to expire, connections left.
    func canServe(at now: NIODeadline) -> Bool {
        usable && !exhausted && now + SessionRecord.expiryMargin < expiresAt
    }

    /// A session this close to its expiry is not handed a new connection: the worker cuts every
    /// connection at expiry, so a connection started now would die almost at once.
    static var expiryMargin: TimeAmount { .seconds(10) }
}

/// The controller's view of a session, as the local API shows it to its owner (`credentials` are the
/// brokered secrets of the authorize-session response: shown only to the owner, never logged).
public typealias SessionInfo = SessionAuthorizationSummary
