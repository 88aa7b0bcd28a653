/// A token of the HCL subset we read. Comments and spaces produce no token; a newline does,
/// because it ends an attribute.
struct HCLToken: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// A name: a letter or "_", then letters, digits, "_" or "-" (HCL's identifier, ASCII only).
        case identifier(String)
        /// A number literal, kept as written (an optional "-" folded in).
        case number(String)
        /// A quoted string, escapes decoded.
        case string(String)
        /// A run of other characters that is neither a name nor a number ("60s", "1.1.1.1/8").
        case bareWord(String)
        case equals
        case comma
        case openBracket
        case closeBracket
        case openBrace
        case closeBrace
        case openParen
        case closeParen
        case newline
        /// Something the lexer already reported (an unterminated string, a heredoc, ...).
        case invalid
        case endOfFile
    }

    var kind: Kind
    var position: SourcePosition
    /// True for the first token on its line.
    var startsLine: Bool

    /// How a message names this token: `"60s"`, `"="`, `a string`, `the end of the line`.
    var quoted: String {
        switch kind {
        case .identifier(let t), .number(let t), .bareWord(let t): return "\"\(t)\""
        case .string: return "a string"
        case .equals: return "\"=\""
        case .comma: return "\",\""
        case .openBracket: return "\"[\""
        case .closeBracket: return "\"]\""
        case .openBrace: return "\"{\""
        case .closeBrace: return "\"}\""
        case .openParen: return "\"(\""
        case .closeParen: return "\")\""
        case .newline: return "the end of the line"
        case .invalid: return "an invalid token"
        case .endOfFile: return "the end of the file"
        }
    }
}
