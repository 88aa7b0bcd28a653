/// One HTTP/1.1 response from the local API.
public struct LocalHTTPResponse: Sendable, Equatable {
    public var status: Int
    /// Header names lowercased, in the order received.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name == lower }?.value
    }

    public static func == (a: LocalHTTPResponse, b: LocalHTTPResponse) -> Bool {
        a.status == b.status && a.body == b.body && a.headers.map(\.name) == b.headers.map(\.name)
            && a.headers.map(\.value) == b.headers.map(\.value)
    }
}

/// Reads a response incrementally from the bytes of a connection (RFC 9112): status line, headers,
/// then a body framed by `Content-Length`, by chunked transfer coding, or by the connection's end.
/// Every length is bounded: the head by `maximumHeadBytes`, the body by `maximumBodyBytes`.
/// Read-or-nil style: `parse` returns nil while more bytes are needed, so nothing is re-parsed
/// once the head is done.
public struct HTTPResponseParser {
    /// Status line plus headers.
    public static let maximumHeadBytes = 16 * 1024
    public static let maximumHeaderCount = 100

    public let maximumBodyBytes: Int
    private var buffer: [UInt8] = []
    private var head: (status: Int, headers: [(name: String, value: String)])?
    private var bodyStart = 0

    public init(maximumBodyBytes: Int) {
        self.maximumBodyBytes = maximumBodyBytes
    }

    /// Adds bytes read from the connection; throws as soon as they cannot be a valid response.
    public mutating func append(_ bytes: some Collection<UInt8>) throws {
        buffer.append(contentsOf: bytes)
        if head == nil {
            guard let end = Self.find(Self.headTerminator, in: buffer[...], from: 0) else {
                if buffer.count > Self.maximumHeadBytes {
                    throw CLIError.malformedResponse("response head over 16 KiB")
                }
                return
            }
            guard end <= Self.maximumHeadBytes else { throw CLIError.malformedResponse("response head over 16 KiB") }
            head = try Self.parseHead(buffer[0..<end])
            bodyStart = end + Self.headTerminator.count
        }
        // An early bound whatever the framing: stop reading once far more than the cap arrived.
        if buffer.count - bodyStart > maximumBodyBytes + Self.chunkOverheadAllowance {
            throw CLIError.responseTooLarge(limit: maximumBodyBytes)
        }
    }

    /// The response, once complete. `atEOF`: the peer closed, so a body without framing ends here
    /// and anything short is an error.
    public func response(atEOF: Bool) throws -> LocalHTTPResponse? {
        guard let head else {
            if atEOF {
                throw buffer.isEmpty
                    ? CLIError.malformedResponse("the agent closed the connection without answering")
                    : CLIError.malformedResponse("the response ended inside its head")
            }
            return nil
        }
        let rest = buffer[bodyStart...]
        // RFC 9112 §6.3: 1xx, 204 and 304 have no body.
        if head.status == 204 || head.status == 304 || (100..<200).contains(head.status) {
            return LocalHTTPResponse(status: head.status, headers: head.headers)
        }
        let transferEncoding = head.headers.filter { $0.name == "transfer-encoding" }.map { $0.value.lowercased() }
        if !transferEncoding.isEmpty {
            guard transferEncoding.count == 1, transferEncoding[0] == "chunked" else {
                throw CLIError.malformedResponse(
                    "unsupported transfer-encoding \(transferEncoding.joined(separator: ", "))")
            }
            guard let body = try Self.dechunk(rest, limit: maximumBodyBytes) else {
                if atEOF { throw CLIError.malformedResponse("the response ended inside a chunked body") }
                return nil
            }
            return LocalHTTPResponse(status: head.status, headers: head.headers, body: body)
        }
        let lengths = head.headers.filter { $0.name == "content-length" }.map(\.value)
        if !lengths.isEmpty {
            // Several equal values are allowed (RFC 9110 §8.6); anything else is a framing attack.
            guard Set(lengths).count == 1, let length = Int(lengths[0]), length >= 0,
                lengths[0].utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
            else {
                throw CLIError.malformedResponse("invalid content-length")
            }
            guard length <= maximumBodyBytes else { throw CLIError.responseTooLarge(limit: maximumBodyBytes) }
            guard rest.count >= length else {
                if atEOF {
                    throw CLIError.malformedResponse("the response ended after \(rest.count) of \(length) body bytes")
                }
                return nil
            }
            return LocalHTTPResponse(status: head.status, headers: head.headers, body: Array(rest.prefix(length)))
        }
        guard atEOF else { return nil }
        guard rest.count <= maximumBodyBytes else { throw CLIError.responseTooLarge(limit: maximumBodyBytes) }
        return LocalHTTPResponse(status: head.status, headers: head.headers, body: Array(rest))
    }

