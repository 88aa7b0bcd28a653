import BoundaryWire
import Synchronization

/// The dev controller's IAM and alias state: users, targets, aliases (with a revision counter for
/// list tokens) and auth tokens. One lock; every method is a short critical section. Sessions live
/// in `DevSessionStore`, shared with the worker.
final class DevDirectory: Sendable {
    struct AliasRecord: Sendable {
        var alias: DevControllerConfig.Alias
        var createdRevision: UInt64
        var updatedRevision: UInt64
        var createdTime: Double
        var updatedTime: Double
    }

    struct DeletedAlias: Sendable {
        var id: String
        var revision: UInt64
    }

    struct TokenRecord: Sendable {
        /// `at_XXXXXXXXXX`.
        var id: String
        /// The whole secret token.
        var token: String
        var userID: String
        var accountID: String
        var createdTime: Double
        var lastUsedTime: Double
        var expirationTime: Double
    }

    /// Who made a request (`auth.GetTokenFromRequest` + `ValidateToken`).
    enum Caller: Sendable {
        case anonymous
        case user(DevControllerConfig.User, TokenRecord)

        var userID: String? {
            if case .user(let u, _) = self { return u.id }
            return nil
        }
    }

    struct State: Sendable {
        var config: DevControllerConfig
        var aliases: [String: AliasRecord] = [:]
        var deleted: [DeletedAlias] = []
        /// Bumped by every alias or grant change; list tokens carry revisions, not wall times,
        /// so two changes in the same millisecond are still ordered.
        var revision: UInt64 = 0
        var tokens: [String: TokenRecord] = [:]
        /// The sorted ids behind an initial listing's pages (see `DevListing`), so that each page
        /// costs a binary search instead of filtering and sorting every alias: 100 users' pages of
        /// 1,000 over a million aliases took minutes. Valid while nothing changes (keyed by revision).
        var listings: [DevListing.Key: DevListing] = [:]
    }

    let state: Mutex<State>

    init(config: DevControllerConfig) {
        var s = State(config: config)
        let now = DevSessionStore.now()
        for alias in config.aliases {
            s.revision += 1
            var a = alias
            if a.id.isEmpty { a.id = "alt_" + DevIDs.random(count: 10) }
            s.aliases[a.id] = AliasRecord(
                alias: a, createdRevision: s.revision, updatedRevision: s.revision, createdTime: now, updatedTime: now)
        }
        state = Mutex(s)
    }

    var config: DevControllerConfig { state.withLock { $0.config } }

    // MARK: - Tokens

    /// Password login: a new token for the account, or nil for a wrong login name or password.
    func authenticate(loginName: String, password: String, now: Double = DevSessionStore.now()) -> (
        DevControllerConfig.User, TokenRecord
    )? {
        state.withLock { s in
            guard let user = s.config.users.first(where: { $0.loginName == loginName }),
                constantTimeEqual(user.password, password)
            else { return nil }
            let id = "at_" + DevIDs.random(count: 10)
            var secret = [UInt8](repeating: 0, count: 48)
            var rng = SystemRandomNumberGenerator()
            for i in secret.indices { secret[i] = UInt8.random(in: 0...255, using: &rng) }
            // `make` validates the layout; ours always passes, so a failure is our bug.
            guard let token = try? AuthTokenString.make(publicID: id, secret: secret) else {
                preconditionFailure("dev token \(id) does not have the at_…_s1… layout")
            }
            let record = TokenRecord(
                id: id, token: token.value, userID: user.id, accountID: user.accountID, createdTime: now,
                lastUsedTime: now, expirationTime: now + s.config.authTokenTimeToLive)
            s.tokens[id] = record
            return (user, record)
        }
    }

