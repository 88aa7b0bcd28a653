/// Splits configuration text into `HCLToken`s (HCL native syntax, the attribute subset). Reports
/// what it cannot read (unterminated strings and comments, bad escapes, interpolation, heredocs,
/// control characters) as diagnostics and carries on, so one pass finds every problem.
struct HCLLexer {
    private let bytes: [UInt8]
    private var offset = 0
    private var line = 1
    private var column = 1
    private var atLineStart = true
    private(set) var problems: [(SourcePosition, String)] = []

    init(bytes: [UInt8]) {
        self.bytes = bytes
        // A UTF-8 byte order mark is not text (some Windows editors write one).
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { offset = 3 }
    }

    private var position: SourcePosition { SourcePosition(line: line, column: column) }

    private func peek(_ ahead: Int = 0) -> UInt8? {
        offset + ahead < bytes.count ? bytes[offset + ahead] : nil
    }

    /// Moves past one byte. A column is a Unicode scalar: only a byte that is not a UTF-8
    /// continuation byte (10xxxxxx) starts one.
    private mutating func advance() {
        let byte = bytes[offset]
        offset += 1
        if byte == ascii("\n") {
            line += 1
            column = 1
        } else if byte & 0xC0 != 0x80 {
            column += 1
        }
    }

    private mutating func report(_ at: SourcePosition, _ message: String) {
        problems.append((at, message))
    }

    mutating func tokenize() -> [HCLToken] {
        var tokens: [HCLToken] = []
        while true {
            let token = next()
            tokens.append(token)
            atLineStart = token.kind == .newline
            if token.kind == .endOfFile { return tokens }
        }
    }

    private mutating func next() -> HCLToken {
        skipSpaceAndComments()
        let start = position
        func token(_ kind: HCLToken.Kind) -> HCLToken {
            HCLToken(kind: kind, position: start, startsLine: atLineStart)
        }
        guard let byte = peek() else { return token(.endOfFile) }
        switch byte {
        case ascii("\n"):
            advance()
            return token(.newline)
        case ascii("\""): return token(readString())
        case ascii("="):
            advance()
            return token(.equals)
        case ascii(","):
            advance()
            return token(.comma)
        case ascii("["):
            advance()
            return token(.openBracket)
        case ascii("]"):
            advance()
            return token(.closeBracket)
        case ascii("{"):
            advance()
            return token(.openBrace)
        case ascii("}"):
            advance()
            return token(.closeBrace)
        case ascii("("):
            advance()
            return token(.openParen)
        case ascii(")"):
            advance()
            return token(.closeParen)
        case ascii("<") where peek(1) == ascii("<") && isHeredocMarkerStart(peek(2)):
            skipHeredoc()
            return token(.invalid)
        default:
            if isControl(byte) {
                report(start, "unexpected control character \(scalarName(byte))")
                advance()
                return token(.invalid)
            }
            return token(readWord())
        }
    }

    // MARK: spaces and comments

    private mutating func skipSpaceAndComments() {
        while let byte = peek() {
            switch byte {
            case ascii(" "), ascii("\t"), ascii("\r"):
                advance()
            case ascii("#"):
                skipToEndOfLine()
            case ascii("/") where peek(1) == ascii("/"):
                skipToEndOfLine()
            case ascii("/") where peek(1) == ascii("*"):
                let start = position
                advance()
                advance()
                var closed = false
                while let b = peek() {
                    if b == ascii("*") && peek(1) == ascii("/") {
                        advance()
                        advance()
                        closed = true
                        break
                    }
                    advance()
                }
                if !closed { report(start, "unterminated comment: \"/*\" has no \"*/\"") }
            default:
                return
            }
        }
    }

    /// Up to, not past, the newline: the newline still ends the attribute before the comment.
    private mutating func skipToEndOfLine() {
        while let b = peek(), b != ascii("\n") { advance() }
    }

    // MARK: strings

