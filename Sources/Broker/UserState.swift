import NIOCore

/// A Boundary auth token one OS user handed the agent. Memory only; `description` redacts it.
public struct TokenRecord: Sendable, Equatable, CustomStringConvertible {
    /// `boundary_addr` as the caller sent it, normalized (`ControllerAddress.normalize`).
    public var controllerAddress: String
    /// The full `at_…_s1…` token: a secret.
    public var token: String
    public var tokenID: String
    /// The Boundary user (`u_…`) the controller says the token belongs to.
    public var userID: String
    /// RFC 3339, as the controller sent it.
    public var expiration: String?
    public var expiresAt: NIODeadline?

    public init(
        controllerAddress: String, token: String, tokenID: String, userID: String, expiration: String?,
        expiresAt: NIODeadline?
    ) {
        self.controllerAddress = controllerAddress
        self.token = token
        self.tokenID = tokenID
        self.userID = userID
        self.expiration = expiration
        self.expiresAt = expiresAt
    }

    public var description: String { "token \(tokenID) for \(userID) at \(controllerAddress)" }
}

/// One item of `list-resolvable-aliases` (boundary-protocol.md §1.5).
public struct ListedAlias: Sendable, Equatable {
    public var id: String
    /// Normalized (`AliasName.normalize`).
    public var value: String
    public var destinationID: String?

    public init(id: String, value: String, destinationID: String? = nil) {
        self.id = id
        self.value = AliasName.normalize(value)
        self.destinationID = destinationID
    }
}

/// The result of one refresh of a user's aliases, every page included.
public enum AliasListing: Sendable, Equatable {
    /// A listing from scratch: `items` is everything. `listToken` is nil when the controller
    /// returned none (a user without target grants) or does not support refresh.
    case full(items: [ListedAlias], listToken: String?)
    /// A refresh with a list token: what changed since.
    case delta(upserts: [ListedAlias], removedIDs: [String], listToken: String?)

    /// How many aliases and removals the listing carries.
    public var itemCount: Int {
        switch self {
        case .full(let items, _): return items.count
        case .delta(let upserts, let removed, _): return upserts.count + removed.count
        }
    }
}

/// One OS user: their token, their aliases (listed, and learned through the 403 fallback), their
/// pause flag and the refresh cycle. A pure state machine (STYLE §4): events return actions.
///
/// One controller and one Boundary user per uid (upstream docs, "Security"): a token for another
/// controller or another Boundary user ends this uid's sessions and forgets its aliases first.
public struct UserState: Sendable {
    public enum Action: Equatable, Sendable {
        /// Cancel every session of this uid.
        case endSessions(reason: String)
        /// Cancel the sessions of these aliases (gone from the view).
        case endAliasSessions([String], reason: String)
        /// List aliases (with `listToken`, or from scratch); report with `refreshSucceeded`/`Failed`.
        case refresh(generation: UInt64, listToken: String?)
        /// `viewAliases` changed: push the view to the DNS worker.
        case viewChanged
        /// `usesFallback` changed: push the fallback users to the DNS worker.
        case fallbackChanged
        case statusError(String)
        case statusWarning(String)
    }

    /// After a failed refresh, try again after this long (or the refresh interval, if shorter).
    public static let retryAfterFailure: TimeAmount = .seconds(15)

    public let uid: UInt32
    public private(set) var token: TokenRecord?
    public private(set) var paused = false
    /// Listed aliases by alias id, indexed by value too, so that `viewContains` (asked for every
    /// connection and every DNS report) costs one hash lookup instead of building `viewAliases`, which is
    /// O(view size). Compact (`ListedAliasStore`): a user may have 100,000 aliases.
    public private(set) var listed = ListedAliasStore()
    public private(set) var listToken: String?
    /// The controller answered 403 to the listing: unknown names are tried with authorize-session.
    public private(set) var listingForbidden = false
    /// Aliases learned through the fallback (authorize-session by name succeeded).
    public private(set) var learned: Set<String> = []
    public private(set) var refreshing: UInt64?
    public private(set) var nextRefresh: NIODeadline?
    public private(set) var lastRefreshed: NIODeadline?
    private var nextGeneration: UInt64 = 1

    public init(uid: UInt32) {
        self.init(uid: uid, names: NameTable())
    }

    /// `names`: the broker's table, which the listed aliases' values go into.
    init(uid: UInt32, names: NameTable) {
        self.uid = uid
        listed = ListedAliasStore(names: names)
    }

    /// The alias values this user's DNS view holds: none while paused or signed out.
    public var viewAliases: Set<String> {
        guard token != nil, !paused else { return [] }
        var values = learned
        values.reserveCapacity(learned.count + listed.count)
        listed.forEachValue { values.insert($0) }
        return values
    }

