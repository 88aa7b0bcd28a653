import NIOCore

/// The addresses of one alias: one from `v4_prefix`, one from `v6_prefix`.
public struct AliasAddresses: Hashable, Sendable, CustomStringConvertible {
    /// Host byte order.
    public var v4: UInt32
    /// Host byte order.
    public var v6: UInt128

    public init(v4: UInt32, v6: UInt128) {
        self.v4 = v4
        self.v6 = v6
    }

    public var description: String { "\(IPText.v4(v4)) \(IPText.v6(v6))" }
}

/// Hands every alias one IPv4 and one IPv6 address, the same for every user.
///
/// An alias's home slot in each pool is a SipHash-2-4 (fixed key, `StableHash`) of its normalized
/// value; a taken slot is resolved by linear probing. Guarantees:
/// - an alias whose home slot is free gets exactly that address, whatever else is allocated and in
///   whatever order aliases arrived: so, without collisions, an alias has the same address after a
///   restart, on every host with the same prefixes, and for every user;
/// - one `allocate` call places its new aliases in a fixed order (home slot, then value), so the
///   result of a batch does not depend on the order the controller listed them in;
/// - an allocated alias never moves until it is released; only an alias that collided may land on
///   a different probe slot after a restart, if other aliases arrived in other batches;
/// - the prefix's base address and base + 1 (the DNS listener) are never handed out, nor the last
///   IPv4 address of the prefix (it would be the broadcast address of an on-link prefix, which some
///   programs refuse to connect to);
/// - a released address stays reserved for its alias for `quarantine` (re-adding the alias in that
///   time gets it back): a client's DNS cache may still map the old name to it, and handing it to
///   another alias at once would send that client to the wrong target. When the pool is otherwise
///   full, the oldest quarantined address is reused first;
/// - a full pool is reported (`AllocationFailure`), never a reused address.
public struct AddressAllocator: Sendable {
    public struct Pool: Sendable, Equatable {
        public var base: UInt32
        public var prefixLength: Int
    }

    public struct Pool6: Sendable, Equatable {
        public var base: UInt128
        public var prefixLength: Int
    }

    public enum AllocationFailure: Error, Equatable, Sendable, CustomStringConvertible {
        case v4PoolExhausted(prefix: String)
        case v6PoolExhausted(prefix: String)

        public var description: String {
            switch self {
            case .v4PoolExhausted(let prefix): return "the IPv4 alias pool \(prefix) is full"
            case .v6PoolExhausted(let prefix): return "the IPv6 alias pool \(prefix) is full"
            }
        }
    }

    public let v4Pool: Pool
    public let v6Pool: Pool6
    /// Offsets 2 ..< v4Size - 1 are usable: 0 is the base, 1 the DNS address, the last one the
    /// broadcast address.
    private let v4Size: UInt64
    private let v6HostBits: Int

    /// How long a released alias keeps its addresses.
    public var quarantine: TimeAmount

    private var byAlias: [String: AliasAddresses] = [:]
    private var byV4: [UInt32: String] = [:]
    private var byV6: [UInt128: String] = [:]
    private var quarantined: [String: (addresses: AliasAddresses, until: NIODeadline)] = [:]
    private var quarantinedV4: Set<UInt32> = []
    private var quarantinedV6: Set<UInt128> = []

    /// `v4PrefixLength` 8...16 and `v6PrefixLength` 48...112 (AgentConfig validates both; the
    /// preconditions guard our own callers).
    public init(
        v4Base: UInt32, v4PrefixLength: Int, v6Base: UInt128, v6PrefixLength: Int,
        quarantine: TimeAmount = AddressAllocator.defaultQuarantine
    ) {
        self.quarantine = quarantine
        // Config validation bounds these; a wider range would overflow the slot arithmetic.
        precondition((1...30).contains(v4PrefixLength) && (1...126).contains(v6PrefixLength))
        let v4Mask: UInt32 = ~UInt32(0) << UInt32(32 - v4PrefixLength)
        let v6Mask: UInt128 = ~UInt128(0) << UInt128(128 - v6PrefixLength)
        v4Pool = Pool(base: v4Base & v4Mask, prefixLength: v4PrefixLength)
        v6Pool = Pool6(base: v6Base & v6Mask, prefixLength: v6PrefixLength)
        v4Size = UInt64(1) << UInt64(32 - v4PrefixLength)
        v6HostBits = 128 - v6PrefixLength
    }

    /// Far longer than the TTL of our DNS answers and than most client-side caches.
    public static let defaultQuarantine: TimeAmount = .minutes(15)

    /// How many aliases fit (the smaller of the two pools).
    public var capacity: Int {
        let v4 = Int(v4Size) - 3
        let v6 = v6HostBits >= 62 ? Int.max : (1 << v6HostBits) - 2
        return min(v4, v6)
    }

    public var count: Int { byAlias.count }