    // MARK: - Pieces

    static let headTerminator: [UInt8] = [13, 10, 13, 10]
    /// Chunk-size lines and CRLFs on top of the body bound before the early size check fires.
    static let chunkOverheadAllowance = 64 * 1024

    static func parseHead(_ bytes: ArraySlice<UInt8>) throws -> (
        status: Int, headers: [(name: String, value: String)]
    ) {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CLIError.malformedResponse("the response head is not UTF-8")
        }
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard !lines.isEmpty else { throw CLIError.malformedResponse("empty response") }
        let statusLine = lines.removeFirst()
        // "HTTP/1.1 200 OK": version, a three-digit code, an optional reason.
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0] == "HTTP/1.1" || parts[0] == "HTTP/1.0", parts[1].utf8.count == 3,
            let status = Int(parts[1]), (100...599).contains(status)
        else {
            throw CLIError.malformedResponse("not an HTTP/1.1 status line: \(statusLine.prefix(60))")
        }
        guard lines.count <= maximumHeaderCount else { throw CLIError.malformedResponse("more than 100 headers") }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else {
                throw CLIError.malformedResponse("header line without a colon: \(line.prefix(60))")
            }
            let name = line[..<colon]
            guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte) else {
                throw CLIError.malformedResponse("invalid header name: \(name.prefix(60))")
            }
            let value = line[line.index(after: colon)...].trimmingSpaces
            headers.append((name.lowercased(), String(value)))
        }
        return (status, headers)
    }

    /// RFC 9110 §5.6.2 token characters.
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(b)
        }
    }

    /// The body of a complete chunked message, or nil when more bytes are needed (RFC 9112 §7.1).
    /// Chunk extensions are ignored; trailers are read and dropped.
    static func dechunk(_ bytes: ArraySlice<UInt8>, limit: Int) throws -> [UInt8]? {
        var body: [UInt8] = []
        var i = bytes.startIndex
        while true {
            guard let lineEnd = find([13, 10], in: bytes, from: i) else { return nil }
            var sizeText = bytes[i..<lineEnd]
            if let semicolon = sizeText.firstIndex(of: UInt8(ascii: ";")) { sizeText = sizeText[..<semicolon] }
            // chunk-size = 1*HEXDIG: no sign (`Int(_:radix:)` would take one), no spaces.
            guard !sizeText.isEmpty, sizeText.count <= 8, sizeText.allSatisfy({ HTTPResponseParser.isHexDigit($0) }),
                let size = Int(String(decoding: sizeText, as: UTF8.self), radix: 16)
            else {
                throw CLIError.malformedResponse("invalid chunk size")
            }
            i = lineEnd + 2
            if size == 0 {
                // Trailer section: lines until an empty one.
                while true {
                    guard let end = find([13, 10], in: bytes, from: i) else { return nil }
                    if end == i { return body }
                    i = end + 2
                }
            }
            guard body.count + size <= limit else { throw CLIError.responseTooLarge(limit: limit) }
            guard bytes.endIndex - i >= size + 2 else { return nil }
            body.append(contentsOf: bytes[i..<(i + size)])
            guard bytes[i + size] == 13, bytes[i + size + 1] == 10 else {
                throw CLIError.malformedResponse("chunk not followed by CRLF")
            }
            i += size + 2
        }
    }

    static func isHexDigit(_ b: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(b)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(b)
    }

    static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>, from start: Int) -> Int? {
        var i = start
        while i + needle.count <= haystack.endIndex {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
