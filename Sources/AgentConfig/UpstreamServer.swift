/// One `override_upstream_dns_servers` entry: an IP address and a port. Text forms (the upstream
/// agent's): "ip" (port 53), "ipv4:port", "[ipv6]:port", and "[ipv6]" or a bare IPv6 address for
/// port 53. Names are refused: the agent cannot resolve a name before it has a resolver.
public struct UpstreamServer: Sendable, Hashable, CustomStringConvertible {
    public static let defaultPort: UInt16 = 53

    public var address: IPAddress
    /// 1...65535.
    public var port: UInt16
    /// The link of a scoped IPv6 address (`nameserver fe80::1%eth0` in resolv.conf): a link-local
    /// address means nothing without it. nil for every other server.
    public var link: Link?

    /// An interface, as resolv.conf names it and as the kernel numbers it. The helper resolves the
    /// name (the workers cannot), and the workers connect with the index (`sin6_scope_id`).
    public struct Link: Sendable, Hashable {
        /// IFNAMSIZ less its NUL.
        public static let maxNameLength = 15
        /// `if_nametoindex`; never 0.
        public var index: UInt32
        /// The zone as written after "%" (an interface name, or the index in decimal); for labels.
        public var name: String

        public init(index: UInt32, name: String) {
            self.index = index
            self.name = name
        }
    }

    public init(address: IPAddress, port: UInt16 = UpstreamServer.defaultPort, link: Link? = nil) {
        self.address = address
        self.port = port
        self.link = link
    }

    /// A resolv.conf `nameserver` value: an address, or an IPv6 address with a zone
    /// ("fe80::1%eth0", "fe80::1%2"). `interfaceIndex` looks a zone name up (`if_nametoindex`; nil when
    /// there is no such interface); a decimal zone is an index already. nil for anything else: a
    /// resolver that cannot be reached is left out, as glibc leaves out what it cannot parse.
    public init?(nameserver text: String, interfaceIndex: (String) -> UInt32?) {
        guard let percent = text.firstIndex(of: "%") else {
            guard let address = IPAddress(text) else { return nil }
            self.init(address: address)
            return
        }
        let zone = String(text[text.index(after: percent)...])
        guard let v6 = IPv6Address(text[..<percent]), (1...Link.maxNameLength).contains(zone.utf8.count) else {
            return nil
        }
        guard let index = UInt32(zone) ?? interfaceIndex(zone), index != 0 else { return nil }
        self.init(address: .v6(v6), link: Link(index: index, name: zone))
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

    /// The address as text, with the zone of a scoped one ("fe80::1%eth0").
    public var host: String {
        link.map { "\(address)%\($0.name)" } ?? address.description
    }

    /// "8.8.8.8:53", "[fd00::53]:53" or "[fe80::1%eth0]:53": always with the port, so an unscoped
    /// one parses back unchanged.
    public var description: String {
        switch address {
        case .v4: return "\(host):\(port)"
        case .v6: return "[\(host)]:\(port)"
        }
    }
}
