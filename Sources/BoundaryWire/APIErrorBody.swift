import JSON

/// The body of every controller error (`controller.api.v1.Error`, boundary-protocol.md §1.2).
/// The HTTP status is only in the status line; there is no `status` member.
public struct APIErrorBody: ProtoJSONCodable, Equatable, Error, CustomStringConvertible {
    /// A gRPC code name (`NotFound`, `PermissionDenied`, `Unauthenticated`, `InvalidArgument`, …),
    /// or the domain message `invalid list token`.
    public var kind: String
    public var op: String
    public var message: String
    /// `details.request_fields`, sorted by name.
    public var requestFields: [FieldError]
    /// `details.wrapped_errors`.
    public var wrappedErrors: [WrappedError]

    public static let kindInvalidListToken = "invalid list token"

    public struct FieldError: ProtoJSONCodable, Equatable {
        public var name: String
        public var description: String

        public init(name: String, description: String) {
            self.name = name
            self.description = description
        }

        public init(protoJSON: JSONValue, path: String) throws {
            let o = try ProtoJSONObject(protoJSON, path: path)
            self.init(name: try o.string("name"), description: try o.string("description"))
        }

        public var protoJSON: JSONValue {
            var b = ProtoJSONBuilder()
            b.set("name", name)
            b.set("description", description)
            return b.value
        }
    }

    public struct WrappedError: ProtoJSONCodable, Equatable {
        public var op: String
        public var message: String

        public init(op: String, message: String) {
            self.op = op
            self.message = message
        }

        public init(protoJSON: JSONValue, path: String) throws {
            let o = try ProtoJSONObject(protoJSON, path: path)
            self.init(op: try o.string("op"), message: try o.string("message"))
        }

        public var protoJSON: JSONValue {
            var b = ProtoJSONBuilder()
            b.set("op", op)
            b.set("message", message)
            return b.value
        }
    }

    public init(
        kind: String, message: String, op: String = "", requestFields: [FieldError] = [],
        wrappedErrors: [WrappedError] = []
    ) {
        self.kind = kind
        self.op = op
        self.message = message
        self.requestFields = requestFields.sorted { $0.name < $1.name }
        self.wrappedErrors = wrappedErrors
    }

    public init(protoJSON: JSONValue, path: String) throws {
        let o = try ProtoJSONObject(protoJSON, path: path)
        let details = try o.object("details")
        self.init(
            kind: try o.string("kind"), message: try o.string("message"), op: try o.string("op"),
            requestFields: try details?.messages("request_fields", as: FieldError.self) ?? [],
            wrappedErrors: try details?.messages("wrapped_errors", as: WrappedError.self) ?? [])
    }

    public var protoJSON: JSONValue {
        var b = ProtoJSONBuilder()
        b.set("kind", kind)
        b.set("op", op)
        b.set("message", message)
        if !requestFields.isEmpty || !wrappedErrors.isEmpty {
            var d = ProtoJSONBuilder()
            d.set("request_fields", requestFields)
            d.set("wrapped_errors", wrappedErrors)
            b.set("details", json: d.value)
        }
        return b.value
    }

    /// `Kind: message (field: description; …)`.
    public var description: String {
        var text = message.isEmpty ? kind : "\(kind): \(message)"
        if !requestFields.isEmpty {
            text += " (" + requestFields.map { "\($0.name): \($0.description)" }.joined(separator: "; ") + ")"
        }
        return text
    }
}
