/// A place in a configuration file: 1-based line and column. Columns count Unicode scalars, so a
/// tab is one column and "é" is one column, whatever its UTF-8 length.
public struct SourcePosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (a: SourcePosition, b: SourcePosition) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// One problem with a configuration file, printed as `path:line:col: message` (the format of
/// compilers and of OpenBSD's unwind(8), so editors can jump to it). A problem with the file as a
/// whole (missing, unreadable, too big) has no position and prints as `path: message`.
public struct ConfigDiagnostic: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    /// Nil for a problem with the whole file.
    public var position: SourcePosition?
    public var message: String

    public init(path: String, position: SourcePosition?, message: String) {
        self.path = path
        self.position = position
        self.message = message
    }

    public var line: Int? { position?.line }
    public var column: Int? { position?.column }

    public var description: String {
        if let position {
            return "\(path):\(position.line):\(position.column): \(message)"
        }
        return "\(path): \(message)"
    }
}
