import AgentConfig
import DNSCodec

/// Every user's alias view in one table keyed by name, so a query costs one hash lookup whoever asks.
///
/// Sized for 10 users x 100,000 aliases (issue 8): about 32 bytes per (name, user) for names no other user
/// has (a 16-byte entry, 5-6 bytes of table, 11 bytes of name for `s3-12345.scale.test`; the benchmark's
/// million grow dns-test-server's RSS by 27.4 MiB), 12 bytes more per further user of a shared name, and
/// 64 to 128 more per IPv6 address kept whole; no heap object per name, per owner or per alias text.
/// - Names: lowercased uncompressed wire names in a `WireNameArena` (which stores a name's zone once
///   for all the names in it). Freed names leave garbage that is compacted when it outgrows the live names.
/// - Lookup: an open-addressing (linear probing) table of entry indices, 70-80 % full, any size (the home
///   slot is the hash scaled to the size). In the bits the index leaves free, each slot also holds how far
///   its name sits past its home and some of the name's hash bits, so a probe past another name rarely
///   reads that name. Lookups hash the query's name buffer without allocating
///   (`DNSWire.caseInsensitiveHash`) and compare bytes in the arena; removal shifts the cluster back (no
///   tombstones), by the recorded distances.
/// - Owners: an entry holds its name and its first owner (user, IPv4, how to get the IPv6); a name shared by
///   several users chains the others in `laterOwners`. A user is a 16-bit number (`userUIDs`). An IPv6
///   address is stored as the IPv4 address plus one of a few interned differences (the broker derives an
///   alias's IPv6 from its IPv4, so one difference serves every alias of a prefix pair); an address that
///   does not fit (too many distinct differences) is kept whole in a side table.
/// - When each owner was last reported (`aliasQueried` rate limit) lives in a small side table of the
///   recently queried ones, not in every owner.
/// `setView` replaces one user's view in time proportional to the new view, plus one pass over the entries
/// when the new view drops some of the user's old names; names kept across a replacement stay where they are.
struct AliasIndex {
    /// A user's claim on a name: who, and the addresses (8 bytes).
    struct Owner {
        /// The IPv4 address; 0 when there is none.
        var v4: UInt32
        /// The user number (`userNumberMask`; 0 = no owner), `hasV4`, the `generation` of the view that set
        /// it, and where the IPv6 address is (`v6Shift`).
        var packed: UInt32
    }

    /// A name and its first owner (16 bytes).
    struct Entry {
        /// The `WireNameArena` reference; `UInt32.max` = a free entry.
        var name: UInt32
        /// User number 0 while the name's only owners are later ones (its first owner left).
        var first: Owner
        /// The second owner (index + 1 into `laterOwners`; 0 = none).
        var next: UInt32
    }

    /// The second and later owners of a shared name (12 bytes).
    struct LaterOwner {
        var owner: Owner
        /// The next owner of the same name (index + 1; 0 = last).
        var next: UInt32
    }

    /// A user with a non-empty view.
    private struct User {
        var number: UInt32
        /// How many names the user has here.
        var owners: Int
        /// The last view pushed (so that an unchanged refresh is a no-op and does not flush the cache).
        var fingerprint: Int
        var viewLength: Int
        /// The `generation` bit of the user's owners: a replacement marks what it keeps with the other one,
        /// so the owners still carrying this one are the dropped names.
        var generation: UInt32
    }

    static let userNumberMask: UInt32 = 0xFFFF
    static let hasV4: UInt32 = 1 << 16
    static let generation: UInt32 = 1 << 17
    /// `packed >> v6Shift`: 0 = no IPv6 address; 1...`maxV6Deltas` = `v6Deltas` index + 1 (the address is
    /// the IPv4 address, 0 when none, plus that difference); `v6Whole` = the address is in `wholeV6`.
    static let v6Shift: UInt32 = 18
    static let v6Whole: UInt32 = 0x3FFF
    /// Differences are interned up to this many; a prefix pair per pool needs one each.
    static let maxV6Deltas = 1024
    /// Users are 16-bit numbers.
    static let maxUsers = 65_535
    /// An owner number (`owner(of:uid:)`) with this bit is an index into `laterOwners`; without, the first
    /// owner of that entry.
    static let laterOwnerBit = 1 << 32
    private static let freeEntry = UInt32.max

