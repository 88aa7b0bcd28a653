/// A hash table from `UInt64` keys to values, for the DNS worker's per-query tables: forwards in flight by
/// upstream socket serial << 16 | query ID, the answer cache's slots by key hash, and when each alias
/// owner was last reported. Open addressing with linear probing over a power-of-two table that doubles when
/// half full, backward-shift deletion (no tombstones); a slot is empty when its value is nil, so every key
/// can be stored. A key and its value share one slot, so a probe touches one cache line, not one in each
/// of two arrays (the answer cache's table outgrows the CPU caches).
///
/// Why not a `Dictionary`: it hashes every key with SipHash, and a forwarded query does four lookups (ID
/// check, insert, answer, remove), ~3 % of the worker's CPU per miss (issue 8). A multiplicative hash is
/// safe because we choose every stored key (our socket serials and random IDs, positions in our alias
/// index, hashes SipHash already made with a per-process seed); a key a peer chooses (an answer's ID)
/// only ever reads, and probes clusters our keys made.
struct UInt64Table<Value> {
    private struct Slot {
        var key: UInt64
        var value: Value?
    }

    private var slots: [Slot]
    private(set) var count = 0
    private var shift: UInt64

    static var initialCapacity: Int { 64 }

    init() {
        slots = Array(repeating: Slot(key: 0, value: nil), count: Self.initialCapacity)
        shift = UInt64(64 - Self.initialCapacity.trailingZeroBitCount)
    }

    var capacity: Int { slots.count }

    subscript(key: UInt64) -> Value? {
        guard let slot = slot(of: key) else { return nil }
        return slots[slot].value
    }

    func contains(_ key: UInt64) -> Bool { slot(of: key) != nil }

    /// Stores `value` under `key`, replacing what was there.
    mutating func insert(_ value: Value, for key: UInt64) {
        if (count + 1) * 2 > slots.count { grow() }
        store(value, for: key)
    }

    /// Removes every entry `shouldRemove` picks, and shrinks the table to fit the rest.
    mutating func removeAll(where shouldRemove: (UInt64, Value) -> Bool) {
        let old = slots
        var capacity = Self.initialCapacity
        let kept = old.filter { slot in
            guard let value = slot.value else { return false }
            return !shouldRemove(slot.key, value)
        }
        while kept.count * 2 > capacity { capacity *= 2 }
        reset(capacity: capacity)
        for slot in kept { store(slot.value!, for: slot.key) }
    }

    /// Removes and returns the value under `key`.
    @discardableResult
    mutating func remove(_ key: UInt64) -> Value? {
        guard var hole = slot(of: key) else { return nil }
        let removed = slots[hole].value
        let mask = slots.count - 1
        var next = hole
        while true {
            next = (next + 1) & mask
            guard slots[next].value != nil else { break }
            // The entry at `next` may move back into the hole unless its home lies cyclically in (hole, next].
            let home = home(of: slots[next].key)
            let stays = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next)
            if !stays {
                slots[hole] = slots[next]
                hole = next
            }
        }
        slots[hole].value = nil
        count -= 1
        return removed
    }

    private mutating func store(_ value: Value, for key: UInt64) {
        var slot = home(of: key)
        let mask = slots.count - 1
        while slots[slot].value != nil && slots[slot].key != key { slot = (slot + 1) & mask }
        if slots[slot].value == nil { count += 1 }
        slots[slot] = Slot(key: key, value: value)
    }

    private func home(of key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    private func slot(of key: UInt64) -> Int? {
        let mask = slots.count - 1
        var slot = home(of: key)
        while slots[slot].value != nil {
            if slots[slot].key == key { return slot }
            slot = (slot + 1) & mask
        }
        return nil
    }

    private mutating func grow() {
        let old = slots
        reset(capacity: old.count * 2)
        for slot in old {
            if let value = slot.value { store(value, for: slot.key) }
        }
    }

    private mutating func reset(capacity: Int) {
        slots = Array(repeating: Slot(key: 0, value: nil), count: capacity)
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        count = 0
    }
}
