import BoundaryWire
import NIOCore

/// The result of a whole `list-resolvable-aliases` listing (all pages), ready to apply to a
/// `ResolvableAliasTable` (boundary-protocol.md §1.5, §4.2 "Resolvable-alias refresh algorithm").
public struct ResolvableAliasListing: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Every alias the user can resolve; replaces what was known.
        case full
        /// Changes since the refresh token: upsert `items`, delete `removedIDs`.
        case delta
    }

    public var kind: Kind
    /// `full`: all aliases; `delta`: added or changed ones. Items later named in `removedIDs` are
    /// left out, as the Go client does.
    public var items: [ResolvableAlias]
    /// Alias ids to forget (only in a delta).
    public var removedIDs: [String]
    /// The token for the next delta refresh; nil when the controller cannot refresh (no
    /// `response_type`) or gave no token (the user has no target grants): list in full next time.
    public var refreshToken: String?
    /// False when the controller predates paginated listing (empty `response_type`).
    public var refreshSupported: Bool
    /// True when a refresh token was refused and this is the full listing that replaced it.
    public var reloadedAfterInvalidListToken: Bool
    /// Pages fetched.
    public var pages: Int

    public init(
        kind: Kind, items: [ResolvableAlias], removedIDs: [String] = [], refreshToken: String?,
        refreshSupported: Bool = true, reloadedAfterInvalidListToken: Bool = false, pages: Int = 1
    ) {
        self.kind = kind
        self.items = items
        self.removedIDs = removedIDs
        self.refreshToken = refreshToken
        self.refreshSupported = refreshSupported
        self.reloadedAfterInvalidListToken = reloadedAfterInvalidListToken
        self.pages = pages
    }

    /// Joins pages. Invariant: used by one listing at a time on one event loop (pages are fetched
    /// strictly one after another), so it needs no lock.
    final class Accumulator: @unchecked Sendable {
        let isRefresh: Bool
        private var items: [ResolvableAlias] = []
        private var index: [String: Int] = [:]
        private var removed: [String] = []
        private var removedSet: Set<String> = []

        init(isRefresh: Bool) {
            self.isRefresh = isRefresh
        }

        func add(_ page: ResolvableAliasListPage) {
            for item in page.items {
                if let i = index[item.id] {
                    items[i] = item  // seen on an earlier page: the later copy is newer
                } else {
                    index[item.id] = items.count
                    items.append(item)
                }
            }
            for id in page.removedIDs where removedSet.insert(id).inserted { removed.append(id) }
        }

        func finish(last: ResolvableAliasListPage, pages: Int) -> ResolvableAliasListing {
            let kept = items.filter { !removedSet.contains($0.id) }
            let supported = !last.responseType.isEmpty
            return ResolvableAliasListing(
                kind: isRefresh ? .delta : .full, items: kept, removedIDs: isRefresh ? removed : [],
                refreshToken: supported && !last.listToken.isEmpty ? last.listToken : nil, refreshSupported: supported,
                pages: pages)
        }
    }
}

/// One user's resolvable aliases as the agent keeps them between refreshes: apply each listing
/// and keep its refresh token.
public struct ResolvableAliasTable: Sendable, Equatable {
    public private(set) var byID: [String: ResolvableAlias] = [:]
    /// The token for the next delta; nil = next listing is full.
    public private(set) var refreshToken: String?

    public init() {}

    /// Replaces (full) or patches (delta) the table.
    public mutating func apply(_ listing: ResolvableAliasListing) {
        switch listing.kind {
        case .full:
            byID = [:]
            for item in listing.items { byID[item.id] = item }
        case .delta:
            for id in listing.removedIDs { byID[id] = nil }
            for item in listing.items { byID[item.id] = item }
        }
        refreshToken = listing.refreshToken
    }

    /// Forget the refresh token so the next listing is full (e.g. after another user signs in).
    public mutating func dropRefreshToken() {
        refreshToken = nil
    }

    /// Aliases sorted by value, then id.
    public var aliases: [ResolvableAlias] {
        byID.values.sorted { ($0.value, $0.id) < ($1.value, $1.id) }
    }

    /// The alias with this value (DNS names compare case-insensitively).
    public func alias(value: String) -> ResolvableAlias? {
        let wanted = value.lowercased()
        return byID.values.first { $0.value.lowercased() == wanted }
    }
}

extension ControllerClient {
    /// Brings `table` up to date: a delta when it holds a refresh token, else a full listing.
    public func refresh(_ table: ResolvableAliasTable, userID: String, token: AuthTokenString)
        -> EventLoopFuture<(ResolvableAliasTable, ResolvableAliasListing)>
    {
        listResolvableAliases(userID: userID, token: token, refreshToken: table.refreshToken).map { listing in
            var updated = table
            updated.apply(listing)
            return (updated, listing)
        }
    }
}
