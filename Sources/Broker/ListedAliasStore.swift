/// One user's listed aliases (by alias id), compact: ids numbered (`CompactAliasID`; text in a `ByteArena`
/// only for ids of another form), values as numbers in the broker's `NameTable` (shared with the other users'
/// stores and the address allocator, so a name is stored once), destinations (a handful of target ids)
/// interned, a `SlotTable` index by id, and the set of value numbers (`NumberSet`). About 22 bytes an alias
/// plus the shared name, instead of the ~220 of a `[String: ListedAlias]` plus a `[String: Int]` of value
/// counts.
public struct ListedAliasStore: Sendable {
    private struct Record: Sendable {
        /// A `CompactAliasID` number, or `textID` plus the `ids` offset of an id of another form;
        /// `freeRecord` marks a free record.
        var id: UInt64
        /// `NameTable` number.
        var value: UInt32
        /// Index + 1 into `destinations`; 0 = none.
        var destination: UInt32
    }

    /// Above every `CompactAliasID` number.
    private static let textID: UInt64 = 1 << 62
    private static let freeRecord = UInt64.max

    let names: NameTable
    /// Ids that are not `CompactAliasID`s.
    private var ids = ByteArena()
    private var records: [Record] = []
    private var freeRecords: [UInt32] = []
    private var byID = SlotTable()
    /// The values' name numbers; `repeatedValues` counts the extra ids of a value listed under several.
    private var values = NumberSet()
    private var repeatedValues: [UInt32: UInt32] = [:]
    private var destinations: [String] = []
    private var destinationIndex: [String: UInt32] = [:]

    /// `names`: the broker's table.
    init(names: NameTable) {
        self.names = names
    }

    /// A store with a name table of its own (tests).
    public init() {
        self.init(names: NameTable())
    }

    public var count: Int { byID.count }
    public var isEmpty: Bool { byID.count == 0 }

    /// Whether some listed alias has this (normalized) value.
    public func contains(value: String) -> Bool {
        guard let name = names.find(value) else { return false }
        return values.contains(name)
    }

    public func alias(id: String) -> ListedAlias? {
        var id = id
        return id.withUTF8 { findID($0) }.map(alias(at:))
    }

    /// Some listed alias with this value (O(count): for `explain`).
    public func alias(value: String) -> ListedAlias? {
        guard let name = names.find(value), values.contains(name),
            let index = records.firstIndex(where: { $0.value == name && $0.id != Self.freeRecord })
        else { return nil }
        return alias(at: UInt32(index))
    }

    /// Every listed alias's value (a value listed under several ids once per id).
    public func forEachValue(_ body: (String) -> Void) {
        for record in records where record.id != Self.freeRecord { body(names.string(record.value)) }
    }

    /// Every listed alias's value as its `NameTable` number (once per id, like `forEachValue`).
    func forEachValueName(_ body: (UInt32) -> Void) {
        for record in records where record.id != Self.freeRecord { body(record.value) }
    }

    /// Marks every name this store uses (`NameTable.collect`).
    func markNames(_ marks: inout NameTable.Marks) {
        forEachValueName { marks.insert($0) }
    }

    public var aliases: [ListedAlias] {
        records.indices.filter { records[$0].id != Self.freeRecord }.map { alias(at: UInt32($0)) }
    }

    /// Adds or replaces the alias with `alias.id`; returns the value it had before.
    @discardableResult
    public mutating func upsert(_ alias: ListedAlias) -> String? {
        let old = remove(id: alias.id)
        var id = alias.id
        let record = Record(
            id: id.withUTF8 { CompactAliasID.encode($0) ?? (Self.textID | UInt64(ids.append($0))) },
            value: names.intern(alias.value),
            destination: alias.destinationID.map { internDestination($0) } ?? 0)
        let index = records.place(record, reusing: &freeRecords)
        do {
            let (ids, records) = (self.ids, self.records)
            byID.insert(index, hash: Self.hash(id: record.id, ids)) { Self.hash(id: records[Int($0)].id, ids) }
        }
        if !values.insert(record.value) { repeatedValues[record.value, default: 0] += 1 }
        return old
    }

