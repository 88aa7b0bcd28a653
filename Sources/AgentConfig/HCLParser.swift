/// Reads the attribute subset of HCL's native syntax (hashicorp/hcl, hclsyntax spec): a body of
/// `name = value` lines, where a value is a quoted string, a number, true/false, or a list of
/// values (over several lines, trailing comma allowed). Comments are `#`, `//` and `/* */`.
/// Everything else HCL has (blocks, maps, heredocs, interpolation, functions, operators, null) is
/// reported as not supported rather than half-understood. After a problem the parser skips to the
/// next line it can read, so a single pass reports every problem.
public enum HCLParser {
    /// The attributes in file order (duplicates included; the config decides what they mean) and
    /// every syntax problem, in no particular order.
    public static func parse(_ text: String, path: String) -> (
        attributes: [HCLAttribute], diagnostics: [ConfigDiagnostic]
    ) {
        parse(bytes: Array(text.utf8), path: path)
    }

    static func parse(bytes: [UInt8], path: String) -> (attributes: [HCLAttribute], diagnostics: [ConfigDiagnostic]) {
        var lexer = HCLLexer(bytes: bytes)
        let tokens = lexer.tokenize()
        var parser = Parser(tokens: tokens)
        let attributes = parser.parseBody()
        let problems = lexer.problems + parser.problems
        return (attributes, problems.map { ConfigDiagnostic(path: path, position: $0.0, message: $0.1) })
    }
}

private struct Parser {
    /// Lists inside lists: no key needs more than one level; the bound keeps hostile input from
    /// exhausting the stack of a recursive descent.
    static let maximumNesting = 16

    let tokens: [HCLToken]
    var index = 0
    var problems: [(SourcePosition, String)] = []

    init(tokens: [HCLToken]) {
        // The lexer always ends with .endOfFile, so `current` never runs off the end.
        precondition(tokens.last?.kind == .endOfFile, "token stream without end")
        self.tokens = tokens
    }

    var current: HCLToken { tokens[index] }

    func peek(_ ahead: Int) -> HCLToken { tokens[min(index + ahead, tokens.count - 1)] }

    mutating func advance() {
        if index < tokens.count - 1 { index += 1 }
    }

    mutating func report(_ at: SourcePosition, _ message: String) {
        problems.append((at, message))
    }

    mutating func skipNewlines() {
        while current.kind == .newline { advance() }
    }

    /// True at `name =` at the start of a line: where a new attribute certainly begins.
    var atAttributeStart: Bool {
        guard current.startsLine, case .identifier = current.kind else { return false }
        return peek(1).kind == .equals
    }

    mutating func parseBody() -> [HCLAttribute] {
        var attributes: [HCLAttribute] = []
        while true {
            skipNewlines()
            let token = current
            switch token.kind {
            case .endOfFile:
                return attributes
            case .identifier(let name):
                advance()
                if let attribute = parseAttribute(name: name, at: token.position) {
                    attributes.append(attribute)
                }
            case .string(let name):
                report(token.position, "a key name is not quoted: write \(name) = ...")
                skipStatement()
            case .invalid:
                skipStatement()
            case .bareWord(let word):
                // "name:" (JSON or YAML habit) reads as one word, since ":" can be part of a value.
                let parts = word.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                if parts.count == 2, let first = parts[0].utf8.first, isIdentifierStart(first),
                    parts[0].utf8.allSatisfy(isIdentifierByte)
                {
                    let colon = SourcePosition(
                        line: token.position.line, column: token.position.column + parts[0].unicodeScalars.count)
                    report(colon, "expected \"=\" after \(parts[0]), found \":\"")
                } else {
                    report(token.position, "expected a key name, found \(token.quoted)")
                }
                skipStatement()
            default:
                report(token.position, "expected a key name, found \(token.quoted)")
                skipStatement()
            }
        }
    }

    /// After the name. Nil if no `name =` could be read (reported); an attribute with a nil value
    /// if the value could not be read (reported), so duplicates are still noticed.
    mutating func parseAttribute(name: String, at position: SourcePosition) -> HCLAttribute? {
        let token = current
        switch token.kind {
        case .equals:
            advance()
        case .openBrace, .string, .identifier:
            // `name "label" {`: a block. `name value`: a forgotten "=".
            var ahead = 0
            while true {
                switch peek(ahead).kind {
                case .string, .identifier:
                    ahead += 1
                    continue
                case .openBrace:
                    report(position, "\(name) { ... } is a block; this file takes only \"key = value\" lines")
                default:
                    report(token.position, "expected \"=\" after \(name), found \(token.quoted)")
                }
                break
            }
            skipStatement()
            return nil
        case .newline, .endOfFile:
            report(token.position, "expected \"=\" and a value after \(name)")
            return nil
        default:
            report(token.position, "expected \"=\" after \(name), found \(token.quoted)")
            skipStatement()
            return nil
        }
        switch parseValue(key: name) {
        case .value(let value):
            let end = current
            switch end.kind {
            case .newline, .endOfFile:
                return HCLAttribute(name: name, position: position, value: value)
            default:
                report(end.position, "expected the end of the line after the value of \(name), found \(end.quoted)")
                skipStatement()
                return HCLAttribute(name: name, position: position, value: nil)
            }
        case .failed:
            skipStatement()
            return HCLAttribute(name: name, position: position, value: nil)
        case .failedStop:
            return HCLAttribute(name: name, position: position, value: nil)
        }
    }