    /// The DNS listen addresses (base + 1), which are never allocated.
    public var dnsAddresses: AliasAddresses { AliasAddresses(v4: v4Pool.base + 1, v6: v6Pool.base + 1) }

    public func addresses(of alias: String) -> AliasAddresses? { byAlias[alias] }
    public func alias(atV4 address: UInt32) -> String? { byV4[address] }
    public func alias(atV6 address: UInt128) -> String? { byV6[address] }
    public var allocatedAliases: Dictionary<String, AliasAddresses>.Keys { byAlias.keys }

    /// Places every alias of `aliases` (normalized values) that has no address yet; returns the
    /// addresses of all of them, or the failure for those that did not fit.
    public mutating func allocate(_ aliases: some Sequence<String>, at now: NIODeadline)
        -> [String: Result<AliasAddresses, AllocationFailure>]
    {
        expireQuarantine(at: now)
        var results: [String: Result<AliasAddresses, AllocationFailure>] = [:]
        var fresh: [(home: UInt64, value: String)] = []
        var seen: Set<String> = []
        for alias in aliases where seen.insert(alias).inserted {
            if let existing = byAlias[alias] {
                results[alias] = .success(existing)
            } else if let held = quarantined.removeValue(forKey: alias) {
                quarantinedV4.remove(held.addresses.v4)
                quarantinedV6.remove(held.addresses.v6)
                record(alias, held.addresses)
                results[alias] = .success(held.addresses)
            } else {
                fresh.append((StableHash.sipHash24(alias.utf8, key: StableHash.primaryKey), alias))
            }
        }
        fresh.sort { $0.home != $1.home ? $0.home < $1.home : $0.value < $1.value }
        for (home, alias) in fresh {
            results[alias] = place(alias, home: home)
        }
        return results
    }

    /// Frees the alias's addresses (no view holds it any more), after the quarantine.
    public mutating func release(_ alias: String, at now: NIODeadline) {
        guard let addresses = byAlias.removeValue(forKey: alias) else { return }
        byV4.removeValue(forKey: addresses.v4)
        byV6.removeValue(forKey: addresses.v6)
        guard quarantine > .zero else { return }
        quarantined[alias] = (addresses, now + quarantine)
        quarantinedV4.insert(addresses.v4)
        quarantinedV6.insert(addresses.v6)
    }

    public var quarantinedCount: Int { quarantined.count }

    private mutating func expireQuarantine(at now: NIODeadline) {
        guard !quarantined.isEmpty else { return }
        for (alias, held) in quarantined where held.until <= now {
            dropQuarantined(alias, held.addresses)
        }
    }

    private mutating func dropQuarantined(_ alias: String, _ addresses: AliasAddresses) {
        quarantined.removeValue(forKey: alias)
        quarantinedV4.remove(addresses.v4)
        quarantinedV6.remove(addresses.v6)
    }

    private mutating func record(_ alias: String, _ addresses: AliasAddresses) {
        byAlias[alias] = addresses
        byV4[addresses.v4] = alias
        byV6[addresses.v6] = alias
    }

    public var v4PrefixText: String { "\(IPText.v4(v4Pool.base))/\(v4Pool.prefixLength)" }
    public var v6PrefixText: String { "\(IPText.v6(v6Pool.base))/\(v6Pool.prefixLength)" }

    private mutating func place(_ alias: String, home: UInt64) -> Result<AliasAddresses, AllocationFailure> {
        guard byAlias.count < capacity else {
            return .failure(
                Int(v4Size) - 3 <= capacity
                    ? .v4PoolExhausted(prefix: v4PrefixText) : .v6PoolExhausted(prefix: v6PrefixText))
        }
        if byAlias.count + quarantined.count >= capacity,
            let oldest = quarantined.min(by: { $0.value.until < $1.value.until })
        {
            dropQuarantined(oldest.key, oldest.value.addresses)
        }
        // Linear probing terminates within count + 1 steps: at most `count` slots are taken
        // (allocated or quarantined), and the pool has more usable slots than that (made so above).
        let usable4 = v4Size - 3
        var slot4 = home % usable4
        var v4 = v4Pool.base + 2 + UInt32(slot4)
        while byV4[v4] != nil || quarantinedV4.contains(v4) {
            slot4 = (slot4 + 1) % usable4
            v4 = v4Pool.base + 2 + UInt32(slot4)
        }
        let v6Hash = UInt128(StableHash.sipHash24(alias.utf8, key: StableHash.secondaryKey)) << 64 | UInt128(home)
        let v6Mask: UInt128 = ~(~UInt128(0) << UInt128(v6HostBits))
        var slot6 = v6Hash & v6Mask
        while slot6 < 2 || byV6[v6Pool.base | slot6] != nil || quarantinedV6.contains(v6Pool.base | slot6) {
            slot6 = (slot6 &+ 1) & v6Mask
        }
        let addresses = AliasAddresses(v4: v4, v6: v6Pool.base | slot6)
        record(alias, addresses)
        return .success(addresses)
    }
}
