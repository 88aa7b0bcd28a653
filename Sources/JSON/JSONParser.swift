/// A strict RFC 8259 parser: one value, optional surrounding whitespace, nothing else.
/// Duplicate object members are an error (Go's protojson rejects them too), strings must be
/// valid UTF-8 with no raw control characters, and nesting is bounded so a hostile body cannot
/// exhaust the stack.
public struct JSONParser {
    /// Deep enough for every document we exchange; shallow enough for a worker thread's stack.
    public static let defaultMaximumDepth = 64

    public var maximumDepth: Int

    public init(maximumDepth: Int = JSONParser.defaultMaximumDepth) {
        self.maximumDepth = maximumDepth
    }

    /// Throws `JSONError`.
    public func parse(_ text: String) throws -> JSONValue {
        var copy = text
        return try copy.withUTF8 { buffer throws in
            try parse(UnsafeRawBufferPointer(buffer))
        }
    }

    public func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try bytes.withUnsafeBytes { buffer throws in try parse(buffer) }
    }

    public func parse(_ bytes: UnsafeRawBufferPointer) throws -> JSONValue {
        var reader = Reader(bytes: bytes, maximumDepth: maximumDepth)
        reader.skipWhitespace()
        let value = try reader.readValue(depth: 0)
        reader.skipWhitespace()
        guard reader.atEnd else { throw JSONError.trailingData(offset: reader.offset) }
        return value
    }
}

extension JSONValue {
    /// Parses `text` with the default limits.
    public init(parsing text: String) throws {
        self = try JSONParser().parse(text)
    }

    public init(parsing bytes: [UInt8]) throws {
        self = try JSONParser().parse(bytes)
    }
}

private struct Reader {
    let bytes: UnsafeRawBufferPointer
    let maximumDepth: Int
    var offset = 0