    enum Outcome {
        case value(HCLExpression)
        /// Reported; the caller skips the rest of the statement.
        case failed
        /// Reported; `current` is the start of the next attribute or the end of the file, so the
        /// caller skips nothing (and reports nothing more about enclosing lists).
        case failedStop
    }

    mutating func parseValue(key: String, depth: Int = 0) -> Outcome {
        let token = current
        func value(_ v: HCLValue) -> Outcome {
            advance()
            return .value(HCLExpression(value: v, position: token.position))
        }
        switch token.kind {
        case .string(let s):
            return value(.string(s))
        case .number(let n):
            return value(.number(n))
        case .identifier("true"):
            return value(.bool(true))
        case .identifier("false"):
            return value(.bool(false))
        case .identifier("null"):
            report(token.position, "null is not supported; leave \(key) out to get its default")
            return .failed
        case .identifier(let word):
            if peek(1).kind == .openParen {
                report(token.position, "function calls are not supported: \(word)(...)")
            } else {
                report(token.position, "\(word) is not a value; write it as a string: \"\(word)\"")
            }
            return .failed
        case .bareWord(let word):
            if looksLikeDuration(word) {
                report(token.position, "unquoted duration \(word); durations are strings: write \"\(word)\"")
            } else {
                report(token.position, "unquoted value \(word); write it as a string: \"\(word)\"")
            }
            return .failed
        case .openBracket:
            guard depth < Parser.maximumNesting else {
                report(token.position, "lists nested more than \(Parser.maximumNesting) deep")
                return .failed
            }
            return parseList(key: key, depth: depth + 1)
        case .openBrace:
            report(token.position, "maps ({ ... }) are not supported; \(key) takes a single value or a list")
            return .failed
        case .newline, .endOfFile:
            report(token.position, "missing value after \"\(key) =\"")
            return .failed
        case .invalid:
            return .failed
        default:
            report(token.position, "expected a value after \"\(key) =\", found \(token.quoted)")
            return .failed
        }
    }

    /// At "[". Elements are separated by commas; newlines inside the brackets do not count.
    mutating func parseList(key: String, depth: Int) -> Outcome {
        let open = current
        advance()
        var elements: [HCLExpression] = []
        var valid = true
        while true {
            skipNewlines()
            if current.kind == .closeBracket {
                advance()
                return valid ? .value(HCLExpression(value: .list(elements), position: open.position)) : .failed
            }
            if current.kind == .endOfFile || atAttributeStart {
                report(open.position, "unclosed list: \"[\" has no \"]\"")
                return .failedStop
            }
            switch parseValue(key: key, depth: depth) {
            case .value(let element):
                elements.append(element)
            case .failed:
                valid = false
                skipListElement()
                continue
            case .failedStop:
                return .failedStop
            }
            skipNewlines()
            switch current.kind {
            case .comma:
                advance()
            case .closeBracket:
                break
            case .endOfFile:
                break  // reported as unclosed at the top of the loop
            default:
                if atAttributeStart { continue }  // reported as unclosed at the top of the loop
                report(current.position, "expected \",\" or \"]\" in the list, found \(current.quoted)")
                valid = false
                skipListElement()
            }
        }
    }

    /// Inside a list after a problem: on to the next "," (consumed) or the "]" (not consumed),
    /// nested brackets skipped, or to the next `name =` line (an unclosed "[" must not eat the file).
    mutating func skipListElement() {
        var depth = 0
        while true {
            switch current.kind {
            case .endOfFile:
                return
            case .openBracket, .openBrace, .openParen:
                depth += 1
            case .closeBracket where depth == 0:
                return
            case .closeBracket, .closeBrace, .closeParen:
                // A stray "}" or ")" at depth 0 is skipped: stopping on it would leave the list loop
                // on the same token forever.
                if depth > 0 { depth -= 1 }
            case .comma where depth == 0:
                advance()
                return
            default:
                if atAttributeStart { return }
            }
            advance()
        }
    }

    /// After a problem: on to the end of the line, skipping what brackets enclose (a whole block
    /// with its braces). An unclosed "[" or "(" stops at the next `name =` line instead of eating
    /// the rest of the file; an unclosed "{" (a block) does eat it, since its lines are not ours.
    mutating func skipStatement() {
        var braces = 0
        var others = 0
        while true {
            switch current.kind {
            case .endOfFile:
                return
            case .newline where braces == 0 && others == 0:
                advance()
                return
            case .openBrace:
                braces += 1
            case .closeBrace:
                braces = max(0, braces - 1)
            case .openBracket, .openParen:
                others += 1
            case .closeBracket, .closeParen:
                others = max(0, others - 1)
            default:
                if braces == 0 && others > 0 && atAttributeStart { return }
            }
            advance()
        }
    }

    /// "60s", "1h30m", "500ms": a digit first, letters among digits and dots after. Go's duration
    /// syntax, which the upstream agent's docs write unquoted.
    func looksLikeDuration(_ word: String) -> Bool {
        let bytes = Array(word.utf8)
        guard let first = bytes.first, isDigit(first) else { return false }
        let letters = bytes.filter { !isDigit($0) && $0 != ascii(".") }
        // µ (U+00B5) and μ (U+03BC) are two bytes each in "µs".
        return !letters.isEmpty && letters.allSatisfy { isIdentifierStart($0) || $0 >= 0x80 }
    }
}
