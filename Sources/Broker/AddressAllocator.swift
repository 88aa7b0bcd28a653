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
/// An alias's home slot is a SipHash-2-4 (fixed key, `StableHash`) of its normalized value; a taken slot
/// is resolved by linear probing. The slot is the alias's offset in both prefixes: its IPv6 address is
/// `v6_prefix` + the offset of its IPv4 address in `v4_prefix` (`100.95.171.199` in `100.64.0.0/10` is
/// `fd5b:c1a6:e7a0::1f:abc7` in `fd5b:c1a6:e7a0::/64`), so a record stores one address, and one index
/// finds an alias by either (issue 8: 18 bytes an alias at a million). Guarantees:
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
    /// The usable slots, offsets 2 ..< slots + 2 in both prefixes (the smaller pool bounds both).
    private let slots: UInt64

    /// How long a released alias keeps its addresses.
    public var quarantine: TimeAmount

    /// The addresses of one alias, allocated or quarantined, at the index of its name's number in `names`
    /// (a record's number is its name's). 8 bytes (the IPv6 address follows from the IPv4 one, the name is
    /// the broker's `NameTable`'s), plus a slot in the index by IPv4: ~14 bytes an alias (issue 8).
    private struct Record: Sendable {
        /// 0 = no record (every usable address is above the prefix's base + 1).
        var v4: UInt32
        /// How many pushed views hold it (`hold`/`unhold`), or `quarantined`.
        var holds: UInt32
    }

    private static let quarantined = UInt32.max

    /// The broker's names (shared with the users' listings); a table of its own by default (tests).
    let names: NameTable
    private var records: [Record] = []
    private var byV4 = SlotTable()
    private var allocatedCount = 0
    /// The quarantined aliases' records, with the uptime nanoseconds each is kept until.
    private var quarantinedRecords: [UInt32: Int64] = [:]

    /// `v4PrefixLength` 8...16 and `v6PrefixLength` 48...112 (AgentConfig validates both; the
    /// preconditions guard our own callers).
    public init(
        v4Base: UInt32, v4PrefixLength: Int, v6Base: UInt128, v6PrefixLength: Int,
        quarantine: TimeAmount = AddressAllocator.defaultQuarantine
    ) {
        self.init(
            v4Base: v4Base, v4PrefixLength: v4PrefixLength, v6Base: v6Base, v6PrefixLength: v6PrefixLength,
            quarantine: quarantine, names: NameTable())
    }

    init(
        v4Base: UInt32, v4PrefixLength: Int, v6Base: UInt128, v6PrefixLength: Int, quarantine: TimeAmount,
        names: NameTable
    ) {
        self.names = names
        self.quarantine = quarantine
        // Config validation bounds these; a wider range would overflow the slot arithmetic.
        // The IPv6 offset fits 96 bits (`Record`).
        precondition((1...30).contains(v4PrefixLength) && (32...126).contains(v6PrefixLength))
        let v4Mask: UInt32 = ~UInt32(0) << UInt32(32 - v4PrefixLength)
        let v6Mask: UInt128 = ~UInt128(0) << UInt128(128 - v6PrefixLength)
        v4Pool = Pool(base: v4Base & v4Mask, prefixLength: v4PrefixLength)
        v6Pool = Pool6(base: v6Base & v6Mask, prefixLength: v6PrefixLength)
        v4Size = UInt64(1) << UInt64(32 - v4PrefixLength)
        let v6HostBits = 128 - v6PrefixLength
        let v6Usable: UInt64 = v6HostBits >= 62 ? UInt64.max : (UInt64(1) << UInt64(v6HostBits)) - 2
        slots = min(v4Size - 3, v6Usable)
    }

    /// Far longer than the TTL of our DNS answers and than most client-side caches.
    public static let defaultQuarantine: TimeAmount = .minutes(15)

    /// How many aliases fit (the smaller of the two pools).
    public var capacity: Int { Int(slots) }

    public var count: Int { allocatedCount }

    /// The DNS listen addresses (base + 1), which are never allocated.
    public var dnsAddresses: AliasAddresses { AliasAddresses(v4: v4Pool.base + 1, v6: v6Pool.base + 1) }

    public func addresses(of alias: String) -> AliasAddresses? {
        guard let record = record(of: alias) else { return nil }
        return addresses(ofRecord: record)
    }

    public func alias(atV4 address: UInt32) -> String? {
        guard let index = findV4(address), !isQuarantined(index) else { return nil }
        return name(ofRecord: index)
    }

    public func alias(atV6 address: UInt128) -> String? {
        guard let index = findV6(address), !isQuarantined(index) else { return nil }
        return name(ofRecord: index)
    }

    /// Every allocated alias (O(count); for tests and diagnostics).
    public var allocatedAliases: [String] {
        records.indices.filter { records[$0].v4 != 0 && !isQuarantined(UInt32($0)) }
            .map { name(ofRecord: UInt32($0)) }
    }

    // MARK: - Records (what the broker's pushed views hold)

    /// The record of an allocated alias (not a quarantined one).
    public func record(of alias: String) -> UInt32? {
        var alias = alias
        guard let index = alias.withUTF8({ findName($0) }), !isQuarantined(index) else { return nil }
        return index
    }

    public func name(ofRecord index: UInt32) -> String {
        names.string(index)
    }

    public func addresses(ofRecord index: UInt32) -> AliasAddresses {
        AliasAddresses(v4: records[Int(index)].v4, v6: v6(ofRecord: index))
    }

    /// One more pushed view holds allocated record `index`.
    public mutating func hold(_ index: UInt32) {
        records[Int(index)].holds += 1
    }

    /// One pushed view fewer holds record `index`; the last one releases it (into quarantine).
    public mutating func unhold(_ index: UInt32, at now: NIODeadline) {
        guard records[Int(index)].v4 != 0, !isQuarantined(index) else { return }
        if records[Int(index)].holds > 0 { records[Int(index)].holds -= 1 }
        if records[Int(index)].holds == 0 { release(record: index, at: now) }
    }

    /// Places every alias of `aliases` (normalized values; repeats allowed) that has no address yet; returns
    /// the records of all of them (each once, in no particular order) and the failure for those that did
    /// not fit, if any.
    public mutating func allocateRecords(_ aliases: some Sequence<String>, at now: NIODeadline)
        -> (records: [UInt32], failure: AllocationFailure?)
    {
        let numbers = aliases.map { names.intern($0) }
        let result = allocateRecords(names: numbers, at: now)
        // A name interned here that got no record is nobody's: the next collection may take it.
        names.noteDropped(numbers.count { !hasRecord($0) })
        return result
    }

    /// `allocateRecords(_:at:)` for names already in `names`, by number (what the users' listings hold: no
    /// string and no lookup per alias). A record's number is its name's.
    mutating func allocateRecords(names numbers: [UInt32], at now: NIODeadline)
        -> (records: [UInt32], failure: AllocationFailure?)
    {
        expireQuarantine(at: now)
        var placed: [UInt32] = []
        var fresh: [(home: UInt64, name: UInt32)] = []
        for number in numbers {
            if hasRecord(number) {
                if isQuarantined(number) {
                    quarantinedRecords.removeValue(forKey: number)
                    records[Int(number)].holds = 0
                    allocatedCount += 1
                }
                placed.append(number)
            } else {
                fresh.append((names.withBytes(number) { StableHash.sipHash24($0, key: StableHash.primaryKey) }, number))
            }
        }
        // By home slot, then value (numbers differ between runs and hosts; values do not).
        fresh.sort {
            $0.home != $1.home
                ? $0.home < $1.home : $0.name != $1.name && names.string($0.name) < names.string($1.name)
        }
        reserve(fresh.count)
        var failure: AllocationFailure?
        var previous: UInt32?
        for (home, number) in fresh where number != previous {
            previous = number
            switch place(number, home: home) {
            case .success: placed.append(number)
            case .failure(let error): failure = error
            }
        }
        placed.sort()
        var unique = 0
        for index in placed.indices where index == 0 || placed[index] != placed[unique - 1] {
            placed[unique] = placed[index]
            unique += 1
        }
        placed.removeLast(placed.count - unique)
        return (placed, failure)
    }

    /// Places every alias of `aliases` (normalized values) that has no address yet; returns the
    /// addresses of all of them, or the failure for those that did not fit.
    public mutating func allocate(_ aliases: some Sequence<String>, at now: NIODeadline)
        -> [String: Result<AliasAddresses, AllocationFailure>]
    {
        let wanted = Array(aliases)
        let (placed, failure) = allocateRecords(wanted, at: now)
        var results: [String: Result<AliasAddresses, AllocationFailure>] = [:]
        for index in placed { results[name(ofRecord: index)] = .success(addresses(ofRecord: index)) }
        if let failure {
            for alias in wanted where results[alias] == nil { results[alias] = .failure(failure) }
        }
        return results
    }

    /// Frees the alias's addresses (no view holds it any more), after the quarantine.
    public mutating func release(_ alias: String, at now: NIODeadline) {
        guard let index = record(of: alias) else { return }
        release(record: index, at: now)
    }

    public var quarantinedCount: Int { quarantinedRecords.count }

    public var v4PrefixText: String { "\(IPText.v4(v4Pool.base))/\(v4Pool.prefixLength)" }
    public var v6PrefixText: String { "\(IPText.v6(v6Pool.base))/\(v6Pool.prefixLength)" }

    // MARK: - Internals

    private func isQuarantined(_ index: UInt32) -> Bool {
        records[Int(index)].holds == Self.quarantined
    }

    /// The record of this name, allocated or quarantined.
    private func findName(_ utf8: UnsafeBufferPointer<UInt8>) -> UInt32? {
        guard let number = names.find(utf8), hasRecord(number) else { return nil }
        return number
    }

    /// Whether name `number` has a record, allocated or quarantined.
    private func hasRecord(_ number: UInt32) -> Bool {
        Int(number) < records.count && records[Int(number)].v4 != 0
    }

    /// Marks the names of every record, allocated or quarantined (`NameTable.collect`).
    func markNames(_ marks: inout NameTable.Marks) {
        for index in records.indices where records[index].v4 != 0 { marks.insert(UInt32(index)) }
    }

    private func findV4(_ address: UInt32) -> UInt32? {
        byV4.find(hash: Self.hash(address)) { records[Int($0)].v4 == address }
    }

    /// The record whose IPv4 address has this address's offset (only offsets of usable slots can match).
    private func findV6(_ address: UInt128) -> UInt32? {
        let offset = address &- v6Pool.base
        guard offset >= 2, offset < UInt128(slots) + 2 else { return nil }
        return findV4(v4Pool.base + UInt32(offset))
    }

    private func v6(ofRecord index: UInt32) -> UInt128 {
        v6Pool.base | UInt128(records[Int(index)].v4 - v4Pool.base)
    }

    private static func hash(_ value: some Hashable) -> Int {
        var hasher = Hasher()
        hasher.combine(value)
        return hasher.finalize()
    }

    private mutating func release(record index: UInt32, at now: NIODeadline) {
        guard quarantine > .zero else {
            remove(record: index)
            return
        }
        records[Int(index)].holds = Self.quarantined
        quarantinedRecords[index] = (now + quarantine).uptimeNanoseconds.clampedToInt64
        allocatedCount -= 1
    }

    /// Forgets record `index` (allocated or quarantined) entirely.
    private mutating func remove(record index: UInt32) {
        let record = records[Int(index)]
        if record.holds == Self.quarantined {
            quarantinedRecords.removeValue(forKey: index)
        } else {
            allocatedCount -= 1
        }
        do {
            let records = self.records
            byV4.remove(index, hash: Self.hash(record.v4)) { Self.hash(records[Int($0)].v4) }
        }
        records[Int(index)] = Record(v4: 0, holds: 0)
        names.noteDropped()
        if byV4.count == 0 {
            records = []
        }
    }

    private mutating func expireQuarantine(at now: NIODeadline) {
        guard !quarantinedRecords.isEmpty else { return }
        let nanos = now.uptimeNanoseconds.clampedToInt64
        for (index, until) in quarantinedRecords where until <= nanos {
            remove(record: index)
        }
    }

    /// Grows each store once for a batch of `extra` new aliases, with 1/8 headroom rather than doubling.
    private mutating func reserve(_ extra: Int) {
        guard extra > 0 else { return }
        let needed = max(names.numberLimit, records.count + extra)
        if records.capacity < needed { records.reserveCapacity(needed + needed / 8) }
        do {
            let records = self.records
            byV4.reserve(extra) { Self.hash(records[Int($0)].v4) }
        }
    }

    /// Gives name `number` the address `v4`.
    private mutating func add(_ number: UInt32, v4: UInt32) {
        if Int(number) >= records.count {
            if records.capacity <= Int(number) { records.reserveCapacity(Int(number) + Int(number) / 8 + 16) }
            records.append(contentsOf: repeatElement(Record(v4: 0, holds: 0), count: Int(number) + 1 - records.count))
        }
        records[Int(number)] = Record(v4: v4, holds: 0)
        do {
            let records = self.records
            byV4.insert(number, hash: Self.hash(v4)) { Self.hash(records[Int($0)].v4) }
        }
        allocatedCount += 1
    }

    /// Gives name `number` the first free slot from `home` on.
    private mutating func place(_ number: UInt32, home: UInt64) -> Result<Void, AllocationFailure> {
        guard allocatedCount < capacity else {
            return .failure(
                v4Size - 3 <= slots ? .v4PoolExhausted(prefix: v4PrefixText) : .v6PoolExhausted(prefix: v6PrefixText))
        }
        if allocatedCount + quarantinedRecords.count >= capacity,
            let oldest = quarantinedRecords.min(by: { $0.value < $1.value })
        {
            remove(record: oldest.key)
        }
        // Linear probing terminates within count + 1 steps: at most `count` slots are taken
        // (allocated or quarantined), and the pool has more usable slots than that (made so above).
        var slot = home % slots
        while findV4(v4Pool.base + 2 + UInt32(slot)) != nil {
            slot = (slot + 1) % slots
        }
        add(number, v4: v4Pool.base + 2 + UInt32(slot))
        return .success(())
    }
}

extension UInt64 {
    fileprivate var clampedToInt64: Int64 { self > UInt64(Int64.max) ? Int64.max : Int64(self) }
}
