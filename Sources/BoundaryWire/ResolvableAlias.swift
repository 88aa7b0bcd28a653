import JSON

/// One item of `GET /v1/users/{id}:list-resolvable-aliases` (boundary-protocol.md §1.5). Only
/// these fields are returned: no scope, name, version or `attributes` (so no host pin).
public struct ResolvableAlias: ProtoJSONCodable, Equatable, Hashable {
    /// `alt_…`.
    public var id: String
    public var createdTime: Timestamp?
    public var updatedTime: Timestamp?
    /// The DNS-style name users type, e.g. `ssh.boundary.dev`.
    public var value: String
    /// The target id; empty when the alias has no destination.
    public var destinationID: String
    /// Always `target` today.
    public var type: String

    public init(
        id: String, value: String, destinationID: String = "", type: String = "target",
        createdTime: Timestamp? = nil, updatedTime: Timestamp? = nil
    ) {
        self.id = id
        self.value = value
        self.destinationID = destinationID
        self.type = type
        self.createdTime = createdTime
        self.updatedTime = updatedTime
    }

    public init(protoJSON: JSONValue, path: String) throws {
        let o = try ProtoJSONObject(protoJSON, path: path)
        self.init(
            id: try o.string("id"), value: try o.string("value"), destinationID: try o.string("destination_id"),
            type: try o.string("type"), createdTime: try o.timestamp("created_time"),
            updatedTime: try o.timestamp("updated_time"))
        guard !id.isEmpty else { throw BoundaryWireError.missingField(o.fieldPath("id")) }
    }

    public var protoJSON: JSONValue {
        var b = ProtoJSONBuilder()
        b.set("id", id)
        b.set("created_time", createdTime)
        b.set("updated_time", updatedTime)
        b.set("value", value)
        b.set("destination_id", destinationID)
        b.set("type", type)
        return b.value
    }
}

/// One page of `list-resolvable-aliases`. Keep asking with `listToken` while `responseType` is
/// `delta`; the `complete` page's token is the refresh token for the next delta listing.
public struct ResolvableAliasListPage: ProtoJSONCodable, Equatable {
    public static let responseTypeDelta = "delta"
    public static let responseTypeComplete = "complete"

    public var items: [ResolvableAlias]
    /// `delta` (more pages follow), `complete` (last page), or empty: a server that predates
    /// pagination, which cannot refresh.
    public var responseType: String
    /// Absent when the user has no target permissions at all.
    public var listToken: String
    /// `created_time` for a first listing, `updated_time` for a refresh.
    public var sortBy: String
    public var sortDir: String
    /// Aliases deleted (or whose destination became unreachable) since the token was issued.
    public var removedIDs: [String]
    public var estItemCount: UInt32

    public init(
        items: [ResolvableAlias] = [], responseType: String = "", listToken: String = "", sortBy: String = "",
        sortDir: String = "", removedIDs: [String] = [], estItemCount: UInt32 = 0
    ) {
        self.items = items
        self.responseType = responseType
        self.listToken = listToken
        self.sortBy = sortBy
        self.sortDir = sortDir
        self.removedIDs = removedIDs
        self.estItemCount = estItemCount
    }

    public init(protoJSON: JSONValue, path: String) throws {
        let o = try ProtoJSONObject(protoJSON, path: path)
        self.init(
            items: try o.messages("items", as: ResolvableAlias.self), responseType: try o.string("response_type"),
            listToken: try o.string("list_token"), sortBy: try o.string("sort_by"), sortDir: try o.string("sort_dir"),
            removedIDs: try o.strings("removed_ids"), estItemCount: try o.uint32("est_item_count"))
    }

    public var protoJSON: JSONValue {
        var b = ProtoJSONBuilder()
        b.set("items", items)
        b.set("response_type", responseType)
        b.set("list_token", listToken)
        b.set("sort_by", sortBy)
        b.set("sort_dir", sortDir)
        b.set("removed_ids", removedIDs)
        b.set("est_item_count", estItemCount)
        return b.value
    }
}
