import NIOCore

/// Text forms of the addresses the broker hands out, Foundation-free. IPv4 addresses are `UInt32`
/// and IPv6 addresses `UInt128`, both in host byte order (the most significant byte is the first
/// byte on the wire).
public enum IPText {
    public static func v4(_ address: UInt32) -> String {
        "\(address >> 24).\((address >> 16) & 0xff).\((address >> 8) & 0xff).\(address & 0xff)"
    }

    /// RFC 5952 §4: lowercase hex, no leading zeros, the longest run (two or more) of zero groups
    /// shortened to `::` (the first such run on a tie).
    public static func v6(_ address: UInt128) -> String {
        var groups: [UInt16] = []
        groups.reserveCapacity(8)
        for i in 0..<8 {
            groups.append(UInt16(truncatingIfNeeded: address >> UInt128(112 - 16 * i)))
        }
        var bestStart = -1
        var bestLength = 1
        var i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > bestLength {
                    bestStart = i
                    bestLength = j - i
                }
                i = j
            } else {
                i += 1
            }
        }
        func hex(_ range: Range<Int>) -> String {
            range.map { String(groups[$0], radix: 16) }.joined(separator: ":")
        }
        guard bestStart >= 0 else { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    /// Dotted quad, four decimal octets, nothing else.
    public static func parseV4(_ text: some StringProtocol) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                let octet = UInt32(part), octet <= 255
            else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    /// RFC 4291 §2.2 text forms 1 and 2 (hex groups, at most one `::`); no embedded IPv4, no zone.
    public static func parseV6(_ text: some StringProtocol) -> UInt128? {
        let string = String(text)
        guard string.utf8.count <= 39, !string.isEmpty else { return nil }
        func groups(_ part: Substring) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard !group.isEmpty, group.count <= 4, let value = UInt16(group, radix: 16) else { return nil }
                out.append(value)
            }
            return out
        }
        let halves = string.split(separator: "::", maxSplits: 2, omittingEmptySubsequences: false)
        var all: [UInt16]
        switch halves.count {
        case 1:
            guard let g = groups(halves[0]), g.count == 8 else { return nil }
            all = g
        case 2:
            guard let head = groups(halves[0]), let tail = groups(halves[1]), head.count + tail.count <= 7 else {
                return nil
            }
            all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        default:
            return nil
        }
        return all.reduce(UInt128(0)) { $0 << 16 | UInt128($1) }
    }
}

extension Substring {
    /// `split` on a multi-character separator; `Substring.split(separator:)` only takes one element.
    fileprivate func split(separator: String, maxSplits: Int, omittingEmptySubsequences: Bool) -> [Substring] {
        var pieces: [Substring] = []
        var rest = self[...]
        while pieces.count < maxSplits, let range = rest.firstRange(of: separator) {
            pieces.append(rest[rest.startIndex..<range.lowerBound])
            rest = rest[range.upperBound...]
        }
        pieces.append(rest)
        return pieces
    }
}

extension String {
    fileprivate func split(separator: String, maxSplits: Int, omittingEmptySubsequences: Bool) -> [Substring] {
        self[...].split(
            separator: separator, maxSplits: maxSplits, omittingEmptySubsequences: omittingEmptySubsequences)
    }
}

extension IPText {
    /// `100.64.1.2:22` or `[fd5b::2]:22` (NIO's own description adds `[IPv4]` and the host name).
    public static func endpoint(_ address: SocketAddress) -> String {
        switch address {
        case .v4(let a):
            return "\(v4(UInt32(bigEndian: a.address.sin_addr.s_addr))):\(UInt16(bigEndian: a.address.sin_port))"
        case .v6(let a):
            let value = withUnsafeBytes(of: a.address.sin6_addr) { $0.reduce(UInt128(0)) { $0 << 8 | UInt128($1) } }
            return "[\(v6(value))]:\(UInt16(bigEndian: a.address.sin6_port))"
        case .unixDomainSocket:
            return address.pathname ?? "unix"
        }
    }
}
