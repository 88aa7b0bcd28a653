/// Why a JSON document was rejected; offsets are byte offsets into the input.
public enum JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    case unexpectedEnd(offset: Int)
    case unexpectedCharacter(offset: Int)
    case trailingData(offset: Int)
    case invalidNumber(offset: Int)
    case invalidEscape(offset: Int)
    case invalidUTF8(offset: Int)
    case controlCharacterInString(offset: Int)
    case duplicateKey(String, offset: Int)
    case tooDeep(offset: Int)

    public var description: String {
        switch self {
        case .unexpectedEnd(let o): return "JSON ends unexpectedly at byte \(o)"
        case .unexpectedCharacter(let o): return "unexpected character in JSON at byte \(o)"
        case .trailingData(let o): return "extra data after the JSON value at byte \(o)"
        case .invalidNumber(let o): return "invalid JSON number at byte \(o)"
        case .invalidEscape(let o): return "invalid escape in JSON string at byte \(o)"
        case .invalidUTF8(let o): return "JSON string at byte \(o) is not valid UTF-8"
        case .controlCharacterInString(let o): return "raw control character in JSON string at byte \(o)"
        case .duplicateKey(let k, let o): return "duplicate JSON member \"\(k)\" at byte \(o)"
        case .tooDeep(let o): return "JSON nested too deeply at byte \(o)"
        }
    }
}