    private var names = WireNameArena()
    private var entries: [Entry] = []
    private var freeEntries: [UInt32] = []
    private var laterOwners: [LaterOwner] = []
    private var freeLaterOwners: [UInt32] = []
    /// Entry index + 1 in the low `indexBits` (0 = empty slot); above it, how many slots past its home the
    /// name sits (`distanceMax`: at least that many), so that a removal moves names back without hashing
    /// them; in the rest (`tagMask`), the same bits of the name's hash. A probe reads a name only when both
    /// match.
    private var table: [UInt32] = []
    private var indexBits: UInt32 = 32
    private var indexMask = UInt32.max
    private var distanceMax: UInt32 = 0
    private var tagMask: UInt32 = 0
    private(set) var nameCount = 0
    /// How many owners (name, user pairs) are stored.
    private(set) var ownerCount = 0
    private var users: [UInt32: User] = [:]
    /// The uid of each user number (index 0 unused).
    private var userUIDs: [UInt32] = [0]
    private var freeUserNumbers: [UInt32] = []
    private var v6Deltas: [IPv6Address] = []
    private var v6DeltaIndex: [IPv6Address: UInt32] = [:]
    /// Whether an owner holding a difference went away since `v6Deltas` was last collected.
    private var v6DeltasMayBeUnused = false
    /// The IPv6 address of each owner marked `v6Whole`, by owner number.
    private var wholeV6 = UInt64Table<IPv6Address>()
    /// The alias text as the broker spelled it, for the (rare) entries where it is not the text form of the
    /// stored lowercased name (the broker sends normalized values).
    private var spelled: [UInt32: String] = [:]
    /// When `aliasQueried` was last reported, by `ownerKey`/`unionKey` (uptime nanoseconds).
    private var reported = UInt64Table<UInt64>()
    private var reportedPruneAt = 4096

    var userCount: Int { users.count }

    /// For tests: how many IPv6 differences are interned, how many addresses are kept whole, and the slots.
    var v6DeltaCount: Int { v6Deltas.count }
    var wholeV6Count: Int { wholeV6.count }
    var slotCount: Int { table.count }

    /// The uids that currently have a non-empty view.
    var uids: [UInt32] { Array(users.keys) }

    // MARK: lookup (hot path: no allocation)

    /// The entry whose name equals `name` (case-insensitively); `hash` is `name.caseInsensitiveHash`.
    func find(_ name: DNSNameBuffer, hash: Int) -> Int32? {
        lookup(name.storage, count: name.count, hash: hash).map { Int32($0) }
    }

    /// The entry index of the `count`-byte wire name at `name`.
    @inline(__always)
    private func lookup(_ name: UnsafePointer<UInt8>, count: Int, hash: Int) -> UInt32? {
        guard !table.isEmpty else { return nil }
        let tag = UInt32(truncatingIfNeeded: hash) & tagMask
        var slot = home(hash)
        var distance: UInt32 = 0
        while true {
            let value = table[slot]
            if value == 0 { return nil }
            if value & ~indexMask == tag | min(distance, distanceMax) << indexBits {
                let index = (value & indexMask) - 1
                if names.equals(entries[Int(index)].name, name, count: count) { return index }
            }
            slot += 1
            if slot == table.count { slot = 0 }
            distance += 1
        }
    }

    /// The owner number of `uid` in entry `index`, if that user has the alias.
    func owner(of index: Int32, uid: UInt32) -> Int? {
        let entry = entries[Int(index)]
        if isOwned(entry.first, by: uid) { return Int(index) }
        var reference = entry.next
        while reference != 0 {
            let later = laterOwners[Int(reference - 1)]
            if isOwned(later.owner, by: uid) { return Self.laterOwnerBit | Int(reference - 1) }
            reference = later.next
        }
        return nil
    }