    init(bytes: UnsafeRawBufferPointer, maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    var atEnd: Bool { offset >= bytes.count }

    func peek() -> UInt8? { offset < bytes.count ? bytes[offset] : nil }

    mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    mutating func expect(_ literal: StaticString, value: JSONValue) throws -> JSONValue {
        let start = offset
        let count = literal.utf8CodeUnitCount
        guard bytes.count - offset >= count else { throw JSONError.unexpectedEnd(offset: bytes.count) }
        let matches = literal.withUTF8Buffer { lit in
            for i in 0..<count where bytes[offset + i] != lit[i] { return false }
            return true
        }
        guard matches else { throw JSONError.unexpectedCharacter(offset: start) }
        offset += count
        return value
    }

    mutating func readValue(depth: Int) throws -> JSONValue {
        guard let byte = peek() else { throw JSONError.unexpectedEnd(offset: offset) }
        switch byte {
        case UInt8(ascii: "{"): return try readObject(depth: depth + 1)
        case UInt8(ascii: "["): return try readArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "t"): return try expect("true", value: .bool(true))
        case UInt8(ascii: "f"): return try expect("false", value: .bool(false))
        case UInt8(ascii: "n"): return try expect("null", value: .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try readNumber()
        default: throw JSONError.unexpectedCharacter(offset: offset)
        }
    }

    mutating func readObject(depth: Int) throws -> JSONValue {
        guard depth <= maximumDepth else { throw JSONError.tooDeep(offset: offset) }
        offset += 1  // {
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            offset += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else {
                if atEnd { throw JSONError.unexpectedEnd(offset: offset) }
                throw JSONError.unexpectedCharacter(offset: offset)
            }
            let keyOffset = offset
            let key = try readString()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else {
                if atEnd { throw JSONError.unexpectedEnd(offset: offset) }
                throw JSONError.unexpectedCharacter(offset: offset)
            }
            offset += 1
            skipWhitespace()
            let value = try readValue(depth: depth)
            guard members.updateValue(value, forKey: key) == nil else {
                throw JSONError.duplicateKey(key, offset: keyOffset)
            }
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "}"):
                offset += 1
                return .object(members)
            case nil: throw JSONError.unexpectedEnd(offset: offset)
            default: throw JSONError.unexpectedCharacter(offset: offset)
            }
        }
    }

    mutating func readArray(depth: Int) throws -> JSONValue {
        guard depth <= maximumDepth else { throw JSONError.tooDeep(offset: offset) }
        offset += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            offset += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try readValue(depth: depth))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "]"):
                offset += 1
                return .array(elements)
            case nil: throw JSONError.unexpectedEnd(offset: offset)
            default: throw JSONError.unexpectedCharacter(offset: offset)
            }
        }
    }

    mutating func readHex4() throws -> UInt16 {
        guard bytes.count - offset >= 4 else { throw JSONError.unexpectedEnd(offset: bytes.count) }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let c = bytes[offset]
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: throw JSONError.invalidEscape(offset: offset)
            }
            value = value << 4 | UInt16(digit)
            offset += 1
        }
        return value
    }

    mutating func readString() throws -> String {
        let start = offset
        offset += 1  // opening quote
        // Fast path: no escapes, the bytes are the string.
        var scan = offset
        while scan < bytes.count {
            let c = bytes[scan]
            if c == UInt8(ascii: "\"") {
                let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<scan])
                guard let s = String(validating: slice, as: UTF8.self) else {
                    throw JSONError.invalidUTF8(offset: start)
                }
                offset = scan + 1
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw JSONError.controlCharacterInString(offset: scan) }
            scan += 1
        }
        guard scan < bytes.count else { throw JSONError.unexpectedEnd(offset: bytes.count) }
        // Slow path: decode escapes into a byte buffer, then validate UTF-8 once.
        var out: [UInt8] = []
        out.reserveCapacity(scan - offset + 16)
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<scan]))
        offset = scan
        while true {
            guard offset < bytes.count else { throw JSONError.unexpectedEnd(offset: bytes.count) }
            let c = bytes[offset]
            switch c {
            case UInt8(ascii: "\""):
                offset += 1
                guard let s = String(validating: out, as: UTF8.self) else {
                    throw JSONError.invalidUTF8(offset: start)
                }
                return s
            case UInt8(ascii: "\\"):
                offset += 1
                guard offset < bytes.count else { throw JSONError.unexpectedEnd(offset: bytes.count) }
                let e = bytes[offset]
                offset += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    let escapeOffset = offset - 2
                    let unit = try readHex4()
                    var scalarValue = UInt32(unit)
                    if (0xD800...0xDBFF).contains(unit) {
                        // A high surrogate must be followed by an escaped low surrogate (RFC 8259 §7).
                        guard bytes.count - offset >= 6, bytes[offset] == UInt8(ascii: "\\"),
                            bytes[offset + 1] == UInt8(ascii: "u")
                        else { throw JSONError.invalidEscape(offset: escapeOffset) }
                        offset += 2
                        let low = try readHex4()
                        guard (0xDC00...0xDFFF).contains(low) else {
                            throw JSONError.invalidEscape(offset: escapeOffset)
                        }
                        scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(unit) {
                        throw JSONError.invalidEscape(offset: escapeOffset)
                    }
                    guard let scalar = Unicode.Scalar(scalarValue) else {
                        throw JSONError.invalidEscape(offset: escapeOffset)
                    }
                    out.append(contentsOf: String(Character(scalar)).utf8)
                default:
                    throw JSONError.invalidEscape(offset: offset - 2)
                }
            default:
                if c < 0x20 { throw JSONError.controlCharacterInString(offset: offset) }
                out.append(c)
                offset += 1
            }
        }
    }

    mutating func readNumber() throws -> JSONValue {
        let start = offset
        var isInteger = true
        if peek() == UInt8(ascii: "-") { offset += 1 }
        // int = zero / ( digit1-9 *DIGIT )
        guard let first = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
            if atEnd { throw JSONError.unexpectedEnd(offset: offset) }
            throw JSONError.invalidNumber(offset: start)
        }
        offset += 1
        if first != UInt8(ascii: "0") {
            while let d = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(d) { offset += 1 }
        } else if let d = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(d) {
            throw JSONError.invalidNumber(offset: start)  // leading zero
        }
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            offset += 1
            var digits = 0
            while let d = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(d) {
                offset += 1
                digits += 1
            }
            guard digits > 0 else { throw JSONError.invalidNumber(offset: start) }
        }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            isInteger = false
            offset += 1
            if let s = peek(), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { offset += 1 }
            var digits = 0
            while let d = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(d) {
                offset += 1
                digits += 1
            }
            guard digits > 0 else { throw JSONError.invalidNumber(offset: start) }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        if isInteger, let i = Int64(text) { return .int(i) }
        guard let d = Double(text), d.isFinite else { throw JSONError.invalidNumber(offset: start) }
        return .double(d)
    }
}
