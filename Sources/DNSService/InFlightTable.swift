/// Forwarded queries waiting for their UDP answer, by key (upstream socket serial << 16 | query ID): open
/// addressing with linear probing over a power-of-two table that doubles when half full, and backward-shift
/// deletion (no tombstones).
///
/// Why not a `Dictionary`: it hashes every key with SipHash, and a miss does four lookups (ID check,
/// insert, answer, remove), ~3 % of the DNS worker's CPU per miss (issue 8). A multiplicative hash is safe
/// here because we choose every stored key (our socket serials, our random IDs); an answer's ID, which a
/// forger does choose, only ever reads, and the clusters it can probe are the ones our random keys made.
struct InFlightTable<Value: AnyObject> {
    /// 0 = empty slot (serials start at 1, so no key is 0).
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
        precondition(key != 0, "key 0 marks an empty slot")
        if (count + 1) * 2 > keys.count { grow() }
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
        guard var hole = slot(of: key) else { return nil }
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

    private func slot(of key: UInt64) -> Int? {
        guard key != 0 else { return nil }
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
        let capacity = oldKeys.count * 2
        keys = Array(repeating: 0, count: capacity)
        values = Array(repeating: nil, count: capacity)
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        count = 0
        for index in oldKeys.indices where oldKeys[index] != 0 {
            insert(oldValues[index]!, for: oldKeys[index])
        }
    }
}
