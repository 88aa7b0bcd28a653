import AgentConfig
import DNSCodec

/// Every user's alias view in one table keyed by name, so a query costs one hash lookup whoever asks.
///
/// Sized for 10 users x 100,000 aliases (issue 8): about 60 bytes per (name, user) instead of one
/// heap object per name, per owner and per alias text.
/// - Names: lowercased uncompressed wire names in a `WireNameArena` (which stores a name's zone once
///   for all the names in it); an entry is (name reference, first owner). Freed names leave garbage that
///   is compacted when it outgrows the live names.
/// - Lookup: an open-addressing (linear probing) table of entry indices + 1 (0 = empty), at most half
///   full. Lookups hash the query's name buffer without allocating (`DNSWire.caseInsensitiveHash`) and
///   compare bytes in the arena; removal shifts the cluster back (no tombstones).
/// - Owners: a name shared by several users is one entry with a chain of owners (uid, IPv4, IPv6); an
///   IPv6 address is its low 64 bits plus an index into a small table of distinct high halves (one per
///   prefix in practice).
/// - When each owner was last reported (`aliasQueried` rate limit) lives in a small side table of the
///   recently queried ones, not in every owner.
/// `setView` replaces one user's view in time proportional to the old and new view, not the whole table;
/// names kept across a replacement stay where they are.
struct AliasIndex {
    private struct Entry {
        /// The `WireNameArena` reference; `UInt32.max` = a free entry.
        var name: UInt32
        /// Owner index + 1; 0 = no owner (only transiently, during `setView`).
        var firstOwner: UInt32
    }

    private struct Owner {
        var v6Low: UInt64
        var uid: UInt32
        var v4: UInt32
        /// Bit 31: has an IPv4 address. Bits 0...30: index + 1 into `v6Highs`; 0 = no IPv6 address.
        var flags: UInt32
        /// The next owner of the same name (index + 1; 0 = last).
        var next: UInt32
    }

    private static let hasV4: UInt32 = 1 << 31
    private static let freeEntry = UInt32.max

    private var names = WireNameArena()
    private var entries: [Entry] = []
    private var freeEntries: [UInt32] = []
    private var owners: [Owner] = []
    private var freeOwners: [UInt32] = []
    private var table: [UInt32] = []
    private(set) var nameCount = 0
    private var v6Highs: [UInt64] = []
    private var v6HighIndex: [UInt64: UInt32] = [:]
    /// The alias text as the broker spelled it, for the (rare) entries where it is not the text form of the
    /// stored lowercased name (the broker sends normalized values).
    private var spelled: [UInt32: String] = [:]
    /// Entry indices per uid, for replacing a view, plus a fingerprint of the last view pushed, so that an
    /// unchanged refresh is a no-op (and does not flush the cache).
    private var views: [UInt32: (indices: [UInt32], fingerprint: Int)] = [:]
    /// When `aliasQueried` was last reported, by `ownerKey`/`unionKey` (uptime nanoseconds).
    private var reported = UInt64Table<UInt64>()
    private var reportedPruneAt = 4096

    var userCount: Int { views.count }

    /// The uids that currently have a non-empty view.
    var uids: [UInt32] { Array(views.keys) }

    /// How many owners (name, user pairs) are stored.
    var ownerCount: Int { owners.count - freeOwners.count }

    // MARK: lookup (hot path: no allocation)

    /// The entry whose name equals `name` (case-insensitively); `hash` is `name.caseInsensitiveHash`.
    func find(_ name: DNSNameBuffer, hash: Int) -> Int32? {
        guard !table.isEmpty else { return nil }
        let mask = table.count - 1
        var slot = hash & mask
        while true {
            let reference = table[slot]
            if reference == 0 { return nil }
            if names.equals(entries[Int(reference - 1)].name, name.storage, count: name.count) {
                return Int32(reference - 1)
            }
            slot = (slot + 1) & mask
        }
    }

    /// The owner record of `uid` in entry `index`, if that user has the alias.
    func owner(of index: Int32, uid: UInt32) -> Int? {
        var reference = entries[Int(index)].firstOwner
        while reference != 0 {
            let owner = owners[Int(reference - 1)]
            if owner.uid == uid { return Int(reference - 1) }
            reference = owner.next
        }
        return nil
    }

    /// Some owner of entry `index` (for union answers: every owner has the same deterministic address).
    func anyOwner(of index: Int32) -> Int? {
        let reference = entries[Int(index)].firstOwner
        return reference == 0 ? nil : Int(reference - 1)
    }