    /// A quoted string (HCL spec, "Template Literals"): escapes \n \r \t \" \\ \uNNNN \UNNNNNNNN;
    /// "$${" and "%%{" stand for a literal "${" and "%{"; "${" and "%{" themselves start template
    /// interpolation and directives, which we do not evaluate. A string ends on its own line.
    private mutating func readString() -> HCLToken.Kind {
        let start = position
        advance()  // opening quote
        var value: [UInt8] = []
        var valid = true
        // `"C:\logs\"` ends in an escaped quote, so the string runs on: worth a hint.
        var lastWasEscapedQuote = false
        while true {
            guard let byte = peek(), byte != ascii("\n") else {
                let hint = lastWasEscapedQuote ? " (\\\" is an escaped quote; write \\\\ for a backslash)" : ""
                report(start, "unterminated string: a string must end with \" on the same line" + hint)
                return .invalid
            }
            lastWasEscapedQuote = byte == ascii("\\") && peek(1) == ascii("\"")
            let here = position
            switch byte {
            case ascii("\""):
                advance()
                return valid ? .string(String(decoding: value, as: UTF8.self)) : .invalid
            case ascii("\\"):
                advance()
                if !readEscape(into: &value, at: here) { valid = false }
            case ascii("$") where peek(1) == ascii("$") && peek(2) == ascii("{"),
                ascii("%") where peek(1) == ascii("%") && peek(2) == ascii("{"):
                value += [byte, ascii("{")]
                advance()
                advance()
                advance()
            case ascii("$") where peek(1) == ascii("{"):
                report(here, "interpolation (\"${\") is not supported; write \"$${\" for a literal \"${\"")
                valid = false
                advance()
            case ascii("%") where peek(1) == ascii("{"):
                report(here, "template directives (\"%{\") are not supported; write \"%%{\" for a literal \"%{\"")
                valid = false
                advance()
            default:
                if isControl(byte) || byte == ascii("\r") {
                    report(here, "control character \(scalarName(byte)) in a string; use an escape such as \\n")
                    valid = false
                } else {
                    value.append(byte)
                }
                advance()
            }
        }
    }

    /// After a backslash. Appends the decoded character; false (and a report) if the escape is bad.
    private mutating func readEscape(into value: inout [UInt8], at start: SourcePosition) -> Bool {
        // At the end of the line the string loop reports the unterminated string.
        guard let byte = peek(), byte != ascii("\n") else { return false }
        switch byte {
        case ascii("n"): value.append(ascii("\n"))
        case ascii("r"): value.append(ascii("\r"))
        case ascii("t"): value.append(ascii("\t"))
        case ascii("\""): value.append(ascii("\""))
        case ascii("\\"): value.append(ascii("\\"))
        case ascii("u"), ascii("U"):
            let digits = byte == ascii("u") ? 4 : 8
            advance()
            var scalarValue: UInt32 = 0
            for _ in 0..<digits {
                guard let h = peek().flatMap(hexValue) else {
                    let name = byte == ascii("u") ? "\\u" : "\\U"
                    report(start, "invalid escape: \(name) needs \(digits) hex digits")
                    // The string loop reads on from here; what we consumed was hex.
                    return false
                }
                scalarValue = scalarValue << 4 | h
                advance()
            }
            guard scalarValue != 0 else {
                report(start, "NUL (\\u0000) is not allowed in a string")
                return false
            }
            guard let scalar = Unicode.Scalar(scalarValue) else {
                report(start, "invalid escape: U+\(hex(scalarValue)) is not a Unicode character")
                return false
            }
            value += Array(String(Character(scalar)).utf8)
            return true
        default:
            // Show the whole character after the backslash, however many UTF-8 bytes it has.
            var character: [UInt8] = [byte]
            advance()
            while let b = peek(), b & 0xC0 == 0x80 {
                character.append(b)
                advance()
            }
            let shown = isControl(byte) ? scalarName(byte) : String(decoding: character, as: UTF8.self)
            report(start, "invalid escape \"\\\(shown)\" in a string (write \\\\ for a backslash)")
            return false
        }
        advance()
        return true
    }

    // MARK: heredocs

    private func isHeredocMarkerStart(_ byte: UInt8?) -> Bool {
        guard let byte else { return false }
        return byte == ascii("-") || isIdentifierStart(byte)
    }

