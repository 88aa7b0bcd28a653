/// A value as written in the configuration file, before it is given a meaning.
public enum HCLValue: Sendable, Equatable {
    case string(String)
    /// The literal as written ("9300", "-1", "1.5", "1e3"); the key decides what it may be.
    case number(String)
    case bool(Bool)
    case list([HCLExpression])

    /// "a string", "a number", ...: how messages name the kind of value found.
    public var kindName: String {
        switch self {
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a bool"
        case .list: return "a list"
        }
    }
}

/// A value and where it starts.
public struct HCLExpression: Sendable, Equatable {
    public var value: HCLValue
    public var position: SourcePosition

    public init(value: HCLValue, position: SourcePosition) {
        self.value = value
        self.position = position
    }
}

/// One `name = value` line.
public struct HCLAttribute: Sendable, Equatable {
    public var name: String
    /// Where the name starts.
    public var position: SourcePosition
    /// Nil when the value could not be read (that problem is already reported).
    public var value: HCLExpression?

    public init(name: String, position: SourcePosition, value: HCLExpression?) {
        self.name = name
        self.position = position
        self.value = value
    }
}