    /// Calls `body` with the `NameTable` number of every value of `viewAliases` (a value may come more than
    /// once), without building the set or a string per listed alias (learned names are interned first).
    func forEachViewName(_ body: (UInt32) -> Void) {
        guard token != nil, !paused else { return }
        for value in learned { body(listed.names.intern(value)) }
        listed.forEachValueName(body)
    }

    /// Whether `alias` is in `viewAliases`, without building it.
    public func viewContains(_ alias: String) -> Bool {
        guard token != nil, !paused else { return false }
        return listed.contains(value: alias) || learned.contains(alias)
    }

    /// Whether unknown names this user queries must be asked of the broker.
    public var usesFallback: Bool { token != nil && !paused && listingForbidden }

    /// Nothing worth keeping (no token, not paused): the entry can be dropped.
    public var isEmpty: Bool { token == nil && !paused && refreshing == nil }

    // MARK: - Token

    public mutating func tokenAccepted(_ record: TokenRecord, at now: NIODeadline) -> [Action] {
        var actions: [Action] = []
        let hadFallback = usesFallback
        if let old = token, old.controllerAddress != record.controllerAddress || old.userID != record.userID {
            let why =
                old.controllerAddress != record.controllerAddress
                ? "signed in to another controller (\(record.controllerAddress))"
                : "signed in as another Boundary user (\(record.userID))"
            actions.append(.endSessions(reason: why))
            forgetAliases()
            actions.append(.viewChanged)
        }
        token = record
        if !paused {
            actions.append(.refresh(generation: startRefresh(), listToken: listToken))
        }
        if hadFallback != usesFallback { actions.append(.fallbackChanged) }
        return actions
    }

    /// Sign-out, expiry or a 401: the token goes, with every session and alias.
    public mutating func tokenRemoved(reason: String) -> [Action] {
        guard token != nil else { return [] }
        let hadFallback = usesFallback
        let hadView = !viewAliases.isEmpty
        token = nil
        forgetAliases()
        refreshing = nil
        nextRefresh = nil
        var actions: [Action] = [.endSessions(reason: reason)]
        if hadView { actions.append(.viewChanged) }
        if hadFallback { actions.append(.fallbackChanged) }
        return actions
    }

    // MARK: - Pause

    /// This user paused (or resumed) only themselves: their view empties, their sessions end, the
    /// refresh stops; the token stays, so resume needs no new sign-in.
    public mutating func setPaused(_ value: Bool, at now: NIODeadline) -> [Action] {
        guard value != paused else { return [] }
        let hadFallback = usesFallback
        paused = value
        var actions: [Action] = []
        if value {
            actions.append(.endSessions(reason: "paused"))
            refreshing = nil
            nextRefresh = nil
        } else if token != nil {
            actions.append(.refresh(generation: startRefresh(), listToken: listToken))
        }
        actions.append(.viewChanged)
        if hadFallback != usesFallback { actions.append(.fallbackChanged) }
        return actions
    }

    // MARK: - Refresh

    /// Periodic tick: the token's expiry, and a refresh when one is due (and `refreshAllowed`:
    /// not while the whole agent is paused).
    public mutating func tick(at now: NIODeadline, refreshAllowed: Bool = true) -> [Action] {
        guard let token else { return [] }
        if let expiresAt = token.expiresAt, expiresAt <= now {
            var actions = tokenRemoved(reason: "auth token \(token.tokenID) expired")
            actions.append(.statusError("auth token \(token.tokenID) expired; sign in again"))
            return actions
        }
        guard refreshAllowed, !paused, refreshing == nil, let due = nextRefresh, due <= now else { return [] }
        return [.refresh(generation: startRefresh(), listToken: listToken)]
    }

    /// Forces a refresh now (a new token, a resume, an alias authorize-session no longer finds).
    public mutating func refreshNow() -> [Action] {
        guard token != nil, !paused, refreshing == nil else { return [] }
        return [.refresh(generation: startRefresh(), listToken: listToken)]
    }

    /// The refresh for `generation` was not started after all (the whole agent is paused): the next
    /// tick or `refreshNow` starts one.
    public mutating func refreshCancelled(generation: UInt64, at now: NIODeadline) {
        guard generation == refreshing else { return }
        refreshing = nil
        nextRefresh = now
    }

