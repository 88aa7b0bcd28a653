/// A hash table from `UInt64` keys to values, for the DNS worker's per-query tables: forwards in flight by
/// upstream socket serial << 16 | query ID, the answer cache's slots by key hash, and when each alias
/// owner was last reported. Open addressing with linear probing over a power-of-two table that doubles when
/// half full, backward-shift deletion (no tombstones); a slot is empty when its value is nil, so every key
/// can be stored.
///
/// Why not a `Dictionary`: it hashes every key with SipHash, and a forwarded query does four lookups (ID
/// check, insert, answer, remove), ~3 % of the worker's CPU per miss (issue 8). A multiplicative hash is
/// safe because we choose every stored key (our socket serials and random IDs, positions in our alias
/// index, hashes SipHash already made with a per-process seed); a key a peer chooses (an answer's ID)
/// only ever reads, and probes clusters our keys made.
struct UInt64Table<Value> {
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
        guard let slot = slot(of: key) else { return nil }
        return values[slot]
    }

    func contains(_ key: UInt64) -> Bool { slot(of: key) != nil }

    /// Stores `value` under `key`, replacing what was there.
    mutating func insert(_ value: Value, for key: UInt64) {
        if (count + 1) * 2 > keys.count { grow() }
        store(value, for: key)
    }

    /// Removes every entry `shouldRemove` picks, and shrinks the table to fit the rest.
    mutating func removeAll(where shouldRemove: (UInt64, Value) -> Bool) {
        let oldKeys = keys
        let oldValues = values
        var capacity = Self.initialCapacity
        let kept = oldValues.indices.filter { index in
            guard let value = oldValues[index] else { return false }
            return !shouldRemove(oldKeys[index], value)
        }
        while kept.count * 2 > capacity { capacity *= 2 }
        reset(capacity: capacity)
        for index in kept { store(oldValues[index]!, for: oldKeys[index]) }
    }

    /// Removes and returns the value under `key`.
    @discardableResult
    mutating func remove(_ key: UInt64) -> Value? {
        guard var hole = slot(of: key) else { return nil }
        let removed = values[hole]
        let mask = keys.count - 1
        var next = hole
        while true {
            next = (next + 1) & mask
            guard values[next] != nil else { break }
            // The entry at `next` may move back into the hole unless its home lies cyclically in (hole, next].
            let home = home(of: keys[next])
            let stays = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next)
            if !stays {
                keys[hole] = keys[next]
                values[hole] = values[next]
                hole = next
            }
        }
        values[hole] = nil
        count -= 1
        return removed
    }

    private mutating func store(_ value: Value, for key: UInt64) {
        var slot = home(of: key)
        let mask = keys.count - 1
        while values[slot] != nil && keys[slot] != key { slot = (slot + 1) & mask }
        if values[slot] == nil { count += 1 }
        keys[slot] = key
        values[slot] = value
    }

    private func home(of key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    private func slot(of key: UInt64) -> Int? {
        let mask = keys.count - 1
        var slot = home(of: key)
        while values[slot] != nil {
            if keys[slot] == key { return slot }
            slot = (slot + 1) & mask
        }
        return nil
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        reset(capacity: oldKeys.count * 2)
        for index in oldValues.indices {
            if let value = oldValues[index] { store(value, for: oldKeys[index]) }
        }
    }

    private mutating func reset(capacity: Int) {
        keys = Array(repeating: 0, count: capacity)
        values = Array(repeating: nil, count: capacity)
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        count = 0
    }
}