    /// Resolves the `Authorization` header as the controller does: an empty or malformed bearer,
    /// a token not split into exactly three `_` segments, an unknown, wrong, expired or stale token
    /// all mean anonymous. Expired and stale tokens are deleted, as `ValidateToken` deletes them.
    func caller(authorization: String?, now: Double = DevSessionStore.now()) -> Caller {
        guard let header = authorization?.trimmingSpaces, !header.isEmpty else { return .anonymous }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].trimmingSpaces.lowercased() == "bearer" else { return .anonymous }
        let full = parts[1].trimmingSpaces
        guard !full.isEmpty, !full.hasPrefix("r_") else { return .anonymous }
        let segments = full.split(separator: "_", omittingEmptySubsequences: false)
        guard segments.count == 3 else { return .anonymous }
        let id = segments[0] + "_" + segments[1]
        return state.withLock { s in
            guard var record = s.tokens[String(id)] else { return .anonymous }
            if now >= record.expirationTime || now - record.lastUsedTime >= s.config.authTokenTimeToStale {
                s.tokens[record.id] = nil
                return .anonymous
            }
            guard constantTimeEqual(record.token, full),
                let user = s.config.users.first(where: { $0.id == record.userID })
            else { return .anonymous }
            record.lastUsedTime = now
            s.tokens[record.id] = record
            return .user(user, record)
        }
    }

    func token(id: String) -> TokenRecord? {
        state.withLock { $0.tokens[id] }
    }

    /// Admin knob: every token of `userID` (all users when nil) expires now.
    func expireTokens(userID: String?) -> Int {
        state.withLock { s in
            var n = 0
            for (id, record) in s.tokens where userID == nil || record.userID == userID {
                s.tokens[id]?.expirationTime = 0
                n += 1
            }
            return n
        }
    }

    // MARK: - Users, targets, aliases

    func user(id: String) -> DevControllerConfig.User? {
        state.withLock { s in s.config.users.first { $0.id == id } }
    }

    func target(id: String) -> DevControllerConfig.Target? {
        state.withLock { s in s.config.targets.first { $0.id == id } }
    }

    func target(name: String) -> DevControllerConfig.Target? {
        state.withLock { s in s.config.targets.first { $0.name == name } }
    }

    /// Exact alias value lookup (values are DNS names; compared case-insensitively).
    func alias(value: String) -> DevControllerConfig.Alias? {
        let wanted = value.lowercased()
        return state.withLock { s in s.aliases.values.first { $0.alias.value.lowercased() == wanted }?.alias }
    }

    /// Admin: a new alias (or replace the one with the same value).
    @discardableResult
    func upsertAlias(_ alias: DevControllerConfig.Alias, now: Double = DevSessionStore.now()) throws
        -> DevControllerConfig.Alias
    {
        try DevControllerConfig.validateAliasValue(alias.value, path: "alias")
        return try state.withLock { s in
            if !alias.destinationID.isEmpty, !s.config.targets.contains(where: { $0.id == alias.destinationID }) {
                throw DevControllerError.notFound("target \(alias.destinationID)")
            }
            s.revision += 1
            if let existing = s.aliases.values.first(where: { $0.alias.value.lowercased() == alias.value.lowercased() })
            {
                var record = existing
                record.alias.destinationID = alias.destinationID
                record.alias.hostID = alias.hostID
                record.updatedRevision = s.revision
                record.updatedTime = now
                s.aliases[record.alias.id] = record
                return record.alias
            }
            var a = alias
            if a.id.isEmpty { a.id = "alt_" + DevIDs.random(count: 10) }
            guard s.aliases[a.id] == nil else { throw DevControllerError.config("alias id \(a.id) exists") }
            s.aliases[a.id] = AliasRecord(
                alias: a, createdRevision: s.revision, updatedRevision: s.revision, createdTime: now, updatedTime: now)
            return a
        }
    }

    /// Admin: delete the alias with this value; its id shows up in `removed_ids` of later refreshes.
    func removeAlias(value: String) throws -> String {
        try state.withLock { s in
            guard let record = s.aliases.values.first(where: { $0.alias.value.lowercased() == value.lowercased() })
            else {
                throw DevControllerError.notFound("alias \(value)")
            }
            s.revision += 1
            s.aliases[record.alias.id] = nil
            s.deleted.append(DeletedAlias(id: record.alias.id, revision: s.revision))
            return record.alias.id
        }
    }

    /// Admin: grant or revoke `authorize-session` on a target (`*` = all), or the alias-listing
    /// grant. Any grant change invalidates the user's list tokens, as the grants hash changes.
    func setGrant(userID: String, target: String?, allow: Bool?, listAliases: Bool?) throws {
        try state.withLock { s in
            guard let i = s.config.users.firstIndex(where: { $0.id == userID }) else {
                throw DevControllerError.notFound("user \(userID)")
            }
            if let target, let allow {
                guard target == "*" || s.config.targets.contains(where: { $0.id == target }) else {
                    throw DevControllerError.notFound("target \(target)")
                }
                if allow {
                    s.config.users[i].targets.insert(target)
                } else if target == "*" {
                    s.config.users[i].targets = []
                } else {
                    if s.config.users[i].targets.contains("*") {
                        // Revoking one target from "all": expand to the explicit list first.
                        s.config.users[i].targets = Set(s.config.targets.map(\.id))
                    }
                    s.config.users[i].targets.remove(target)
                }
            }
            if let listAliases { s.config.users[i].mayListAliases = listAliases }
            s.revision += 1
        }
    }

    /// Admin: add a target (or replace the one with the same id).
    func upsertTarget(_ target: DevControllerConfig.Target) {
        state.withLock { s in
            if let i = s.config.targets.firstIndex(where: { $0.id == target.id }) {
                s.config.targets[i] = target
            } else {
                s.config.targets.append(target)
            }
            // Which aliases resolve depends on the targets, and a target change bumps no revision.
            s.listings.removeAll()
        }
    }

    /// The grants fingerprint embedded in list tokens (the real one hashes the user's grants).
    static func grantsHash(_ user: DevControllerConfig.User) -> [UInt8] {
        var text = "user=\(user.id);list=\(user.mayListAliases);targets="
        text += user.targets.sorted().joined(separator: ",")
        // FNV-1a 64: stable across runs, unlike Swift's seeded Hasher.
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in text.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return (0..<8).map { UInt8(truncatingIfNeeded: h >> (8 * UInt64($0))) }
    }
}

func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8)
    let y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var diff: UInt8 = 0
    for i in 0..<x.count { diff |= x[i] ^ y[i] }
    return diff == 0
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (Go's `strings.TrimSpace` for our headers).
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