    /// Some owner of entry `index` (for union answers: every owner has the same deterministic address).
    func anyOwner(of index: Int32) -> Int? {
        let entry = entries[Int(index)]
        if entry.first.packed & Self.userNumberMask != 0 { return Int(index) }
        return entry.next == 0 ? nil : Self.laterOwnerBit | Int(entry.next - 1)
    }

    /// The addresses of owner number `owner`.
    func addresses(ofOwner owner: Int) -> (ipv4: IPv4Address?, ipv6: IPv6Address?) {
        let record = self.record(owner)
        let ipv4 = record.packed & Self.hasV4 != 0 ? IPv4Address(value: record.v4) : nil
        let v6 = record.packed >> Self.v6Shift
        let ipv6: IPv6Address?
        switch v6 {
        case 0: ipv6 = nil
        case Self.v6Whole: ipv6 = wholeV6[UInt64(owner)]
        default: ipv6 = Self.adding(record.v4, to: v6Deltas[Int(v6 - 1)])
        }
        return (ipv4, ipv6)
    }

    /// The alias value as the broker pushed it (allocates: only for reports).
    func alias(of index: Int32) -> String {
        if let text = spelled[UInt32(index)] { return text }
        return Self.text(ofWire: nameBytes(index))
    }

    /// The rate-limit key of an owner's reports.
    static func ownerKey(_ owner: Int) -> UInt64 { UInt64(owner) }
    /// The rate-limit key of union (unknown uid) reports of entry `index` (owner numbers are below 2^33).
    static func unionKey(_ index: Int32) -> UInt64 { 1 << 33 | UInt64(UInt32(index)) }

    /// Whether a report for `key` is due (none within `interval`); if so, records `now` as its time.
    mutating func shouldReport(_ key: UInt64, now: UInt64, interval: UInt64) -> Bool {
        if let last = reported[key], now &- last < interval { return false }
        if reported.count >= reportedPruneAt {
            reported.removeAll { _, last in now &- last >= interval }
            reportedPruneAt = max(4096, reported.count * 2)
        }
        reported.insert(now, for: key)
        return true
    }

    /// The slot where the probe for `hash` starts: the hash scaled to the table size (any size, not only
    /// powers of two).
    @inline(__always)
    private func home(_ hash: Int) -> Int {
        Int(truncatingIfNeeded: UInt64(UInt(bitPattern: hash)).multipliedFullWidth(by: UInt64(table.count)).high)
    }

    @inline(__always)
    private func isOwned(_ owner: Owner, by uid: UInt32) -> Bool {
        let number = Int(owner.packed & Self.userNumberMask)
        return number != 0 && userUIDs[number] == uid
    }

    @inline(__always)
    private func record(_ owner: Int) -> Owner {
        owner & Self.laterOwnerBit == 0
            ? entries[owner].first : laterOwners[owner & ~Self.laterOwnerBit].owner
    }

    /// `ipv6 - v4` as 128-bit numbers (wrapping): the difference `adding` turns back into `ipv6`.
    static func difference(_ ipv6: IPv6Address, minus v4: UInt32) -> IPv6Address {
        let (low, borrow) = ipv6.low.subtractingReportingOverflow(UInt64(v4))
        return IPv6Address(high: ipv6.high &- (borrow ? 1 : 0), low: low)
    }

    @inline(__always)
    static func adding(_ v4: UInt32, to delta: IPv6Address) -> IPv6Address {
        let (low, carry) = delta.low.addingReportingOverflow(UInt64(v4))
        return IPv6Address(high: delta.high &+ (carry ? 1 : 0), low: low)
    }

    // MARK: views

