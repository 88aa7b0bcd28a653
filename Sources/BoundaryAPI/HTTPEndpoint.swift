import NIOCore

/// A controller address as users write it (`http://127.0.0.1:9200`, `https://boundary.corp`,
/// `https://[::1]:9200/prefix/`): scheme, host, port and a base path. As the Go client does
/// (`api/client.go`), a trailing `/v1` on the path is dropped, so requests go to
/// `<base path>/v1/<resource>`.
public struct HTTPEndpoint: Sendable, Hashable, CustomStringConvertible {
    public enum Scheme: String, Sendable {
        case http
        case https
    }

    public var scheme: Scheme
    /// Host name or IP literal, without IPv6 brackets.
    public var host: String
    public var port: Int
    /// "" or a path starting with `/` and not ending with `/`.
    public var basePath: String

    public init(scheme: Scheme, host: String, port: Int, basePath: String = "") {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.basePath = basePath
    }

    /// Parses a URL; user info, query and fragment are refused (they have no meaning here and a
    /// token pasted into the address must not travel anywhere).
    public init(url text: String) throws {
        func bad(_ why: String) -> ControllerError { .invalidURL("\(text): \(why)") }
        let rest: Substring
        if text.hasPrefix("http://") {
            scheme = .http
            rest = text.dropFirst(7)
        } else if text.hasPrefix("https://") {
            scheme = .https
            rest = text.dropFirst(8)
        } else {
            throw bad("the scheme must be http:// or https://")
        }
        guard !rest.contains("?"), !rest.contains("#") else { throw bad("query and fragment are not allowed") }
        let authority = rest.prefix { $0 != "/" }
        var path = String(rest.dropFirst(authority.count))
        guard !authority.contains("@") else { throw bad("user info is not allowed") }
        var hostPart: Substring
        var portPart: Substring? = nil
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw bad("unterminated IPv6 literal") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw bad("junk after the IPv6 literal") }
                portPart = after.dropFirst()
            }
            guard (try? SocketAddress(ipAddress: String(hostPart), port: 0)) != nil else {
                throw bad("invalid IPv6 literal")
            }
        } else {
            let pieces = authority.split(separator: ":", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw bad("an IPv6 address must be in brackets") }
            hostPart = pieces[0]
            if pieces.count == 2 { portPart = pieces[1] }
        }
        guard !hostPart.isEmpty else { throw bad("no host") }
        guard
            hostPart.utf8.allSatisfy({ c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D
                    || c == 0x2E || c == 0x3A || c == 0x25 || c == 0x5F
            })
        else { throw bad("invalid character in host") }
        host = String(hostPart)
        if let portPart {
            guard let p = Int(portPart), p > 0, p <= 65535 else { throw bad("invalid port") }
            port = p
        } else {
            port = scheme == .https ? 443 : 80
        }
        while path.hasSuffix("/") { path.removeLast() }
        if path.hasSuffix("/v1") { path.removeLast(3) }
        basePath = path
    }

    /// The `Host` header value: brackets for IPv6, port only when not the scheme's default.
    public var hostHeader: String {
        let h = host.contains(":") ? "[\(host)]" : host
        let defaultPort = scheme == .https ? 443 : 80
        return port == defaultPort ? h : "\(h):\(port)"
    }

    /// The address when `host` is an IP literal (no resolver needed), else nil.
    public var literalAddress: SocketAddress? {
        try? SocketAddress(ipAddress: host, port: port)
    }

    public var description: String { "\(scheme.rawValue)://\(hostHeader)\(basePath)" }
}
