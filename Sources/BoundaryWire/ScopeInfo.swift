import JSON

/// `controller.api.resources.scopes.v1.ScopeInfo`: the scope a resource lives in.
/// Protobuf fields 1 `id`, 2 `type`, 3 `name`, 4 `description`, 5 `parent_scope_id` (all strings).
public struct ScopeInfo: ProtoJSONCodable, Equatable, Hashable {
    public var id: String
    /// `global`, `org` or `project`.
    public var type: String
    public var name: String
    public var description: String
    public var parentScopeID: String

    public init(
        id: String = "", type: String = "", name: String = "", description: String = "", parentScopeID: String = ""
    ) {
        self.id = id
        self.type = type
        self.name = name
        self.description = description
        self.parentScopeID = parentScopeID
    }

    /// The scope `boundary dev` puts every auth method and alias in.
    public static let global = ScopeInfo(
        id: "global", type: "global", name: "global", description: "Global Scope")

    public init(protoJSON: JSONValue, path: String) throws {
        let o = try ProtoJSONObject(protoJSON, path: path)
        self.init(
            id: try o.string("id"), type: try o.string("type"), name: try o.string("name"),
            description: try o.string("description"), parentScopeID: try o.string("parent_scope_id"))
    }

    public var protoJSON: JSONValue {
        var b = ProtoJSONBuilder()
        b.set("id", id)
        b.set("type", type)
        b.set("name", name)
        b.set("description", description)
        b.set("parent_scope_id", parentScopeID)
        return b.value
    }

    public var protobuf: ProtobufWriter {
        var w = ProtobufWriter()
        if !id.isEmpty { w.writeString(field: 1, id) }
        if !type.isEmpty { w.writeString(field: 2, type) }
        if !name.isEmpty { w.writeString(field: 3, name) }
        if !description.isEmpty { w.writeString(field: 4, description) }
        if !parentScopeID.isEmpty { w.writeString(field: 5, parentScopeID) }
        return w
    }

    public init(protobuf bytes: ArraySlice<UInt8>) throws {
        self.init()
        var reader = ProtobufReader(bytes)
        while let field = try reader.next() {
            switch field.number {
            case 1: id = try field.string()
            case 2: type = try field.string()
            case 3: name = try field.string()
            case 4: description = try field.string()
            case 5: parentScopeID = try field.string()
            default: continue
            }
        }
    }
}
