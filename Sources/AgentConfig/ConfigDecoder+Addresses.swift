/// Decoding the keys that hold addresses: the two prefixes and the upstream DNS servers.
extension ConfigDecoder {
    /// Networks `v4_prefix` must not overlap: the agent redirects every TCP connection into its
    /// prefix, so overlapping loopback would capture its own proxy listeners (127.0.0.1), and the
    /// others are not unicast addresses a host can hold.
    static let reservedIPv4: [(IPv4Prefix, String)] = [
        (IPv4Prefix(constant: IPv4Address(0, 0, 0, 0), length: 8), "\"this network\""),
        (IPv4Prefix(constant: IPv4Address(127, 0, 0, 0), length: 8), "loopback"),
        (IPv4Prefix(constant: IPv4Address(224, 0, 0, 0), length: 3), "multicast and reserved"),
    ]
    static let v4Lengths = 8...16
    static let v6Lengths = 48...112
    /// RFC 4193 unique local addresses.
    static let uniqueLocal = IPv6Prefix(constant: IPv6Address(high: 0xfc00 << 48, low: 0), length: 7)

    mutating func v4Prefix(_ key: ConfigKey, _ e: HCLExpression) -> IPv4Prefix? {
        guard let s = string(key, e) else { return nil }
        let example = "such as \"100.64.0.0/10\""
        guard let (addressText, length) = IPPrefixText.split(s) else {
            if IPv4Address(s) != nil {
                report(e.position, "\(key) \"\(s)\" has no length; write a prefix \(example)")
            } else {
                report(e.position, "\(key) \"\(s)\" is not an IPv4 prefix \(example)")
            }
            return nil
        }
        guard let address = IPv4Address(addressText) else {
            if IPv6Address(addressText) != nil {
                report(e.position, "\(key) \"\(s)\" is an IPv6 prefix; IPv6 goes in v6_prefix")
            } else {
                report(e.position, "\(key) \"\(s)\" is not an IPv4 prefix \(example)")
            }
            return nil
        }
        guard ConfigDecoder.v4Lengths.contains(length) else {
            report(e.position, "\(key) \"\(s)\" is a /\(length); the length must be /8 to /16")
            return nil
        }
        guard let prefix = IPv4Prefix(address: address, length: length) else {
            let network = IPv4Prefix(masking: address, length: length).map { "\"\($0)\"" } ?? "the network"
            report(e.position, "\(key) \"\(s)\" has host bits set; did you mean \(network)?")
            return nil
        }
        for (reserved, name) in ConfigDecoder.reservedIPv4
        where reserved.contains(prefix.address) || prefix.contains(reserved.address) {
            report(e.position, "\(key) \"\(s)\" overlaps \(reserved) (\(name))")
            return nil
        }
        return prefix
    }

    mutating func v6Prefix(_ key: ConfigKey, _ e: HCLExpression) -> IPv6Prefix? {
        guard let s = string(key, e) else { return nil }
        let example = "such as \"fd5b:c1a6:e7a0::/64\""
        guard let (addressText, length) = IPPrefixText.split(s) else {
            if IPv6Address(s) != nil {
                report(e.position, "\(key) \"\(s)\" has no length; write a prefix \(example)")
            } else {
                report(e.position, "\(key) \"\(s)\" is not an IPv6 prefix \(example)")
            }
            return nil
        }
        guard let address = IPv6Address(addressText) else {
            if IPv4Address(addressText) != nil {
                report(e.position, "\(key) \"\(s)\" is an IPv4 prefix; IPv4 goes in v4_prefix")
            } else {
                report(e.position, "\(key) \"\(s)\" is not an IPv6 prefix \(example)")
            }
            return nil
        }
        guard ConfigDecoder.uniqueLocal.contains(address) else {
            report(e.position, "\(key) \"\(s)\" is not inside fc00::/7 (unique local addresses)")
            return nil
        }
        guard ConfigDecoder.v6Lengths.contains(length) else {
            report(e.position, "\(key) \"\(s)\" is a /\(length); the length must be /48 to /112")
            return nil
        }
        guard let prefix = IPv6Prefix(address: address, length: length) else {
            let network = IPv6Prefix(masking: address, length: length).map { "\"\($0)\"" } ?? "the network"
            report(e.position, "\(key) \"\(s)\" has host bits set; did you mean \(network)?")
            return nil
        }
        return prefix
    }

    mutating func upstreamServers(_ key: ConfigKey, _ e: HCLExpression) -> [UpstreamServer]? {
        let example = "[\"10.0.0.1\", \"8.8.8.8:53\"]"
        guard case .list(let elements) = e.value else {
            if case .string(let s) = e.value {
                typeMismatch(key, e, expected: "a list", hint: "; write [\"\(s)\"]")
            } else {
                typeMismatch(key, e, expected: "a list of strings such as \(example)")
            }
            return nil
        }
        var servers: [UpstreamServer] = []
        var written: [(SourcePosition, String)] = []
        var ok = true
        for element in elements {
            guard case .string(let s) = element.value else {
                report(element.position, "\(key) entries must be strings, not \(element.value.kindName)")
                ok = false
                continue
            }
            let entry = "\(key) entry \"\(s)\""
            switch UpstreamServer.parse(s) {
            case .success(let server):
                if server.hostBytes.allSatisfy({ $0 == 0 }) {
                    report(element.position, "\(entry) is the unspecified address")
                    ok = false
                } else {
                    servers.append(server)
                    written.append((element.position, s))
                }
            case .failure(.empty):
                report(element.position, "\(entry) is empty")
                ok = false
            case .failure(.hostname):
                report(
                    element.position,
                    "\(entry) is a host name; use an IP address (names cannot be resolved before the agent's "
                        + "resolver is up)")
                ok = false
            case .failure(.invalidAddress):
                report(element.position, "\(entry) is not an IP address, ip:port or [ipv6]:port")
                ok = false
            case .failure(.invalidPort(let p)):
                report(element.position, "\(entry): port \"\(p)\" is not a number")
                ok = false
            case .failure(.portOutOfRange(let p)):
                report(element.position, "\(entry): port \(p) is outside 1..65535")
                ok = false
            case .failure(.unclosedBracket):
                report(element.position, "\(entry): missing \"]\" after the IPv6 address")
                ok = false
            }
        }
        guard ok else { return nil }
        upstreamEntries = written
        return servers
    }

    /// Checks that need more than one key. Skipped for keys that already failed.
    mutating func checkAcrossKeys() {
        guard !failed.contains(.overrideUpstreamDNSServers) else { return }
        // An upstream inside our own prefixes would be the agent itself (or an alias address):
        // every forwarded query would come back to us.
        for (server, (position, text)) in zip(config.overrideUpstreamDNSServers, upstreamEntries) {
            let entry = "\(ConfigKey.overrideUpstreamDNSServers) entry \"\(text)\""
            switch server.address {
            case .v4(let a) where !failed.contains(.v4Prefix) && config.v4Prefix.contains(a):
                report(position, "\(entry) is inside v4_prefix \(config.v4Prefix); the agent would forward to itself")
            case .v6(let a) where !failed.contains(.v6Prefix) && config.v6Prefix.contains(a):
                report(position, "\(entry) is inside v6_prefix \(config.v6Prefix); the agent would forward to itself")
            default:
                break
            }
        }
    }
}
