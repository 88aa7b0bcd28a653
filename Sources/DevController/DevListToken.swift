import BoundaryWire

/// The dev controller's list token: base58 of a small protobuf, opaque to clients like the real
/// one (`handlers.MarshalListToken`). It carries what `listtoken.Validate` checks (create time,
/// resource type, grants hash) and where the listing stands, as alias-table revisions.
struct DevListToken: Equatable {
    enum Kind: UInt64 {
        /// More pages of the initial listing follow (`PaginationToken`).
        case pagination = 1
        /// The listing is complete; the next call refreshes (`StartRefreshToken`).
        case startRefresh = 2
        /// More pages of a refresh follow (`RefreshToken`).
        case refresh = 3
    }

    /// `pbs.ResourceType_RESOURCE_TYPE_ALIAS`.
    static let aliasResourceType: UInt64 = 8
    /// Tokens older than this are refused (`list_token.go`: 30 days).
    static let maximumAge: Double = 30 * 86_400

    var createTime: Timestamp
    var resourceType: UInt64 = DevListToken.aliasResourceType
    var grantsHash: [UInt8]
    var kind: Kind
    /// Pagination: the revision the listing is a snapshot of. Refresh: the upper bound of this phase.
    var upperRevision: UInt64
    /// Refresh: changes after this revision are reported.
    var sinceRevision: UInt64 = 0
    /// The last item sent: its created (pagination) or updated (refresh) revision, and id.
    var lastItemRevision: UInt64 = 0
    var lastItemID: String = ""

    var encoded: String {
        var w = ProtobufWriter()
        w.writeMessage(field: 1, createTime.protobuf)
        w.writeUInt(field: 2, resourceType)
        w.writeBytes(field: 3, grantsHash)
        w.writeUInt(field: 4, kind.rawValue)
        w.writeUInt(field: 5, upperRevision)
        if sinceRevision != 0 { w.writeUInt(field: 6, sinceRevision) }
        if lastItemRevision != 0 { w.writeUInt(field: 7, lastItemRevision) }
        if !lastItemID.isEmpty { w.writeString(field: 8, lastItemID) }
        return Base58.encode(w.bytes)
    }

    /// Parses a token; nil when it is not one of ours at all (the caller answers 500 as the real
    /// controller does for an undecodable token).
    init?(encoded text: String) {
        guard let bytes = try? Base58.decode(text), !bytes.isEmpty else { return nil }
        var reader = ProtobufReader(bytes)
        var create: Timestamp?
        var resourceType: UInt64 = 0
        var hash: [UInt8] = []
        var kind: Kind?
        var upper: UInt64 = 0
        var since: UInt64 = 0
        var lastRevision: UInt64 = 0
        var lastID = ""
        do {
            while let f = try reader.next() {
                switch f.number {
                case 1: create = try Timestamp(protobuf: try f.bytes())
                case 2: resourceType = try f.uint64()
                case 3: hash = Array(try f.bytes())
                case 4: kind = Kind(rawValue: try f.uint64())
                case 5: upper = try f.uint64()
                case 6: since = try f.uint64()
                case 7: lastRevision = try f.uint64()
                case 8: lastID = try f.string()
                default: continue
                }
            }
        } catch {
            return nil
        }
        guard let create, let kind else { return nil }
        self.init(
            createTime: create, resourceType: resourceType, grantsHash: hash, kind: kind, upperRevision: upper,
            sinceRevision: since, lastItemRevision: lastRevision, lastItemID: lastID)
    }

    init(
        createTime: Timestamp, resourceType: UInt64 = DevListToken.aliasResourceType, grantsHash: [UInt8], kind: Kind,
        upperRevision: UInt64, sinceRevision: UInt64 = 0, lastItemRevision: UInt64 = 0, lastItemID: String = ""
    ) {
        self.createTime = createTime
        self.resourceType = resourceType
        self.grantsHash = grantsHash
        self.kind = kind
        self.upperRevision = upperRevision
        self.sinceRevision = sinceRevision
        self.lastItemRevision = lastItemRevision
        self.lastItemID = lastItemID
    }

