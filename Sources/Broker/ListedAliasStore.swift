/// One user's listed aliases (by alias id), compact: ids and values in one `ByteArena`, destinations (a
/// handful of target ids) interned, and two `SlotTable` indexes, by id and by value. About 70 bytes an
/// alias instead of the ~220 of a `[String: ListedAlias]` plus a `[String: Int]` of value counts.
public struct ListedAliasStore: Sendable {
    private struct Record: Sendable {
        /// `ByteArena` offsets; `id == UInt32.max` marks a free record.
        var id: UInt32
        var value: UInt32
        /// Index + 1 into `destinations`; 0 = none.
        var destination: UInt32
    }

    private var arena = ByteArena()
    private var records: [Record] = []
    private var freeRecords: [UInt32] = []
    private var byID = SlotTable()
    private var byValue = SlotTable()
    private var destinations: [String] = []
    private var destinationIndex: [String: UInt32] = [:]

    public init() {}

    public var count: Int { byID.count }
    public var isEmpty: Bool { byID.count == 0 }

    /// Whether some listed alias has this (normalized) value.
    public func contains(value: String) -> Bool {
        var value = value
        return value.withUTF8 { findValue($0) != nil }
    }

    public func alias(id: String) -> ListedAlias? {
        var id = id
        return id.withUTF8 { findID($0) }.map(alias(at:))
    }

    /// Some listed alias with this value.
    public func alias(value: String) -> ListedAlias? {
        var value = value
        return value.withUTF8 { findValue($0) }.map(alias(at:))
    }

    /// Every listed alias's value (a value listed under several ids once per id).
    public func forEachValue(_ body: (String) -> Void) {
        for record in records where record.id != UInt32.max { body(arena.string(at: record.value)) }
    }

    public var aliases: [ListedAlias] {
        records.indices.filter { records[$0].id != UInt32.max }.map { alias(at: UInt32($0)) }
    }

    /// Adds or replaces the alias with `alias.id`; returns the value it had before.
    @discardableResult
    public mutating func upsert(_ alias: ListedAlias) -> String? {
        let old = remove(id: alias.id)
        var id = alias.id
        var value = alias.value
        let record = Record(
            id: id.withUTF8 { arena.append($0) }, value: value.withUTF8 { arena.append($0) },
            destination: alias.destinationID.map { internDestination($0) } ?? 0)
        let index = records.place(record, reusing: &freeRecords)
        do {
            let (arena, records) = (self.arena, self.records)
            byID.insert(index, hash: arena.hash(at: record.id)) { arena.hash(at: records[Int($0)].id) }
            byValue.insert(index, hash: arena.hash(at: record.value)) { arena.hash(at: records[Int($0)].value) }
        }
        return old
    }

    /// Removes the alias with this id; returns its value.
    @discardableResult
    public mutating func remove(id: String) -> String? {
        var id = id
        guard let index = id.withUTF8({ findID($0) }) else { return nil }
        let record = records[Int(index)]
        let value = arena.string(at: record.value)
        do {
            let (arena, records) = (self.arena, self.records)
            byID.remove(index, hash: arena.hash(at: record.id)) { arena.hash(at: records[Int($0)].id) }
            byValue.remove(index, hash: arena.hash(at: record.value)) { arena.hash(at: records[Int($0)].value) }
        }
        arena.free(at: record.id)
        arena.free(at: record.value)
        records[Int(index)] = Record(id: UInt32.max, value: 0, destination: 0)
        freeRecords.append(index)
        if byID.count == 0 {
            removeAll()
        } else if arena.isWasteful {
            compact()
        }
        return value
    }

    public mutating func removeAll() {
        self = ListedAliasStore()
    }

    /// Makes room for `extra` more aliases of about `bytes` bytes of id and value text in all.
    public mutating func reserve(_ extra: Int, bytes: Int) {
        arena.reserve(bytes + 2 * extra)
        let needed = records.count + max(0, extra - freeRecords.count)
        if records.capacity < needed { records.reserveCapacity(needed + needed / 8) }
        do {
            let (arena, records) = (self.arena, self.records)
            byID.reserve(extra) { arena.hash(at: records[Int($0)].id) }
            byValue.reserve(extra) { arena.hash(at: records[Int($0)].value) }
        }
    }

    // MARK: - Internals

    private func alias(at index: UInt32) -> ListedAlias {
        let record = records[Int(index)]
        var alias = ListedAlias(id: arena.string(at: record.id), value: "")
        alias.value = arena.string(at: record.value)  // stored normalized already
        alias.destinationID = record.destination == 0 ? nil : destinations[Int(record.destination - 1)]
        return alias
    }

    private func findID(_ id: UnsafeBufferPointer<UInt8>) -> UInt32? {
        byID.find(hash: ByteArena.hash(id)) { arena.equals(at: records[Int($0)].id, id) }
    }

    private func findValue(_ value: UnsafeBufferPointer<UInt8>) -> UInt32? {
        byValue.find(hash: ByteArena.hash(value)) { arena.equals(at: records[Int($0)].value, value) }
    }

    private mutating func internDestination(_ destination: String) -> UInt32 {
        if let known = destinationIndex[destination] { return known + 1 }
        destinations.append(destination)
        destinationIndex[destination] = UInt32(destinations.count - 1)
        return UInt32(destinations.count)
    }

    /// Rewrites the arena without freed strings (record numbers stay, so the indexes stay valid).
    private mutating func compact() {
        var fresh = ByteArena()
        fresh.reserve(arena.bytes.count - arena.garbage)
        for index in records.indices where records[index].id != UInt32.max {
            records[index].id = arena.withBytes(at: records[index].id) { fresh.append($0) }
            records[index].value = arena.withBytes(at: records[index].value) { fresh.append($0) }
        }
        arena = fresh
    }
}