    public mutating func refreshSucceeded(
        generation: UInt64, _ listing: AliasListing, at now: NIODeadline, interval: TimeAmount
    ) -> [Action] {
        guard generation == refreshing else { return [] }
        refreshing = nil
        lastRefreshed = now
        nextRefresh = now + interval
        let hadFallback = usesFallback
        // The view before and after, compared over what the listing can change: everything for a
        // full listing or when the learned names go, only the values a delta touches otherwise (a
        // refresh every minute of a 100,000-alias view must not build the whole view twice).
        var touched: Set<String>? = nil
        if case .delta(let upserts, let removed, _) = listing, !listingForbidden {
            var values = Set(removed.compactMap { listed.alias(id: $0)?.value })
            for alias in upserts {
                values.insert(alias.value)
                if let old = listed.alias(id: alias.id)?.value { values.insert(old) }
            }
            touched = values
        }
        let before = touched.map { $0.filter(viewContains) } ?? viewAliases
        switch listing {
        case .full(let items, let newToken):
            clearListed()
            listed.reserve(items.count, valueBytes: items.reduce(0) { $0 + ByteArena.storedSize($1.value) })
            for alias in items { upsertListed(alias) }  // a repeated id: the last one wins
            listToken = newToken
        case .delta(let upserts, let removed, let newToken):
            for id in removed { removeListed(id: id) }
            for alias in upserts { upsertListed(alias) }
            listToken = newToken
        }
        var actions: [Action] = []
        if listingForbidden {
            // Listing works again: it is authoritative, the learned names go.
            listingForbidden = false
            learned.removeAll()
        }
        let after = touched.map { $0.filter(viewContains) } ?? viewAliases
        if before != after {
            actions.append(.viewChanged)
            let gone = before.subtracting(after)
            if !gone.isEmpty {
                actions.append(.endAliasSessions(gone.sorted(), reason: "the alias is no longer resolvable"))
            }
        }
        if hadFallback != usesFallback { actions.append(.fallbackChanged) }
        return actions
    }

    public mutating func refreshFailed(
        generation: UInt64, _ failure: ControllerFailure, at now: NIODeadline, interval: TimeAmount
    ) -> [Action] {
        guard generation == refreshing, let token else { return [] }
        refreshing = nil
        nextRefresh = now + min(interval, UserState.retryAfterFailure)
        switch failure {
        case .unauthenticated:
            var actions = tokenRemoved(reason: "the controller rejected auth token \(token.tokenID)")
            actions.append(.statusError("the controller rejected auth token \(token.tokenID) (401); sign in again"))
            return actions
        case .invalidListToken where listToken != nil:
            // boundary-protocol.md §1.5: grants changed or the token is over 30 days old.
            listToken = nil
            return [.refresh(generation: startRefresh(), listToken: nil)]
        case .forbidden:
            nextRefresh = now + interval
            guard !listingForbidden else { return [] }
            listingForbidden = true
            var actions: [Action] = [
                .fallbackChanged,
                .statusWarning(
                    "listing resolvable aliases is forbidden for \(token.userID); each unknown name is asked "
                        + "of the controller instead (grant list-resolvable-aliases to avoid this)"),
            ]
            if !listed.isEmpty {
                clearListed()
                listToken = nil
                actions.append(.viewChanged)
            }
            return actions
        case .network(let message):
            return [.statusError("refreshing aliases for \(token.userID): controller unreachable: \(message)")]
        case .notFound, .invalidListToken, .other:
            return [.statusError("refreshing aliases for \(token.userID): \(failure)")]
        }
    }

    // MARK: - Fallback

    /// authorize-session by name found `alias` (403 fallback): it joins the view.
    public mutating func learn(_ alias: String) -> [Action] {
        guard token != nil, !paused, !viewContains(alias) else { return [] }
        learned.insert(alias)
        return [.viewChanged]
    }

    /// authorize-session for a learned alias now says it is not one: it leaves the view.
    public mutating func unlearn(_ alias: String) -> [Action] {
        guard learned.remove(alias) != nil else { return [] }
        return [.viewChanged]
    }

    // MARK: - Internals

    private mutating func startRefresh() -> UInt64 {
        let generation = nextGeneration
        nextGeneration += 1
        refreshing = generation
        return generation
    }

    private mutating func upsertListed(_ alias: ListedAlias) {
        listed.upsert(alias)
    }

    private mutating func removeListed(id: String) {
        listed.remove(id: id)
    }

    private mutating func clearListed() {
        listed.removeAll()
    }

    private mutating func forgetAliases() {
        clearListed()
        listToken = nil
        learned.removeAll()
        listingForbidden = false
    }
}

/// The form of `boundary_addr` two tokens are compared in: scheme and host lowercased, a trailing
/// `/` and `/v1` removed (the Go client strips `/v1` too, boundary-protocol.md §1.1).
public enum ControllerAddress {
    public static func normalize(_ address: String) -> String {
        var text = address.trimmingSpaces()
        while text.hasSuffix("/") { text.removeLast() }
        if text.hasSuffix("/v1") { text.removeLast(3) }
        while text.hasSuffix("/") { text.removeLast() }
        guard let schemeEnd = text.firstRange(of: "://") else { return text }
        let afterScheme = text[schemeEnd.upperBound...]
        let hostEnd = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
        return text[..<hostEnd].lowercased() + text[hostEnd...]
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let first = s.first, first == " " || first == "\t" || first == "\n" || first == "\r" { s.removeFirst() }
        while let last = s.last, last == " " || last == "\t" || last == "\n" || last == "\r" { s.removeLast() }
        return String(s)
    }
}