    /// The addresses of owner record `owner`.
    func addresses(ofOwner owner: Int) -> (ipv4: IPv4Address?, ipv6: IPv6Address?) {
        let record = owners[owner]
        let ipv4 = record.flags & Self.hasV4 != 0 ? IPv4Address(value: record.v4) : nil
        let high = record.flags & ~Self.hasV4
        let ipv6 = high == 0 ? nil : IPv6Address(high: v6Highs[Int(high - 1)], low: record.v6Low)
        return (ipv4, ipv6)
    }

    /// The alias value as the broker pushed it (allocates: only for reports).
    func alias(of index: Int32) -> String {
        if let text = spelled[UInt32(index)] { return text }
        return Self.text(ofWire: nameBytes(index))
    }

    /// The rate-limit key of an owner's reports.
    static func ownerKey(_ owner: Int) -> UInt64 { UInt64(owner) }
    /// The rate-limit key of union (unknown uid) reports of entry `index`.
    static func unionKey(_ index: Int32) -> UInt64 { 1 << 32 | UInt64(UInt32(index)) }

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

    // MARK: views

    /// Replaces `uid`'s view; returns whether anything changed. Names that are not valid DNS names are
    /// skipped and returned in `rejected`. A name repeated in one view: the last one wins.
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
        if let old = views[uid], old.fingerprint == fingerprint, old.indices.count == kept.count {
            return (false, rejected)
        }
        if views[uid] == nil && kept.isEmpty { return (false, rejected) }
        // Detach the old owners but keep their names until the new view is in, so names in both stay put.
        let oldIndices = views.removeValue(forKey: uid)?.indices ?? []
        for index in oldIndices { removeOwner(uid: uid, from: index) }
        var indices: [UInt32] = []
        if !kept.isEmpty {
            reserve(names: kept.count, bytes: storedBytes, owners: kept.count)
            indices.reserveCapacity(kept.count)
            var offset = 0
            for position in kept {
                let length = Int(scratch[offset])
                let wire = (offset + 1)..<(offset + 1 + length)
                let index = scratch.withUnsafeBufferPointer { findOrInsert(UnsafeBufferPointer(rebasing: $0[wire])) }
                offset += 1 + length
                let entry = newEntries[position]
                if spelled[index] == nil, entries[Int(index)].firstOwner == 0 {
                    // A new name, or one whose owners all left: this spelling is the reported one. (The stored
                    // name is this wire name, which the scratch holds whole.)
                    if !Self.isPlainSpelling(entry.name, of: scratch[wire]) { spelled[index] = entry.name }
                }
                if let existing = owner(of: Int32(index), uid: uid) {
                    owners[existing] = makeOwner(uid: uid, entry, next: owners[existing].next)
                } else {
                    let owner = allocateOwner(makeOwner(uid: uid, entry, next: entries[Int(index)].firstOwner))
                    entries[Int(index)].firstOwner = UInt32(owner + 1)
                    indices.append(index)
                }
            }
            views[uid] = (indices, fingerprint)
        }
        for index in oldIndices where entries[Int(index)].firstOwner == 0 { unlink(index) }
        if ownerCount == 0 {
            v6Highs.removeAll()
            v6HighIndex.removeAll()
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

    /// Grows each store once for a batch, with a little headroom rather than Array's doubling.
    private mutating func reserve(names: Int, bytes: Int, owners count: Int) {
        func grow<T>(_ array: inout [T], _ extra: Int) {
            let needed = array.count + extra
            if array.capacity < needed { array.reserveCapacity(needed + needed / 8) }
        }
        self.names.reserve(bytes)
        grow(&entries, max(0, names - freeEntries.count))
        grow(&owners, max(0, count - freeOwners.count))
        var size = max(table.count, 64)
        while (nameCount + names) * 2 > size { size *= 2 }
        if size != table.count { rehash(size: size) }
    }

    private mutating func rehash(size: Int) {
        var newTable = [UInt32](repeating: 0, count: size)
        let mask = size - 1
        for (index, entry) in entries.enumerated() where entry.name != Self.freeEntry {
            var slot = hash(ofEntry: UInt32(index)) & mask
            while newTable[slot] != 0 { slot = (slot + 1) & mask }
            newTable[slot] = UInt32(index + 1)
        }
        table = newTable
    }

    /// The entry of the lowercased wire name `wire`, inserted when new (the table has room: `reserve`).
    private mutating func findOrInsert(_ wire: UnsafeBufferPointer<UInt8>) -> UInt32 {
        if (nameCount + 1) * 2 > table.count { rehash(size: max(64, table.count * 2)) }
        let mask = table.count - 1
        var slot = Self.hash(wire) & mask
        while true {
            let reference = table[slot]
            if reference == 0 { break }
            if names.equals(entries[Int(reference - 1)].name, wire.baseAddress!, count: wire.count) {
                return reference - 1
            }
            slot = (slot + 1) & mask
        }
        let entry = Entry(name: names.append(wire), firstOwner: 0)
        let index: UInt32
        if let free = freeEntries.popLast() {
            index = free
            entries[Int(free)] = entry
        } else {
            index = UInt32(entries.count)
            entries.append(entry)
        }
        table[slot] = index + 1
        nameCount += 1
        return index
    }

    /// Removes entry `index` (no owners left) from the table (backward-shift deletion) and frees it.
    private mutating func unlink(_ index: UInt32) {
        let mask = table.count - 1
        var hole = hash(ofEntry: index) & mask
        while table[hole] != index + 1 { hole = (hole + 1) & mask }
        table[hole] = 0
        var probe = hole
        while true {
            probe = (probe + 1) & mask
            let reference = table[probe]
            if reference == 0 { break }
            let home = hash(ofEntry: reference - 1) & mask
            // Move it into the hole when the hole lies on its probe path (cyclically between home and probe).
            if (probe &- home) & mask >= (probe &- hole) & mask {
                table[hole] = reference
                table[probe] = 0
                hole = probe
            }
        }
        names.free(entries[Int(index)].name)
        entries[Int(index)] = Entry(name: Self.freeEntry, firstOwner: 0)
        freeEntries.append(index)
        nameCount -= 1
        spelled.removeValue(forKey: index)
        reported.remove(Self.unionKey(Int32(index)))
    }

    private mutating func makeOwner(uid: UInt32, _ entry: AliasEntry, next: UInt32) -> Owner {
        var flags: UInt32 = 0
        if entry.ipv4 != nil { flags |= Self.hasV4 }
        if let ipv6 = entry.ipv6 {
            if v6Highs.count >= 1 << 20 { collectV6Highs() }
            if let known = v6HighIndex[ipv6.high] {
                flags |= known + 1
            } else {
                v6Highs.append(ipv6.high)
                v6HighIndex[ipv6.high] = UInt32(v6Highs.count - 1)
                flags |= UInt32(v6Highs.count)
            }
        }
        return Owner(v6Low: entry.ipv6?.low ?? 0, uid: uid, v4: entry.ipv4?.value ?? 0, flags: flags, next: next)
    }

    /// Drops the IPv6 high halves no owner uses any more (only after a million distinct ones).
    private mutating func collectV6Highs() {
        var used: [UInt64] = []
        var map: [UInt64: UInt32] = [:]
        for index in owners.indices {
            let high = owners[index].flags & ~Self.hasV4
            guard high != 0 else { continue }
            let value = v6Highs[Int(high - 1)]
            let newIndex: UInt32
            if let known = map[value] {
                newIndex = known
            } else {
                newIndex = UInt32(used.count)
                used.append(value)
                map[value] = newIndex
            }
            owners[index].flags = (owners[index].flags & Self.hasV4) | (newIndex + 1)
        }
        v6Highs = used
        v6HighIndex = map
    }

    private mutating func allocateOwner(_ owner: Owner) -> Int {
        if let free = freeOwners.popLast() {
            owners[Int(free)] = owner
            return Int(free)
        }
        owners.append(owner)
        return owners.count - 1
    }

    private mutating func removeOwner(uid: UInt32, from index: UInt32) {
        var previous: UInt32 = 0
        var reference = entries[Int(index)].firstOwner
        while reference != 0 {
            let owner = owners[Int(reference - 1)]
            if owner.uid == uid {
                if previous == 0 {
                    entries[Int(index)].firstOwner = owner.next
                } else {
                    owners[Int(previous - 1)].next = owner.next
                }
                // Free freed owners' free-list slots hold no addresses: flags 0, uid 0, next 0.
                owners[Int(reference - 1)] = Owner(v6Low: 0, uid: 0, v4: 0, flags: 0, next: 0)
                freeOwners.append(reference - 1)
                reported.remove(Self.ownerKey(Int(reference - 1)))
                return
            }
            previous = reference
            reference = owner.next
        }
    }

    /// Rewrites the arena without freed names when they take more room than the live ones, and shrinks the
    /// table when it is mostly empty.
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
        if table.count > 64, nameCount > 0, nameCount * 8 < table.count {
            var size = 64
            while nameCount * 2 > size { size *= 2 }
            rehash(size: size * 2)
        }
        if nameCount == 0 {
            entries = []
            freeEntries = []
            names = WireNameArena()
            table = []
        }
        if ownerCount == 0 {
            owners = []
            freeOwners = []
        }
    }
}
