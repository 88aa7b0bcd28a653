import AgentConfig
import DNSCodec
import NIOCore

/// Every user's alias view in one table keyed by name, so a query costs one hash lookup whoever asks.
/// Names are stored lowercased in wire form; lookups hash the query's name buffer without allocating
/// (`DNSWire.caseInsensitiveHash`). A name shared by several users is one entry with several owners.
/// `setView` replaces one user's view in time proportional to the old and new view, not the whole table.
struct AliasIndex {
    struct Owner {
        var uid: UInt32
        var ipv4: IPv4Address?
        var ipv6: IPv6Address?
        /// When `aliasQueried` was last reported for this owner (uptime nanoseconds; 0 = never).
        var lastReported: UInt64
    }

    struct Entry {
        /// Lowercased uncompressed wire form.
        var name: [UInt8]
        var hash: Int
        /// The alias value as the broker spelled it (what `aliasQueried` reports).
        var alias: String
        var owners: [Owner]
        /// The next entry with the same hash (collisions are possible in principle, so they chain).
        var next: Int32
        /// When a union answer (unknown uid) for this name was last reported.
        var lastUnionReported: UInt64
    }

    private(set) var entries: [Entry] = []
    private var heads: [Int: Int32] = [:]
    private var freeSlots: [Int32] = []
    /// Entry indices per uid, for replacing a view, plus a fingerprint of the last view pushed, so that an
    /// unchanged refresh is a no-op (and does not flush the cache).
    private var views: [UInt32: (indices: [Int32], fingerprint: Int)] = [:]

    var userCount: Int { views.count }
    var nameCount: Int { heads.count }

    /// The uids that currently have a non-empty view.
    var uids: [UInt32] { Array(views.keys) }

    func find(_ name: DNSNameBuffer, hash: Int) -> Int32? {
        guard var index = heads[hash] else { return nil }
        while index >= 0 {
            let entry = entries[Int(index)]
            if entry.hash == hash, entry.name.withUnsafeBufferPointer({ name.equalsCaseInsensitive($0) }) {
                return index
            }
            index = entry.next
        }
        return nil
    }

    /// The owner record of `uid` in entry `index`, if that user has the alias.
    func owner(of index: Int32, uid: UInt32) -> Int? {
        let owners = entries[Int(index)].owners
        for position in 0..<owners.count where owners[position].uid == uid { return position }
        return nil
    }

    subscript(index: Int32) -> Entry {
        get { entries[Int(index)] }
        _modify { yield &entries[Int(index)] }
    }

    /// Replaces `uid`'s view; returns whether anything changed. Names that are not valid DNS names are
    /// skipped and returned in `rejected`.
    mutating func setView(uid: UInt32, entries newEntries: [AliasEntry]) -> (changed: Bool, rejected: [String]) {
        var rejected: [String] = []
        var normalized: [(wire: [UInt8], entry: AliasEntry)] = []
        normalized.reserveCapacity(newEntries.count)
        var hasher = Hasher()
        for entry in newEntries {
            guard let name = try? DNSName(entry.name), !name.isRoot else {
                rejected.append(entry.name)
                continue
            }
            let wire = name.lowercased.wire
            hasher.combine(wire)
            hasher.combine(entry.ipv4?.value)
            hasher.combine(entry.ipv6?.high)
            hasher.combine(entry.ipv6?.low)
            normalized.append((wire, entry))
        }
        let fingerprint = hasher.finalize()
        if let old = views[uid], old.fingerprint == fingerprint, old.indices.count == normalized.count {
            return (false, rejected)
        }
        if views[uid] == nil && normalized.isEmpty { return (false, rejected) }
        removeView(uid: uid)
        guard !normalized.isEmpty else { return (true, rejected) }
        var indices: [Int32] = []
        indices.reserveCapacity(normalized.count)
        for (wire, entry) in normalized {
            let index = findOrInsert(wire: wire, alias: entry.name)
            let owner = Owner(
                uid: uid, ipv4: entry.ipv4, ipv6: entry.ipv6, lastReported: 0)
            if let position = self.owner(of: index, uid: uid) {
                self.entries[Int(index)].owners[position] = owner  // a repeated name: the last one wins
            } else {
                self.entries[Int(index)].owners.append(owner)
                indices.append(index)
            }
        }
        views[uid] = (indices, fingerprint)
        return (true, rejected)
    }

    private mutating func removeView(uid: UInt32) {
        guard let old = views.removeValue(forKey: uid) else { return }
        for index in old.indices {
            entries[Int(index)].owners.removeAll { $0.uid == uid }
            if entries[Int(index)].owners.isEmpty { unlink(index) }
        }
    }

    private mutating func findOrInsert(wire: [UInt8], alias: String) -> Int32 {
        let hash = wire.withUnsafeBufferPointer { DNSWire.caseInsensitiveHash($0.baseAddress!, count: $0.count) }
        if var index = heads[hash] {
            while index >= 0 {
                if entries[Int(index)].name == wire { return index }
                index = entries[Int(index)].next
            }
        }
        let entry = Entry(
            name: wire, hash: hash, alias: alias, owners: [], next: heads[hash] ?? -1, lastUnionReported: 0)
        let index: Int32
        if let free = freeSlots.popLast() {
            index = free
            entries[Int(free)] = entry
        } else {
            index = Int32(entries.count)
            entries.append(entry)
        }
        heads[hash] = index
        return index
    }

    private mutating func unlink(_ index: Int32) {
        let hash = entries[Int(index)].hash
        guard var current = heads[hash] else { return }
        if current == index {
            let next = entries[Int(index)].next
            if next >= 0 { heads[hash] = next } else { heads.removeValue(forKey: hash) }
        } else {
            while current >= 0 {
                let next = entries[Int(current)].next
                if next == index {
                    entries[Int(current)].next = entries[Int(index)].next
                    break
                }
                current = next
            }
        }
        entries[Int(index)] = Entry(name: [], hash: 0, alias: "", owners: [], next: -1, lastUnionReported: 0)
        freeSlots.append(index)
    }
}