    /// `listtoken.Validate`, with its messages.
    func validate(expectedGrantsHash: [UInt8], now: Double) -> DevAPIError? {
        if grantsHash.isEmpty { return .invalidListToken("list token was missing its grants hash") }
        if grantsHash != expectedGrantsHash {
            return .invalidListToken("grants have changed since list token was issued")
        }
        if createTime.secondsSinceEpoch < now - DevListToken.maximumAge {
            return .invalidListToken("list token was expired")
        }
        if resourceType != DevListToken.aliasResourceType {
            return .invalidListToken("list token resource type does not match expected resource type")
        }
        if kind != .startRefresh && lastItemID.isEmpty {
            return .invalidListToken("list token's pagination component missing last item ID")
        }
        return nil
    }
}

extension DevDirectory {
    /// `GET /v1/users/{id}:list-resolvable-aliases` for an already authorised caller
    /// (`users/user_service.go ListResolvableAliases` and `internal/alias/target` listing).
    func listResolvableAliases(userID: String, listToken: String?, pageSize requested: Int, now: Double)
        -> Result<ResolvableAliasListPage, DevAPIError>
    {
        state.withLock { s in
            guard let user = s.config.users.first(where: { $0.id == userID }) else {
                return .failure(.resourceNotFound)
            }
            // No permitted targets: no alias can resolve, and no list token at all.
            guard !user.targets.isEmpty else {
                return .success(
                    ResolvableAliasListPage(responseType: "complete", sortBy: "created_time", sortDir: "desc"))
            }
            let pageSize = requested <= 0 || requested > s.config.maxPageSize ? s.config.maxPageSize : requested
            let hash = DevDirectory.grantsHash(user)
            let targetIDs = Set(s.config.targets.map(\.id))
            func visible(_ r: AliasRecord) -> Bool {
                !r.alias.destinationID.isEmpty && targetIDs.contains(r.alias.destinationID)
                    && user.mayAuthorize(targetID: r.alias.destinationID)
            }
            func listing(upper: UInt64) -> DevListing {
                let key = DevListing.Key(userID: user.id, grantsHash: hash, upper: upper, revision: s.revision)
                if let cached = s.listings[key] { return cached }
                var visibleCount = 0
                var order: [DevListing.Position] = []
                for record in s.aliases.values where visible(record) {
                    visibleCount += 1
                    if record.createdRevision <= upper {
                        order.append(DevListing.Position(revision: record.createdRevision, id: record.alias.id))
                    }
                }
                order.sort(by: >)
                let built = DevListing(order: order, visibleCount: visibleCount)
                if s.listings.count >= DevListing.cacheLimit { s.listings.removeAll() }
                s.listings[key] = built
                return built
            }
            let estimate = UInt32(clamping: listing(upper: s.revision).visibleCount)
            func item(_ r: AliasRecord) -> ResolvableAlias {
                ResolvableAlias(
                    id: r.alias.id, value: r.alias.value, destinationID: r.alias.destinationID, type: "target",
                    createdTime: DevAPIRouter.timestamp(r.createdTime),
                    updatedTime: DevAPIRouter.timestamp(r.updatedTime))
            }

            var token: DevListToken?
            if let listToken, !listToken.isEmpty {
                guard let parsed = DevListToken(encoded: listToken) else {
                    return .failure(.internal("handlers.ParseListToken: unable to decode list token"))
                }
                if let error = parsed.validate(expectedGrantsHash: hash, now: now) { return .failure(error) }
                token = parsed
            }
            let createTime = token?.createTime ?? DevAPIRouter.timestamp(now)

            guard let refresh = token, refresh.kind != .pagination else {
                // Initial listing and its pages: newest created first, a snapshot at `upper`.
                let upper = token?.upperRevision ?? s.revision
                let order = listing(upper: upper).order
                var start = 0
                if let token {
                    // The first position after the token's last item (`order` is descending).
                    let after = DevListing.Position(revision: token.lastItemRevision, id: token.lastItemID)
                    var low = 0
                    var high = order.count
                    while low < high {
                        let mid = (low + high) / 2
                        if order[mid] < after { high = mid } else { low = mid + 1 }
                    }
                    start = low
                }
                let end = min(order.count, start + pageSize)
                let page = order[start..<end].compactMap { s.aliases[$0.id] }
                var response = ResolvableAliasListPage(
                    items: page.map(item), sortBy: "created_time", sortDir: "desc", estItemCount: estimate)
                if order.count - start > pageSize, let last = page.last {
                    response.responseType = "delta"
                    response.listToken =
                        DevListToken(
                            createTime: createTime, grantsHash: hash, kind: .pagination, upperRevision: upper,
                            lastItemRevision: last.createdRevision, lastItemID: last.alias.id
                        ).encoded
                } else {
                    response.responseType = "complete"
                    response.listToken =
                        DevListToken(
                            createTime: createTime, grantsHash: hash, kind: .startRefresh, upperRevision: upper
                        )
                        .encoded
                }
                return .success(response)
            }
            do {
                // A refresh: what changed after `since`, newest update first; deletions and
                // aliases that stopped resolving for this user go to removed_ids (first page).
                let since = refresh.kind == .startRefresh ? refresh.upperRevision : refresh.sinceRevision
                let upper = refresh.kind == .startRefresh ? s.revision : refresh.upperRevision
                let changed = s.aliases.values.filter { $0.updatedRevision > since && $0.updatedRevision <= upper }
                var candidates = changed.filter(visible)
                if refresh.kind == .refresh {
                    candidates = candidates.filter {
                        ($0.updatedRevision, $0.alias.id) < (refresh.lastItemRevision, refresh.lastItemID)
                    }
                }
                candidates.sort { ($0.updatedRevision, $0.alias.id) > ($1.updatedRevision, $1.alias.id) }
                var removed: [String] = []
                if refresh.kind == .startRefresh {
                    removed = s.deleted.filter { $0.revision > since && $0.revision <= upper }.map(\.id)
                    removed += changed.filter { !visible($0) }.map(\.alias.id)
                }
                let page = Array(candidates.prefix(pageSize))
                var response = ResolvableAliasListPage(
                    items: page.map(item), sortBy: "updated_time", sortDir: "desc", removedIDs: removed,
                    estItemCount: estimate)
                if candidates.count > pageSize, let last = page.last {
                    response.responseType = "delta"
                    response.listToken =
                        DevListToken(
                            createTime: createTime, grantsHash: hash, kind: .refresh, upperRevision: upper,
                            sinceRevision: since, lastItemRevision: last.updatedRevision, lastItemID: last.alias.id
                        ).encoded
                } else {
                    response.responseType = "complete"
                    response.listToken =
                        DevListToken(
                            createTime: createTime, grantsHash: hash, kind: .startRefresh, upperRevision: upper
                        )
                        .encoded
                }
                return .success(response)
            }
        }
    }
}

/// An initial listing's candidates for one user at one revision: the visible aliases created up to
/// `upper`, newest first, as (created revision, id) (`DevDirectory.State.listings`).
struct DevListing: Sendable {
    struct Key: Hashable, Sendable {
        var userID: String
        var grantsHash: [UInt8]
        var upper: UInt64
        var revision: UInt64
    }

    struct Position: Comparable, Sendable {
        var revision: UInt64
        var id: String

        static func < (a: Position, b: Position) -> Bool { (a.revision, a.id) < (b.revision, b.id) }
    }

    /// Listings kept at once (users paging at the same time); beyond it the cache starts again.
    static let cacheLimit = 64

    var order: [Position]
    /// Every visible alias, whatever its revision (`est_item_count`).
    var visibleCount: Int
}
