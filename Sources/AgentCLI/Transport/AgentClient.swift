import AgentAPI
import JSON

/// The local API as calls: each returns the answer's JSON body (what `-format json` prints), or
/// throws `CLIError`: `.agentNotRunning` when nothing listens, `.api` with the agent's Boundary
/// error body for 4xx/5xx answers.
public struct AgentClient: Sendable {
    public var choice: EndpointChoice
    public var http: LocalHTTPClient

    /// Longest error text quoted from a body that is not the error JSON.
    static let maximumQuotedBody = 200

    public init(choice: EndpointChoice, userAgent: String, timeoutSeconds: Int = LocalHTTPClient.defaultTimeoutSeconds)
    {
        self.choice = choice
        self.http = LocalHTTPClient(endpoint: choice.endpoint, timeoutSeconds: timeoutSeconds, userAgent: userAgent)
    }

    public func get(_ target: String) throws -> JSONValue {
        try exchange("GET", target, body: nil)
    }

    public func post(_ target: String, body: JSONValue? = nil) throws -> JSONValue {
        try exchange("POST", target, body: body)
    }

    public func delete(_ target: String) throws -> JSONValue {
        try exchange("DELETE", target, body: nil)
    }

    func exchange(_ method: String, _ target: String, body: JSONValue?) throws -> JSONValue {
        let response: LocalHTTPResponse
        do {
            response = try http.send(method: method, target: target, body: body.map { JSONWriter().bytes($0) })
        } catch CLIError.notListening {
            throw CLIError.agentNotRunning(choice.notRunningMessage())
        }
        return try Self.interpret(response)
    }

    /// The body of a 2xx answer as JSON (an empty body, as for 204, is `{}`); an `APIError` for
    /// anything else.
    public static func interpret(_ response: LocalHTTPResponse) throws -> JSONValue {
        let parsed: Result<JSONValue, Error>
        if response.body.allSatisfy(isSpace) {
            parsed = .success(.object([:]))
        } else {
            parsed = Result { try JSONParser().parse(response.body) }
        }
        if (200..<300).contains(response.status) {
            switch parsed {
            case .success(let json): return json
            case .failure(let error): throw CLIError.unexpectedBody("not JSON: \(error)")
            }
        }
        if case .success(let json) = parsed, let error = try? APIError(status: response.status, json: json),
            !(error.kind.isEmpty && error.message.isEmpty)
        {
            throw CLIError.api(error)
        }
        // Not the error JSON (a proxy, or another program on the port): quote the start of it.
        let text = String(decoding: response.body.prefix(maximumQuotedBody), as: UTF8.self)
            .filter { !$0.isNewline }
        throw CLIError.api(APIError(status: response.status, kind: "", message: text))
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }
}

/// Query-string encoding for `explain?name=` (RFC 3986 unreserved characters stay as they are).
enum QueryEncoding {
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0x0F)])
            }
        }
        return out
    }
}
