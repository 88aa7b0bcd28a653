import NIOCore

/// Remembers, for a short time, which uid owns the UDP socket behind a client address, so that a client
/// sending many queries from one socket (dnsperf, a busy stub) costs one NETLINK_SOCK_DIAG round trip per
/// `lifetime` rather than one per query. Fixed-size and 4-way set-associative: no allocation, O(1). (It was
/// direct-mapped: 100 clients in 1,024 slots put ~5 pairs in one slot, and each pair evicted each other on
/// every query, so a tenth of dnsperf's queries paid a NETLINK_SOCK_DIAG round trip, ~0.3 µs a query.)
///
/// Why a short lifetime is acceptable: the lookup itself already races with the sender (it happens after
/// the datagram was queued, so the socket may have been closed and its port taken by someone else in the
/// meantime); a lifetime of the same order as a loaded queue's delay (default 100 ms) widens that window only
/// a little. glibc opens a new socket, with a new random port, for every lookup. And answers are not the
/// boundary: the proxy checks the owner of every connection again. `lifetime` 0 keeps only the current
/// read batch.
struct OwnerCache {
    private struct Entry {
        var high: UInt64 = 0
        var low: UInt64 = 0
        var port: UInt16 = 0
        var known = false
        var uid: UInt32 = 0
        var expires: UInt64 = 0
    }

    private static let ways = 4
    private static let sets = 256
    private var entries = [Entry](repeating: Entry(), count: OwnerCache.ways * OwnerCache.sets)

    /// Key parts of an address: v4 in `low`, v6 in both; nil for anything else.
    private static func key(_ address: SocketAddress) -> (high: UInt64, low: UInt64, port: UInt16)? {
        switch address {
        case .v4(let v4):
            let raw = v4.address
            return (0, UInt64(raw.sin_addr.s_addr), raw.sin_port)
        case .v6(let v6):
            var raw = v6.address
            let (high, low) = withUnsafeBytes(of: &raw.sin6_addr) {
                (
                    $0.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                    $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
                )
            }
            return (high | 1 << 63 | 1, low, raw.sin6_port)  // never equal to a v4 key (high 0)
        case .unixDomainSocket:
            return nil
        }
    }

    /// The first entry of the address's set.
    private static func firstWay(high: UInt64, low: UInt64, port: UInt16) -> Int {
        let mixed =
            (high ^ low &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(port) &* 0xC2B2_AE3D_27D4_EB4F) &* 0x1656_67B1_9E37_79F9
        return (Int(truncatingIfNeeded: mixed >> 56) & (sets - 1)) * ways
    }

    /// The cached owner: `.some(uid)` (uid nil = known to be nobody's), or nil when not cached.
    func lookup(_ address: SocketAddress, now: UInt64) -> UInt32?? {
        guard let key = Self.key(address) else { return nil }
        let first = Self.firstWay(high: key.high, low: key.low, port: key.port)
        for index in first..<(first + Self.ways) {
            let entry = entries[index]
            if entry.expires > now, entry.high == key.high, entry.low == key.low, entry.port == key.port {
                return .some(entry.known ? entry.uid : nil)
            }
        }
        return nil
    }

    /// Caches the owner in the address's set: over its own entry, else over the entry that expires first
    /// (an expired one, if any).
    mutating func store(_ address: SocketAddress, uid: UInt32?, until expires: UInt64) {
        guard let key = Self.key(address) else { return }
        let first = Self.firstWay(high: key.high, low: key.low, port: key.port)
        var victim = first
        for index in first..<(first + Self.ways) {
            let entry = entries[index]
            if entry.high == key.high, entry.low == key.low, entry.port == key.port {
                victim = index
                break
            }
            if entry.expires < entries[victim].expires { victim = index }
        }
        entries[victim] = Entry(
            high: key.high, low: key.low, port: key.port, known: uid != nil, uid: uid ?? 0, expires: expires)
    }

    mutating func removeAll() {
        for index in entries.indices { entries[index].expires = 0 }
    }
}