    /// Replaces `uid`'s view; returns whether anything changed. Names that are not valid DNS names are
    /// skipped and returned in `rejected` (so is every name of a view beyond `maxUsers` users). A name
    /// repeated in one view: the last one wins.
    mutating func setView(uid: UInt32, entries newEntries: [AliasEntry]) -> (changed: Bool, rejected: [String]) {
        var rejected: [String] = []
        // The new view's lowercased wire names back to back (length byte + name), one allocation.
        var scratch: [UInt8] = []
        var kept: [Int] = []
        kept.reserveCapacity(newEntries.count)
        var hasher = Hasher()
        var storedBytes = 0
        for (position, entry) in newEntries.enumerated() {
            let start = scratch.count
            if !Self.appendPlainWire(entry.name, to: &scratch) {
                // Escapes, or not a valid name: the full parser decides.
                guard let name = try? DNSName(entry.name), !name.isRoot else {
                    rejected.append(entry.name)
                    continue
                }
                let wire = name.lowercased.wire
                scratch.append(UInt8(wire.count))
                scratch.append(contentsOf: wire)
            }
            if position == 0 { scratch.reserveCapacity((scratch.count - start) * newEntries.count * 9 / 8) }
            scratch.withUnsafeBytes { hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: $0[start...])) }
            storedBytes += scratch.withUnsafeBufferPointer {
                WireNameArena.storedSize(UnsafeBufferPointer(rebasing: $0[(start + 1)...]))
            }
            hasher.combine(entry.ipv4?.value)
            hasher.combine(entry.ipv6?.high)
            hasher.combine(entry.ipv6?.low)
            kept.append(position)
        }
        let fingerprint = hasher.finalize()
        let old = users[uid]
        if let old, old.fingerprint == fingerprint, old.viewLength == kept.count { return (false, rejected) }
        if old == nil && kept.isEmpty { return (false, rejected) }
        guard var user = old ?? newUser(uid) else {
            // Every user number is taken: this user's aliases are not served, and the caller hears why.
            return (false, rejected + kept.map { newEntries[$0].name })
        }
        // What this view keeps or adds is marked with the other generation; what still has the user's current
        // one afterwards was dropped.
        let generation = user.generation ^ Self.generation
        var keptOwners = 0
        var addedOwners = 0
        if !kept.isEmpty {
            names.reserve(storedBytes)
            Self.grow(&entries, by: max(0, kept.count - freeEntries.count))
            var offset = 0
            for (done, position) in kept.enumerated() {
                let length = Int(scratch[offset])
                let wire = (offset + 1)..<(offset + 1 + length)
                let index = scratch.withUnsafeBufferPointer {
                    findOrInsert(UnsafeBufferPointer(rebasing: $0[wire]), upTo: kept.count - done)
                }
                offset += 1 + length
                let entry = newEntries[position]
                if let existing = owner(of: index, number: user.number) {
                    if record(existing).packed & Self.generation != generation { keptOwners += 1 }
                    setOwner(existing, user: user.number | generation, entry)
                } else {
                    if !hasOwners(index), spelled[index] == nil {
                        // A new name: this spelling is the reported one. (The stored name is this wire name,
                        // which the scratch holds whole.)
                        if !Self.isPlainSpelling(entry.name, of: scratch[wire]) { spelled[index] = entry.name }
                    }
                    addOwner(to: index, user: user.number | generation, entry)
                    addedOwners += 1
                }
            }
        }
        let dropped = user.owners - keptOwners
        if dropped > 0 { removeOwners(user: user.number | user.generation, count: dropped) }
        user.owners = keptOwners + addedOwners
        user.generation = generation
        user.fingerprint = fingerprint
        user.viewLength = kept.count
        if user.owners == 0 {
            users.removeValue(forKey: uid)
            freeUserNumbers.append(user.number)
            userUIDs[Int(user.number)] = 0
        } else {
            users[uid] = user
        }
        compactIfWasteful()
        return (true, rejected)
    }

    // MARK: internals

    private func nameBytes(_ index: Int32) -> ArraySlice<UInt8> {
        names.wire(entries[Int(index)].name)[...]
    }

    /// Presentation text without the trailing dot (what the broker sends).
    private static func text(ofWire wire: ArraySlice<UInt8>) -> String {
        guard let name = try? DNSName(wire: Array(wire)) else { return "" }
        var text = name.description
        if text.count > 1, text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// Appends the length byte and lowercased wire form of `text` when it is a plain name (no escapes;
    /// labels of 1...63 bytes; at most 255 bytes on the wire; an optional trailing dot), without the
    /// allocations of `DNSName`. False, with nothing appended, when the full parser must decide.
    static func appendPlainWire(_ text: String, to scratch: inout [UInt8]) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            let start = scratch.count
            guard !bytes.isEmpty, bytes.count <= DNSLimits.maxNameLength else { return false }
            scratch.append(0)  // the wire length, set at the end
            var labelStart = scratch.count
            scratch.append(0)  // the label length, set when the label ends
            var labelLength = 0
            for byte in bytes {
                if byte == UInt8(ascii: ".") {
                    guard labelLength > 0 else {
                        scratch.removeLast(scratch.count - start)
                        return false
                    }
                    scratch[labelStart] = UInt8(labelLength)
                    labelStart = scratch.count
                    scratch.append(0)
                    labelLength = 0
                } else if byte == UInt8(ascii: "\\") || labelLength == DNSLimits.maxLabelLength {
                    scratch.removeLast(scratch.count - start)
                    return false
                } else {
                    scratch.append(DNSName.asciiLowercase(byte))
                    labelLength += 1
                }
            }
            if labelLength > 0 {
                scratch[labelStart] = UInt8(labelLength)
                scratch.append(0)  // the root
            }
            // (labelLength == 0: the text ended with a dot, whose empty "label" byte is the root already.)
            let wireLength = scratch.count - start - 1
            guard wireLength <= DNSLimits.maxNameLength, wireLength > 1 else {
                scratch.removeLast(scratch.count - start)
                return false
            }
            scratch[start] = UInt8(wireLength)
            return true
        }
    }

    /// Whether `text` is exactly the plain text form of `wire` (lowercase, no trailing dot, no escapes), so
    /// that `text(ofWire:)` gives it back without storing it.
    private static func isPlainSpelling(_ text: String, of wire: ArraySlice<UInt8>) -> Bool {
        var characters = text.utf8.makeIterator()
        var position = wire.startIndex
        var first = true
        while position < wire.endIndex {
            let length = Int(wire[position])
            if length == 0 { break }
            if !first, characters.next() != UInt8(ascii: ".") { return false }
            first = false
            for byte in wire[(position + 1)..<(position + 1 + length)] {
                guard byte >= 0x21, byte <= 0x7E, byte != UInt8(ascii: "."), byte != UInt8(ascii: "\\"),
                    characters.next() == byte
                else { return false }
            }
            position += 1 + length
        }
        return characters.next() == nil
    }

    private static func hash(_ wire: UnsafeBufferPointer<UInt8>) -> Int {
        DNSWire.caseInsensitiveHash(wire.baseAddress!, count: wire.count)
    }

    private func hash(ofEntry index: UInt32) -> Int {
        names.hash(entries[Int(index)].name)
    }

    /// Grows `array` once for a batch, with a little headroom rather than Array's doubling.
    private static func grow<T>(_ array: inout [T], by extra: Int) {
        let needed = array.count + extra
        if array.capacity < needed { array.reserveCapacity(needed + needed / 8) }
    }

    // MARK: the name table

    /// Slots for `names` names at 70 % load: a miss probes ~6 slots (~13 at 80 %, where the table grows),
    /// and the distance and hash bits in each slot keep the names of the other entries unread.
    private static func tableSize(for names: Int) -> Int { max(16, names * 10 / 7 + 1) }

    /// Rebuilds the table with `size` slots, and as many index bits as the entries may need before the
    /// next rebuild (one spare bit: the entries array grows by at most 1/8 per batch). Of the bits left,
    /// up to 5 hold the distance (at 80 % load few names sit 31 slots past their home), the rest hash bits.
    private mutating func rehash(size: Int) {
        let entryLimit = max(entries.capacity, entries.count + 1, 16) + 1
        indexBits = UInt32(min(32, Int.bitWidth - entryLimit.leadingZeroBitCount + 1))
        let distanceBits = min(5, 32 - indexBits)
        indexMask = UInt32(truncatingIfNeeded: (1 << UInt64(indexBits)) - 1)
        distanceMax = (1 << distanceBits) - 1
        tagMask = ~(indexMask | distanceMax << indexBits)
        table = [UInt32](repeating: 0, count: size)
        for index in entries.indices where entries[index].name != Self.freeEntry {
            place(UInt32(index), hash: hash(ofEntry: UInt32(index)))
        }
    }

    /// Puts entry `index` in the first empty slot of its probe.
    private mutating func place(_ index: UInt32, hash: Int) {
        var slot = home(hash)
        var distance: UInt32 = 0
        while table[slot] != 0 {
            slot += 1
            if slot == table.count { slot = 0 }
            distance += 1
        }
        table[slot] = UInt32(truncatingIfNeeded: hash) & tagMask | min(distance, distanceMax) << indexBits | (index + 1)
    }

    /// The entry of the lowercased wire name `wire`, inserted when new. `upTo`: how many names (this one
    /// included) the caller may still insert, so that a batch grows the table at most once.
    private mutating func findOrInsert(_ wire: UnsafeBufferPointer<UInt8>, upTo remaining: Int) -> UInt32 {
        let hash = Self.hash(wire)
        if let known = lookup(wire.baseAddress!, count: wire.count, hash: hash) { return known }
        let index = freeEntries.last ?? UInt32(entries.count)
        if table.isEmpty || (nameCount + 1) * 5 > table.count * 4 {
            rehash(size: Self.tableSize(for: nameCount + remaining))
        } else if UInt64(index) + 1 > UInt64(indexMask) {
            rehash(size: table.count)
        }
        let entry = Entry(name: names.append(wire), first: Owner(v4: 0, packed: 0), next: 0)
        if freeEntries.popLast() != nil {
            entries[Int(index)] = entry
        } else {
            entries.append(entry)
        }
        place(index, hash: hash)
        nameCount += 1
        return index
    }

    /// Removes entry `index` (no owners left) from the table (backward-shift deletion) and frees it.
    private mutating func unlink(_ index: UInt32) {
        let size = table.count
        var hole = home(hash(ofEntry: index))
        while table[hole] & indexMask != index + 1 {
            if table[hole] == 0 {
                // Not in the table (cannot happen): free it all the same rather than probe forever.
                release(index)
                return
            }
            hole += 1
            if hole == size { hole = 0 }
        }
        table[hole] = 0
        var probe = hole
        while true {
            probe += 1
            if probe == size { probe = 0 }
            let value = table[probe]
            if value == 0 { break }
            let stored = (value >> indexBits) & distanceMax
            let distance =
                stored < distanceMax
                ? Int(stored) : (probe - home(hash(ofEntry: (value & indexMask) - 1)) + size) % size
            // Move it into the hole when the hole lies on its probe path (cyclically from its home slot to
            // where it is now).
            let gap = (probe - hole + size) % size
            if distance >= gap {
                let moved = UInt32(min(distance - gap, Int(distanceMax)))
                table[hole] = value & (indexMask | tagMask) | moved << indexBits
                table[probe] = 0
                hole = probe
            }
        }
        release(index)
    }

    /// Frees entry `index`, which is no longer in the table.
    private mutating func release(_ index: UInt32) {
        names.free(entries[Int(index)].name)
        entries[Int(index)] = Entry(name: Self.freeEntry, first: Owner(v4: 0, packed: 0), next: 0)
        freeEntries.append(index)
        nameCount -= 1
        spelled.removeValue(forKey: index)
        reported.remove(Self.unionKey(Int32(index)))
    }

    // MARK: owners

    /// A number for `uid`'s first view; nil when all `maxUsers` are taken.
    private mutating func newUser(_ uid: UInt32) -> User? {
        let number: UInt32
        if let free = freeUserNumbers.popLast() {
            number = free
            userUIDs[Int(number)] = uid
        } else {
            guard userUIDs.count <= Self.maxUsers else { return nil }
            number = UInt32(userUIDs.count)
            userUIDs.append(uid)
        }
        return User(number: number, owners: 0, fingerprint: 0, viewLength: 0, generation: 0)
    }

    private func owner(of index: UInt32, number: UInt32) -> Int? {
        let entry = entries[Int(index)]
        if entry.first.packed & Self.userNumberMask == number { return Int(index) }
        var reference = entry.next
        while reference != 0 {
            let later = laterOwners[Int(reference - 1)]
            if later.owner.packed & Self.userNumberMask == number { return Self.laterOwnerBit | Int(reference - 1) }
            reference = later.next
        }
        return nil
    }

    private func hasOwners(_ index: UInt32) -> Bool {
        entries[Int(index)].first.packed & Self.userNumberMask != 0 || entries[Int(index)].next != 0
    }

    /// Adds an owner to entry `index`: `user` is the user number with its generation bit.
    private mutating func addOwner(to index: UInt32, user: UInt32, _ entry: AliasEntry) {
        ownerCount += 1
        if entries[Int(index)].first.packed & Self.userNumberMask == 0 {
            setOwner(Int(index), user: user, entry)
            return
        }
        let later = LaterOwner(owner: Owner(v4: 0, packed: 0), next: entries[Int(index)].next)
        let position: Int
        if let free = freeLaterOwners.popLast() {
            position = Int(free)
            laterOwners[position] = later
        } else {
            position = laterOwners.count
            laterOwners.append(later)
        }
        entries[Int(index)].next = UInt32(position + 1)
        setOwner(Self.laterOwnerBit | position, user: user, entry)
    }

    /// Writes owner `owner`'s user and addresses.
    private mutating func setOwner(_ owner: Int, user: UInt32, _ entry: AliasEntry) {
        let v4 = entry.ipv4?.value ?? 0
        var packed = user
        if entry.ipv4 != nil { packed |= Self.hasV4 }
        let previous = record(owner).packed >> Self.v6Shift
        if let ipv6 = entry.ipv6 {
            let where6 = v6DeltaNumber(Self.difference(ipv6, minus: v4)) ?? Self.v6Whole
            packed |= where6 << Self.v6Shift
            if where6 == Self.v6Whole { wholeV6.insert(ipv6, for: UInt64(owner)) }
        }
        if previous == Self.v6Whole, packed >> Self.v6Shift != Self.v6Whole { wholeV6.remove(UInt64(owner)) }
        if previous != 0, previous != Self.v6Whole { v6DeltasMayBeUnused = true }
        if owner & Self.laterOwnerBit == 0 {
            entries[owner].first = Owner(v4: v4, packed: packed)
        } else {
            laterOwners[owner & ~Self.laterOwnerBit].owner = Owner(v4: v4, packed: packed)
        }
    }

    /// Forgets what owner `owner` held elsewhere (its whole IPv6 address, its report time).
    private mutating func forget(_ owner: Int) {
        let v6 = record(owner).packed >> Self.v6Shift
        if v6 == Self.v6Whole { wholeV6.remove(UInt64(owner)) }
        if v6 != 0, v6 != Self.v6Whole { v6DeltasMayBeUnused = true }
        reported.remove(Self.ownerKey(owner))
        ownerCount -= 1
    }

    /// Removes `count` owners whose packed user number and generation are `user`, in one pass over the
    /// entries (a user has at most one owner per name); frees the names left without owners.
    private mutating func removeOwners(user: UInt32, count: Int) {
        let mask = Self.userNumberMask | Self.generation
        var left = count
        var orphans: [UInt32] = []
        for index in entries.indices where entries[index].name != Self.freeEntry {
            if left == 0 { break }
            if entries[index].first.packed & mask == user {
                forget(index)
                entries[index].first = Owner(v4: 0, packed: 0)
                left -= 1
            } else {
                var previous: UInt32 = 0
                var reference = entries[index].next
                while reference != 0 {
                    let later = laterOwners[Int(reference - 1)]
                    if later.owner.packed & mask == user {
                        forget(Self.laterOwnerBit | Int(reference - 1))
                        if previous == 0 {
                            entries[index].next = later.next
                        } else {
                            laterOwners[Int(previous - 1)].next = later.next
                        }
                        // A free slot holds no user and no address.
                        laterOwners[Int(reference - 1)] = LaterOwner(owner: Owner(v4: 0, packed: 0), next: 0)
                        freeLaterOwners.append(reference - 1)
                        left -= 1
                        break
                    }
                    previous = reference
                    reference = later.next
                }
            }
            if !hasOwners(UInt32(index)) { orphans.append(UInt32(index)) }
        }
        // Most names going at once: one rebuild (a hash per name kept) instead of a backward shift (a hash
        // per name removed) each.
        if orphans.count * 2 > nameCount {
            for index in orphans { release(index) }
            if nameCount > 0 { rehash(size: Self.tableSize(for: nameCount)) } else { table = [] }
        } else {
            for index in orphans { unlink(index) }
        }
    }

    /// The `v6Deltas` number (index + 1) of `delta`, interned if new; nil when the table is full.
    private mutating func v6DeltaNumber(_ delta: IPv6Address) -> UInt32? {
        if let known = v6DeltaIndex[delta] { return known + 1 }
        if v6Deltas.count >= Self.maxV6Deltas, v6DeltasMayBeUnused { collectV6Deltas() }
        guard v6Deltas.count < Self.maxV6Deltas else { return nil }
        v6DeltaIndex[delta] = UInt32(v6Deltas.count)
        v6Deltas.append(delta)
        return UInt32(v6Deltas.count)
    }

    /// Drops the differences no owner uses any more, renumbering the rest.
    private mutating func collectV6Deltas() {
        var renumbered = [UInt32](repeating: 0, count: v6Deltas.count + 1)
        var used: [IPv6Address] = []
        func renumber(_ owner: inout Owner) {
            let number = owner.packed >> Self.v6Shift
            guard number != 0, number != Self.v6Whole else { return }
            if renumbered[Int(number)] == 0 {
                used.append(v6Deltas[Int(number - 1)])
                renumbered[Int(number)] = UInt32(used.count)
            }
            owner.packed = owner.packed & ~(Self.v6Whole << Self.v6Shift) | renumbered[Int(number)] << Self.v6Shift
        }
        for index in entries.indices { renumber(&entries[index].first) }
        for index in laterOwners.indices { renumber(&laterOwners[index].owner) }
        v6Deltas = used
        v6DeltaIndex = [:]
        for (index, delta) in used.enumerated() { v6DeltaIndex[delta] = UInt32(index) }
        v6DeltasMayBeUnused = false
    }

    /// Rewrites the arena without freed names when they take more room than the live ones, shrinks the
    /// table when it is under a quarter full (back to 70 %, far from the 80 % that grows it), and lets go
    /// of everything once empty.
    private mutating func compactIfWasteful() {
        if names.isWasteful {
            // A fresh arena also drops the suffixes no live name uses.
            var fresh = WireNameArena()
            fresh.reserve(names.bytes.count - names.garbage)
            for index in entries.indices where entries[index].name != Self.freeEntry {
                entries[index].name = names.withWire(entries[index].name) { fresh.append($0) }
            }
            names = fresh
        }
        if table.count > 64, nameCount > 0, nameCount * 4 < table.count {
            rehash(size: Self.tableSize(for: nameCount))
        }
        if nameCount == 0 {
            entries = []
            freeEntries = []
            names = WireNameArena()
            table = []
        }
        if ownerCount == 0 {
            laterOwners = []
            freeLaterOwners = []
            v6Deltas = []
            v6DeltaIndex = [:]
            v6DeltasMayBeUnused = false
            wholeV6 = UInt64Table()
        }
    }
}
