/// Building blocks for the broker's per-alias state at scale (10 users x 100,000 aliases, issue 8): strings
/// back to back in one byte array instead of one heap object each, and hash indexes of 32-bit record
/// numbers instead of `Dictionary<String, …>` (whose entries cost 60-100 bytes apiece plus the string).

/// Strings stored back to back, each preceded by its LEB128 length; a string is named by its offset.
/// Freed strings leave garbage until `compacted` rewrites the live ones.
struct ByteArena: Sendable {
    private(set) var bytes: [UInt8] = []
    private(set) var garbage = 0

    var isWasteful: Bool { garbage > 4096 && garbage * 2 > bytes.count }

    mutating func append(_ text: String) -> UInt32 {
        var text = text
        return text.withUTF8 { append($0) }
    }

    mutating func append(_ utf8: UnsafeBufferPointer<UInt8>) -> UInt32 {
        // Offsets are 32-bit: 4 GiB of alias text is far beyond any pool (a /10 holds 4 million aliases).
        precondition(bytes.count + utf8.count + 5 < Int(UInt32.max))
        let offset = UInt32(bytes.count)
        var length = utf8.count
        repeat {
            let low = UInt8(length & 0x7F)
            length >>= 7
            bytes.append(length == 0 ? low : low | 0x80)
        } while length != 0
        bytes.append(contentsOf: utf8)
        return offset
    }

    /// The bytes of the string at `offset`.
    func withBytes<R>(at offset: UInt32, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        bytes.withUnsafeBufferPointer { all in
            var position = Int(offset)
            var length = 0
            var shift = 0
            while true {
                let byte = all[position]
                position += 1
                length |= Int(byte & 0x7F) << shift
                shift += 7
                if byte & 0x80 == 0 { break }
            }
            return body(UnsafeBufferPointer(rebasing: all[position..<(position + length)]))
        }
    }

    func string(at offset: UInt32) -> String {
        withBytes(at: offset) { String(decoding: $0, as: UTF8.self) }
    }

    func equals(at offset: UInt32, _ other: UnsafeBufferPointer<UInt8>) -> Bool {
        withBytes(at: offset) { mine in
            mine.count == other.count
                && (mine.count == 0 || memcmp(mine.baseAddress!, other.baseAddress!, mine.count) == 0)
        }
    }

    func hash(at offset: UInt32) -> Int {
        withBytes(at: offset) { ByteArena.hash($0) }
    }

    static func hash(_ utf8: UnsafeBufferPointer<UInt8>) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes: UnsafeRawBufferPointer(utf8))
        return hasher.finalize()
    }

    mutating func free(at offset: UInt32) {
        garbage += withBytes(at: offset) { $0.count + ($0.count < 128 ? 1 : $0.count < 16384 ? 2 : 5) }
    }

    mutating func removeAll() {
        bytes = []
        garbage = 0
    }

    mutating func reserve(_ extra: Int) {
        let needed = bytes.count + extra
        if bytes.capacity < needed { bytes.reserveCapacity(needed + needed / 8) }
    }
}

/// An open-addressing (linear probing, at most half full) hash index of record numbers. The records and
/// their keys live elsewhere: callers pass the hash of a key and closures that compare or rehash records.
/// Several records may share a key (a multi-map); `find` returns the first that `matches`.
struct SlotTable: Sendable {
    /// Record number + 1; 0 = empty.
    private(set) var slots: [UInt32] = []
    private(set) var count = 0

    func find(hash: Int, matches: (UInt32) -> Bool) -> UInt32? {
        guard !slots.isEmpty else { return nil }
        let mask = slots.count - 1
        var slot = hash & mask
        while true {
            let reference = slots[slot]
            if reference == 0 { return nil }
            if matches(reference - 1) { return reference - 1 }
            slot = (slot + 1) & mask
        }
    }

    /// Makes room for `extra` more records.
    mutating func reserve(_ extra: Int, hashOf: (UInt32) -> Int) {
        var size = max(slots.count, 16)
        while (count + extra) * 2 > size { size *= 2 }
        if size != slots.count { rebuild(size: size, hashOf: hashOf) }
    }

    mutating func insert(_ record: UInt32, hash: Int, hashOf: (UInt32) -> Int) {
        reserve(1, hashOf: hashOf)
        let mask = slots.count - 1
        var slot = hash & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = record + 1
        count += 1
    }

    /// Removes `record` (whose key hashes to `hash`), shifting its cluster back (no tombstones).
    mutating func remove(_ record: UInt32, hash: Int, hashOf: (UInt32) -> Int) {
        guard !slots.isEmpty else { return }
        let mask = slots.count - 1
        var hole = hash & mask
        while slots[hole] != record + 1 {
            if slots[hole] == 0 { return }  // not present
            hole = (hole + 1) & mask
        }
        slots[hole] = 0
        count -= 1
        var probe = hole
        while true {
            probe = (probe + 1) & mask
            let reference = slots[probe]
            if reference == 0 { break }
            let home = hashOf(reference - 1) & mask
            // It may fill the hole when the hole lies on its probe path (cyclically from home to probe).
            if (probe &- home) & mask >= (probe &- hole) & mask {
                slots[hole] = reference
                slots[probe] = 0
                hole = probe
            }
        }
        if slots.count > 64, count * 8 < slots.count {
            var size = 16
            while count * 4 > size { size *= 2 }
            rebuild(size: size, hashOf: hashOf)
        }
    }

    /// Renumbers every record (after the records moved).
    mutating func renumber(_ map: (UInt32) -> UInt32) {
        for index in slots.indices where slots[index] != 0 { slots[index] = map(slots[index] - 1) + 1 }
    }

    mutating func removeAll() {
        slots = []
        count = 0
    }

    private mutating func rebuild(size: Int, hashOf: (UInt32) -> Int) {
        var fresh = [UInt32](repeating: 0, count: size)
        let mask = size - 1
        for reference in slots where reference != 0 {
            var slot = hashOf(reference - 1) & mask
            while fresh[slot] != 0 { slot = (slot + 1) & mask }
            fresh[slot] = reference
        }
        slots = fresh
    }
}

#if canImport(Glibc)
    import Glibc
#endif