    /// Removes the alias with this id; returns its value.
    @discardableResult
    public mutating func remove(id: String) -> String? {
        var id = id
        guard let index = id.withUTF8({ findID($0) }) else { return nil }
        let record = records[Int(index)]
        let value = names.string(record.value)
        do {
            let (ids, records) = (self.ids, self.records)
            byID.remove(index, hash: Self.hash(id: record.id, ids)) { Self.hash(id: records[Int($0)].id, ids) }
        }
        if let extra = repeatedValues[record.value] {
            repeatedValues[record.value] = extra > 1 ? extra - 1 : nil
        } else {
            values.remove(record.value)
        }
        if record.id & Self.textID != 0 { ids.free(at: UInt32(truncatingIfNeeded: record.id)) }
        names.noteDropped()
        records[Int(index)] = Record(id: Self.freeRecord, value: 0, destination: 0)
        freeRecords.append(index)
        if byID.count == 0 {
            self = ListedAliasStore(names: names)
        } else if ids.isWasteful {
            compactIDs()
        }
        return value
    }

    public mutating func removeAll() {
        names.noteDropped(count)
        self = ListedAliasStore(names: names)
    }

    /// Makes room for `extra` more aliases whose values take `valueBytes` in all (`ByteArena.storedSize`; ids
    /// of the usual form take no arena bytes, others grow it as they come).
    public mutating func reserve(_ extra: Int, valueBytes: Int) {
        names.reserve(extra, bytes: valueBytes)
        let needed = records.count + max(0, extra - freeRecords.count)
        if records.capacity < needed { records.reserveCapacity(needed + needed / 8) }
        do {
            let (ids, records) = (self.ids, self.records)
            byID.reserve(extra) { Self.hash(id: records[Int($0)].id, ids) }
        }
    }

    // MARK: - Internals

    private func alias(at index: UInt32) -> ListedAlias {
        let record = records[Int(index)]
        let id =
            record.id & Self.textID != 0
            ? ids.string(at: UInt32(truncatingIfNeeded: record.id)) : CompactAliasID.decode(record.id)
        var alias = ListedAlias(id: id, value: "")
        alias.value = names.string(record.value)  // stored normalized already
        alias.destinationID = record.destination == 0 ? nil : destinations[Int(record.destination - 1)]
        return alias
    }

    private func findID(_ id: UnsafeBufferPointer<UInt8>) -> UInt32? {
        if let number = CompactAliasID.encode(id) {
            return byID.find(hash: Self.hash(number)) { records[Int($0)].id == number }
        }
        return byID.find(hash: ByteArena.hash(id)) {
            let stored = records[Int($0)].id
            return stored & Self.textID != 0 && ids.equals(at: UInt32(truncatingIfNeeded: stored), id)
        }
    }

    /// The `byID` hash of a record's id: of the number, or of the text for an id of another form (an id has
    /// only one of the two forms, so equal ids hash alike).
    private static func hash(id: UInt64, _ ids: ByteArena) -> Int {
        id & textID != 0 ? ids.hash(at: UInt32(truncatingIfNeeded: id)) : hash(id)
    }

    private static func hash(_ number: UInt64) -> Int {
        var hasher = Hasher()
        hasher.combine(number)
        return hasher.finalize()
    }

    private mutating func internDestination(_ destination: String) -> UInt32 {
        if let known = destinationIndex[destination] { return known + 1 }
        destinations.append(destination)
        destinationIndex[destination] = UInt32(destinations.count - 1)
        return UInt32(destinations.count)
    }

    /// Rewrites the id arena without freed ids (record numbers stay, so the indexes stay valid).
    private mutating func compactIDs() {
        var fresh = ByteArena()
        fresh.reserve(ids.bytes.count - ids.garbage)
        for index in records.indices where records[index].id != Self.freeRecord {
            let id = records[index].id
            if id & Self.textID != 0 {
                records[index].id =
                    Self.textID | UInt64(ids.withBytes(at: UInt32(truncatingIfNeeded: id)) { fresh.append($0) })
            }
        }
        ids = fresh
    }
}
