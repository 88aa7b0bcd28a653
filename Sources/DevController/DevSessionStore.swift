import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The dev controller's session table, shared by its API (which creates sessions in
/// `authorize-session` and reads/cancels them) and its worker (which looks sessions up during the
/// TLS handshake and enforces the tofu, activation and connection-limit rules of
/// boundary-protocol.md §3.3). One lock; every method is a short critical section.
///
/// The rules mirror the real controller + worker (`internal/session`, `internal/daemon/worker/handler.go`):
/// - a new session is `pending`; the first data connection with a valid tofu token activates it;
/// - once a tofu token is stored, every later connection must present the same one;
/// - a session with no stored tofu that is not pending refuses activation;
/// - each connection is authorised against `connectionLimit` (-1 = unlimited);
/// - cancel moves `pending`/`active` to `canceling` (then `terminated` once no connection is open);
/// - past `expiration` a session is dead for every purpose.
public final class DevSessionStore: Sendable {
    enum Status: String, Sendable {
        case pending, active, canceling, terminated
    }

    struct Connection: Sendable {
        var id: String
        var clientAddress: String
        var clientPort: Int
        var bytesUp: Int64 = 0
        var bytesDown: Int64 = 0
        var closedReason: String? = nil
        var open: Bool { closedReason == nil }
    }

    struct Session: Sendable {
        var id: String
        var userID: String
        var authTokenID: String
        var targetID: String
        var scopeID: String
        var type: String = "tcp"
        var endpointHost: String
        var endpointPort: Int
        var createdTime: Double
        var updatedTime: Double
        /// Seconds since the Unix epoch; a hard deadline for the session and every connection.
        var expiration: Double
        /// DER of the self-signed Ed25519 session certificate (boundary-protocol.md §2).
        var certificateDER: [UInt8]
        /// 64 bytes: the Ed25519 seed followed by the public key, as Go's `ed25519.PrivateKey`.
        var privateKey: [UInt8]
        var status: Status = .pending
        var tofuToken: String? = nil
        var connectionLimit: Int32
        var connections: [Connection] = []
        /// Connection id → its position in `connections`.
        var connectionIndex: [String: Int] = [:]
        /// Optimistic-lock version for `:cancel`; bumps on every state change.
        var version: UInt32 = 1
        var terminationReason: String? = nil

        var openConnectionCount: Int { connections.filter(\.open).count }

        var workerView: WorkerView {
            WorkerView(
                id: id, certificateDER: certificateDER, privateKey: privateKey, expiration: expiration,
                connectionLimit: connectionLimit, endpointHost: endpointHost, endpointPort: endpointPort)
        }

        func isLive(at now: Double) -> Bool {
            (status == .pending || status == .active) && now < expiration
        }
    }

    enum ActivationResult: Equatable, Sendable {
        case accepted
        /// Close 1008 "tofu token not allowed".
        case tofuMismatch
        /// Close 1011 "refusing to activate session".
        case refusingToActivate
        /// Unknown, expired or cancelled: close 1011 "unable to authorize connection" (the worker
        /// would have failed the TLS handshake already in most of these cases).
        case sessionGone
    }

    enum ConnectionAuthorization: Equatable, Sendable {
        /// `connectionsLeft` is -1 when unlimited, else limit − connections so far (this one included).
        case authorized(connectionID: String, connectionsLeft: Int32)
        /// Close 1011 "unable to authorize connection".
        case refused
    }

    private let sessions = Mutex<[String: Session]>([:])

    public init() {}

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    func insert(_ session: Session) {
        sessions.withLock { $0[session.id] = session }
    }

    /// A snapshot of the session, whatever its state; nil if unknown.
    func session(id: String) -> Session? {
        sessions.withLock { $0[id] }
    }

    /// What the worker reads of a session on every connection. It holds no connection list: a
    /// snapshot alive on another thread while a connection is added would make that append copy the
    /// whole list (every connection the session ever had).
    struct WorkerView: Sendable {
        var id: String
        var certificateDER: [UInt8]
        var privateKey: [UInt8]
        var expiration: Double
        var connectionLimit: Int32
        var endpointHost: String
        var endpointPort: Int
    }

    /// The session's worker view if a worker may serve it now (known, pending or active, not expired).
    func liveSession(id: String, now: Double = DevSessionStore.now()) -> WorkerView? {
        sessions.withLock { table in
            guard let index = table.index(forKey: id), table.values[index].isLive(at: now) else { return nil }
            return table.values[index].workerView
        }
    }

    /// The session's worker view, whatever its state; nil if unknown.
    func workerView(id: String) -> WorkerView? {
        sessions.withLock { table in table.index(forKey: id).map { table.values[$0].workerView } }
    }

