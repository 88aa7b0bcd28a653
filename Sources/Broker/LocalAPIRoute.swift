import AgentAPI
import JSON
import NIOHTTP1

/// One request of the local API, decided from the method, path, query and body alone (pure:
/// tested without a channel). Nothing here names a user: the caller's uid comes from the socket.
public enum LocalAPIRoute: Equatable, Sendable {
    case status
    case sessions
    case pause(PauseScope?)
    case resume(PauseScope?)
    case addToken(TokenRequest)
    case removeToken
    case explain(name: String)

    /// Which transport a request came over: the Host and Origin checks differ.
    public enum Transport: Sendable {
        case unix
        case tcp
    }

    public static func route(method: HTTPMethod, uri: String, body: [UInt8]) -> Result<LocalAPIRoute, APIError> {
        let (path, query) = split(uri)
        switch path {
        case APIPaths.status:
            guard method == .GET else { return .failure(notAllowed(method, path)) }
            return .success(.status)
        case APIPaths.sessions:
            guard method == .GET else { return .failure(notAllowed(method, path)) }
            return .success(.sessions)
        case APIPaths.pause, APIPaths.resume:
            guard method == .POST else { return .failure(notAllowed(method, path)) }
            var scope: PauseScope?
            if let text = query["scope"] {
                guard let s = PauseScope(rawValue: text) else {
                    return .failure(.invalidArgument("scope must be \"user\" or \"agent\""))
                }
                scope = s
            }
            return .success(path == APIPaths.pause ? .pause(scope) : .resume(scope))
        case APIPaths.tokens:
            switch method {
            case .POST:
                do {
                    let json = try JSONParser().parse(body)
                    return .success(.addToken(try TokenRequest(json: json)))
                } catch let error as APIDecodingError {
                    return .failure(.invalidArgument("invalid token request: \(error)"))
                } catch {
                    return .failure(.invalidArgument("the body is not JSON: \(error)"))
                }
            case .DELETE:
                return .success(.removeToken)
            default:
                return .failure(notAllowed(method, path))
            }
        case APIPaths.explain:
            guard method == .GET else { return .failure(notAllowed(method, path)) }
            guard let name = query["name"], !name.isEmpty else {
                return .failure(.invalidArgument("the query parameter name is required: /v1/explain?name=HOST"))
            }
            guard name.utf8.count <= AliasName.maximumLength + 1 else {
                return .failure(.invalidArgument("name is longer than a DNS name can be"))
            }
            return .success(.explain(name: name))
        default:
            return .failure(.notFound("no such path: \(path.prefix(100))"))
        }
    }

    static func notAllowed(_ method: HTTPMethod, _ path: String) -> APIError {
        .methodNotAllowed("\(method.rawValue) is not allowed on \(path)")
    }

    /// Path and decoded query parameters (the first value of each name wins).
    static func split(_ uri: String) -> (String, [String: String]) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri, [:]) }
        let path = String(uri[..<mark])
        var query: [String: String] = [:]
        for pair in uri[uri.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = percentDecode(parts[0]) else { continue }
            let value = parts.count > 1 ? percentDecode(parts[1]) : ""
            if query[key] == nil, let value { query[key] = value }
        }
        return (path, query)
    }

    /// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte; nil on a bad
    /// escape or invalid UTF-8.
    static func percentDecode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Browser defences for the TCP port (any page can make the browser send requests to
    /// 127.0.0.1:9300, and DNS rebinding can make them same-origin): refuse requests that carry an
    /// `Origin` or `Sec-Fetch-Site` header (browsers send them; the `boundary` CLI, curl and our CLI do
    /// not), and, on TCP, a `Host` that is not a loopback name (a rebound page sends its own host).
    public static func browserCheck(_ headers: HTTPHeaders, transport: Transport) -> APIError? {
        if headers.contains(name: "origin") || headers.contains(name: "sec-fetch-site") {
            return .permissionDenied("requests from web browsers are not accepted")
        }
        guard transport == .tcp else { return nil }
        let hosts = headers["host"]
        guard hosts.count <= 1 else { return .invalidArgument("more than one Host header") }
        guard let host = hosts.first else { return nil }
        return isLoopbackHost(host) ? nil : .permissionDenied("the Host header must name this machine's loopback")
    }

    static func isLoopbackHost(_ host: String) -> Bool {
        var name = Substring(host.lowercased())
        if name.hasPrefix("[") {
            guard let close = name.firstIndex(of: "]") else { return false }
            let rest = name[name.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && UInt16(rest.dropFirst()) != nil) else { return false }
            return name[name.index(after: name.startIndex)..<close] == "::1"
        }
        if let colon = name.lastIndex(of: ":") {
            guard UInt16(name[name.index(after: colon)...]) != nil else { return false }
            name = name[..<colon]
        }
        return name == "localhost" || name == "127.0.0.1" || name.hasSuffix(".localhost")
    }
}
