/// One `override_upstream_dns_servers` entry: an IP address and a port. Text forms (the upstream
/// agent's): "ip" (port 53), "ipv4:port", "[ipv6]:port", and "[ipv6]" or a bare IPv6 address for
/// port 53. Names are refused: the agent cannot resolve a name before it has a resolver.
public struct UpstreamServer: Sendable, Hashable, CustomStringConvertible {
    public static let defaultPort: UInt16 = 53

    public var address: IPAddress
    /// 1...65535.
    public var port: UInt16

    public init(address: IPAddress, port: UInt16 = UpstreamServer.defaultPort) {
        self.address = address
        self.port = port
    }

    public var family: IPAddress.Family { address.family }

    /// 4 or 16 bytes in network order.
    public var hostBytes: [UInt8] { address.bytes }

    /// Why an entry was refused; the config turns it into a message.
    public enum ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        case empty
        /// Looks like a name, not an address.
        case hostname(String)
        case invalidAddress(String)
        /// A port that is not a decimal number.
        case invalidPort(String)
        /// 0 or over 65535.
        case portOutOfRange(String)
        case unclosedBracket

        public var description: String {
            switch self {
            case .empty: return "empty server"
            case .hostname(let h):
                return
                    "\"\(h)\" is a host name; use an IP address (names cannot be resolved before the agent's resolver is up)"
            case .invalidAddress(let a): return "\"\(a)\" is not an IP address"
            case .invalidPort(let p): return "port \"\(p)\" is not a number"
            case .portOutOfRange(let p): return "port \(p) is outside 1..65535"
            case .unclosedBracket: return "missing \"]\" after the IPv6 address"
            }
        }
    }

    /// Parses one entry; nil if it is malformed. `parse(_:)` says why.
    public init?(_ text: String) {
        guard case .success(let server) = UpstreamServer.parse(text) else { return nil }
        self = server
    }

    public static func parse(_ text: String) -> Result<UpstreamServer, ParseError> {
        guard !text.isEmpty else { return .failure(.empty) }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return .failure(.unclosedBracket) }
            let host = text[text.index(after: text.startIndex)..<close]
            guard let v6 = IPv6Address(host) else { return .failure(.invalidAddress(String(host))) }
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return .success(UpstreamServer(address: .v6(v6))) }
            guard rest.hasPrefix(":") else { return .failure(.invalidAddress(text)) }
            return port(rest.dropFirst()).map { UpstreamServer(address: .v6(v6), port: $0) }
        }
        // A bare IPv6 address ("fd00::53") has more than one colon and means port 53.
        if let address = IPAddress(text) { return .success(UpstreamServer(address: address)) }
        let colons = text.filter { $0 == ":" }.count
        if colons == 1, let colon = text.firstIndex(of: ":") {
            let host = text[..<colon]
            guard let v4 = IPv4Address(host) else { return .failure(classify(String(host))) }
            return port(text[text.index(after: colon)...]).map { UpstreamServer(address: .v4(v4), port: $0) }
        }
        return .failure(classify(text))
    }

    private static func port(_ text: Substring) -> Result<UInt16, ParseError> {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            return .failure(.invalidPort(String(text)))
        }
        guard let p = Int(text), (1...65535).contains(p) else { return .failure(.portOutOfRange(String(text))) }
        return .success(UInt16(p))
    }

    /// A host that is not an address: a name if it has a letter and only name characters.
    private static func classify(_ host: String) -> ParseError {
        let nameCharacters = host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
        if nameCharacters && host.contains(where: \.isLetter) { return .hostname(host) }
        return .invalidAddress(host)
    }

    /// "8.8.8.8:53" or "[fd00::53]:53": always with the port, so it parses back unchanged.
    public var description: String {
        switch address {
        case .v4(let a): return "\(a):\(port)"
        case .v6(let a): return "[\(a)]:\(port)"
        }
    }
}