    /// All sessions of a user (for listing and tests).
    func sessions(userID: String) -> [Session] {
        sessions.withLock { $0.values.filter { $0.userID == userID }.sorted { $0.createdTime < $1.createdTime } }
    }

    /// Trust on first use (handler.go): a stored token must match; otherwise only a pending session
    /// may be activated, and this token becomes its owner.
    func activate(id: String, tofuToken: String, now: Double = DevSessionStore.now()) -> ActivationResult {
        sessions.withLock { table in
            Self.modify(&table, id) { s -> ActivationResult in
                guard s.isLive(at: now) else { return .sessionGone }
                if let stored = s.tofuToken {
                    return constantTimeEqual(stored, tofuToken) ? .accepted : .tofuMismatch
                }
                guard s.status == .pending else { return .refusingToActivate }
                s.tofuToken = tofuToken
                s.status = .active
                s.version += 1
                s.updatedTime = now
                return .accepted
            } ?? .sessionGone
        }
    }

    /// The controller's AuthorizeConnection: counts every connection ever authorised, as the real
    /// one does, so a limit of 1 allows exactly one connection per session.
    func authorizeConnection(
        id: String, clientAddress: String, clientPort: Int, now: Double = DevSessionStore.now()
    ) -> ConnectionAuthorization {
        let connectionID = "sc_" + DevIDs.random(count: 10)
        return sessions.withLock { table in
            Self.modify(&table, id) { s -> ConnectionAuthorization in
                guard s.status == .active, now < s.expiration else { return .refused }
                if s.connectionLimit >= 0 && s.connections.count >= Int(s.connectionLimit) { return .refused }
                s.connectionIndex[connectionID] = s.connections.count
                s.connections.append(Connection(id: connectionID, clientAddress: clientAddress, clientPort: clientPort))
                s.updatedTime = now
                let left: Int32 = s.connectionLimit < 0 ? -1 : s.connectionLimit - Int32(s.connections.count)
                return .authorized(connectionID: connectionID, connectionsLeft: left)
            } ?? .refused
        }
    }

    func closeConnection(sessionID: String, connectionID: String, bytesUp: Int64, bytesDown: Int64, reason: String) {
        sessions.withLock { table in
            Self.modify(&table, sessionID) { s in
                guard let i = s.connectionIndex[connectionID] else { return }
                s.connections[i].bytesUp = bytesUp
                s.connections[i].bytesDown = bytesDown
                s.connections[i].closedReason = reason
                if s.status == .canceling && s.openConnectionCount == 0 { s.status = .terminated }
            }
        }
    }

    enum CancelResult: Sendable {
        case canceled(Session)
        case versionMismatch
        case notFound
    }

    /// `POST /v1/sessions/{id}:cancel` (with `version`) and the worker's SESSION_CANCEL (version nil).
    /// A session already canceling or terminated is returned unchanged, as upstream does.
    func cancel(id: String, version: UInt32?, reason: String = "canceled", now: Double = DevSessionStore.now())
        -> CancelResult
    {
        sessions.withLock { table in
            Self.modify(&table, id) { s -> CancelResult in
                if let version, version != s.version { return .versionMismatch }
                if s.status == .pending || s.status == .active {
                    s.status = s.openConnectionCount == 0 ? .terminated : .canceling
                    s.terminationReason = reason
                    s.version += 1
                    s.updatedTime = now
                }
                return .canceled(s)
            } ?? .notFound
        }
    }

    /// Runs `body` on the stored session in place: a copy taken out of the table and written back
    /// would copy its connection list (every connection ever authorised) on each change, which made
    /// the dev worker's cost per connection grow with the session's age (bench/, connection rate).
    private static func modify<R>(_ table: inout [String: Session], _ id: String, _ body: (inout Session) -> R) -> R? {
        guard let index = table.index(forKey: id) else { return nil }
        return body(&table.values[index])
    }

    private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}

/// Boundary-style public ids: a prefix, `_`, and 10 base62 characters (e.g. `s_Xk2...`).
enum DevIDs {
    static let base62: [Character] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    /// Eight characters per 64-bit draw (one getrandom call), not one draw per character: bytes
    /// below 248 (4 × 62) map uniformly onto the 62 characters, the rest are dropped.
    static func random(count: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        var out: [Character] = []
        out.reserveCapacity(count)
        while out.count < count {
            var word = rng.next()
            for _ in 0..<8 where out.count < count {
                let byte = UInt8(truncatingIfNeeded: word)
                word >>= 8
                if byte < 248 { out.append(base62[Int(byte % 62)]) }
            }
        }
        return String(out)
    }
}