    /// "<<EOF" or "<<-EOF" up to the line holding only the marker. Reported, and skipped whole so
    /// its lines are not read as attributes.
    private mutating func skipHeredoc() {
        report(position, "heredoc strings (\"<<\") are not supported; use a quoted string with \\n escapes")
        advance()
        advance()
        if peek() == ascii("-") { advance() }
        var marker: [UInt8] = []
        while let b = peek(), isIdentifierByte(b) {
            marker.append(b)
            advance()
        }
        skipToEndOfLine()
        while peek() != nil {
            advance()  // the newline
            var lineBytes: [UInt8] = []
            while let b = peek(), b != ascii("\n") {
                lineBytes.append(b)
                advance()
            }
            let trimmed = lineBytes.drop(while: isSpace).reversed().drop(while: isSpace).reversed()
            if Array(trimmed) == marker { return }
        }
    }

    // MARK: words

    /// A run of characters up to a space, a delimiter or a comment; classified as a name, a
    /// number or a bare word (which the parser refuses with a hint).
    private mutating func readWord() -> HCLToken.Kind {
        var word: [UInt8] = []
        while let b = peek() {
            if isSpace(b) || b == ascii("\n") || isControl(b) { break }
            if b == ascii("/") && (peek(1) == ascii("/") || peek(1) == ascii("*")) { break }
            switch b {
            case ascii("="), ascii(","), ascii("["), ascii("]"), ascii("{"), ascii("}"), ascii("("), ascii(")"),
                ascii("\""), ascii("#"):
                break
            default:
                word.append(b)
                advance()
                continue
            }
            break
        }
        guard !word.isEmpty else {
            // Unreachable while next() handles every delimiter; kept so a missed one cannot loop.
            report(position, "unexpected character")
            if peek() != nil { advance() }
            return .invalid
        }
        let text = String(decoding: word, as: UTF8.self)
        if let first = word.first, isIdentifierStart(first), word.allSatisfy(isIdentifierByte) {
            return .identifier(text)
        }
        if isNumber(word) { return .number(text) }
        return .bareWord(text)
    }

    /// HCL's NumericLit (digits, optional fraction, optional exponent) with an optional leading
    /// "-", which HCL parses as unary minus.
    private func isNumber(_ word: [UInt8]) -> Bool {
        var i = 0
        func digits() -> Int {
            let start = i
            while i < word.count, isDigit(word[i]) { i += 1 }
            return i - start
        }
        if i < word.count && word[i] == ascii("-") { i += 1 }
        guard digits() > 0 else { return false }
        if i < word.count && word[i] == ascii(".") {
            i += 1
            guard digits() > 0 else { return false }
        }
        if i < word.count && (word[i] == ascii("e") || word[i] == ascii("E")) {
            i += 1
            if i < word.count && (word[i] == ascii("+") || word[i] == ascii("-")) { i += 1 }
            guard digits() > 0 else { return false }
        }
        return i == word.count
    }
}

// MARK: byte classes

@inline(__always) func ascii(_ c: Unicode.Scalar) -> UInt8 { UInt8(c.value) }

func isDigit(_ b: UInt8) -> Bool { b >= ascii("0") && b <= ascii("9") }
func isSpace(_ b: UInt8) -> Bool { b == ascii(" ") || b == ascii("\t") || b == ascii("\r") }
func isControl(_ b: UInt8) -> Bool {
    (b < 0x20 && b != ascii("\t") && b != ascii("\n") && b != ascii("\r")) || b == 0x7F
}

func isIdentifierStart(_ b: UInt8) -> Bool {
    (b >= ascii("a") && b <= ascii("z")) || (b >= ascii("A") && b <= ascii("Z")) || b == ascii("_")
}

func isIdentifierByte(_ b: UInt8) -> Bool { isIdentifierStart(b) || isDigit(b) || b == ascii("-") }

func hexValue(_ b: UInt8) -> UInt32? {
    switch b {
    case ascii("0")...ascii("9"): return UInt32(b - ascii("0"))
    case ascii("a")...ascii("f"): return UInt32(b - ascii("a") + 10)
    case ascii("A")...ascii("F"): return UInt32(b - ascii("A") + 10)
    default: return nil
    }
}

func hex(_ v: UInt32) -> String {
    let digits = String(v, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}

/// "U+0007" for a message.
func scalarName(_ b: UInt8) -> String { "U+" + hex(UInt32(b)) }
