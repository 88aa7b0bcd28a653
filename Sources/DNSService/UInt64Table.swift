/// A hash table from `UInt64` keys (any but `UInt64.max`) to values, for the DNS worker's per-query tables:
/// forwards in flight by upstream socket serial << 16 | query ID, and when each alias owner was last
/// reported. Open addressing with linear probing over a power-of-two table that doubles when half full,
/// backward-shift deletion (no tombstones).
///
/// Why not a `Dictionary`: it hashes every key with SipHash, and a forwarded query does four lookups (ID
/// check, insert, answer, remove), ~3 % of the worker's CPU per miss (issue 8). A multiplicative hash is
/// safe because we choose every stored key (our socket serials and random IDs, positions in our alias
/// index); a key a peer chooses (an answer's ID) only ever reads, and probes clusters our keys made.
struct UInt64Table<Value> {
    /// Stored as key + 1, so 0 marks an empty slot.
    private var keys: [UInt64]
    private var values: [Value?]
    private(set) var count = 0
    private var shift: UInt64

    static var initialCapacity: Int { 64 }

    init() {
        keys = Array(repeating: 0, count: Self.initialCapacity)
        values = Array(repeating: nil, count: Self.initialCapacity)
        shift = UInt64(64 - Self.initialCapacity.trailingZeroBitCount)
    }

    var capacity: Int { keys.count }

    subscript(key: UInt64) -> Value? {
        guard let slot = slot(of: key &+ 1) else { return nil }
        return values[slot]
    }

    func contains(_ key: UInt64) -> Bool { slot(of: key &+ 1) != nil }

    /// Stores `value` under `key`, replacing what was there.
    mutating func insert(_ value: Value, for key: UInt64) {
        precondition(key != UInt64.max, "UInt64.max cannot be stored")
        if (count + 1) * 2 > keys.count { grow() }
        store(value, stored: key &+ 1)
    }

    /// Removes every entry `shouldRemove` picks, and shrinks the table to fit the rest.
    mutating func removeAll(where shouldRemove: (UInt64, Value) -> Bool) {
        let oldKeys = keys
        let oldValues = values
        var capacity = Self.initialCapacity
        let kept = oldKeys.indices.filter { oldKeys[$0] != 0 && !shouldRemove(oldKeys[$0] &- 1, oldValues[$0]!) }
        while kept.count * 2 > capacity { capacity *= 2 }
        reset(capacity: capacity)
        for index in kept { store(oldValues[index]!, stored: oldKeys[index]) }
    }

    private mutating func store(_ value: Value, stored key: UInt64) {
        var slot = home(of: key)
        let mask = keys.count - 1
        while keys[slot] != 0 && keys[slot] != key { slot = (slot + 1) & mask }
        if keys[slot] == 0 { count += 1 }
        keys[slot] = key
        values[slot] = value
    }

    /// Removes and returns the value under `key`.
    @discardableResult
    mutating func remove(_ key: UInt64) -> Value? {
        guard var hole = slot(of: key &+ 1) else { return nil }
        let removed = values[hole]
        let mask = keys.count - 1
        var next = hole
        while true {
            next = (next + 1) & mask
            guard keys[next] != 0 else { break }
            // The entry at `next` may move back into the hole unless its home lies cyclically in (hole, next].
            let home = home(of: keys[next])
            let stays = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next)
            if !stays {
                keys[hole] = keys[next]
                values[hole] = values[next]
                hole = next
            }
        }
        keys[hole] = 0
        values[hole] = nil
        count -= 1
        return removed
    }

    private func home(of key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The slot holding the stored (already + 1) key.
    private func slot(of key: UInt64) -> Int? {
        guard key != 0 else { return nil }  // UInt64.max + 1: never stored
        let mask = keys.count - 1
        var slot = home(of: key)
        while true {
            let stored = keys[slot]
            if stored == key { return slot }
            if stored == 0 { return nil }
            slot = (slot + 1) & mask
        }
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        reset(capacity: oldKeys.count * 2)
        for index in oldKeys.indices where oldKeys[index] != 0 { store(oldValues[index]!, stored: oldKeys[index]) }
    }

    private mutating func reset(capacity: Int) {
        keys = Array(repeating: 0, count: capacity)
        values = Array(repeating: nil, count: capacity)
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        count = 0
    }
}
