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
        let length = withBytes(at: offset) { $0.count }
        var prefix = 1
        var rest = length >> 7
        while rest != 0 {
            prefix += 1
            rest >>= 7
        }
        garbage += prefix + length
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

/// An open-addressing (linear probing) hash index of record numbers, 60-75 % full: its size is not a
/// power of two (a hash is mapped to a slot by multiply-shift), so 100,000 records take ~150,000 slots
/// (6 bytes a record) rather than 262,144. The records and their keys live elsewhere: callers pass the
/// hash of a key and closures that compare or rehash records. Several records may share a key (a
/// multi-map); `find` returns the first that `matches`.
struct SlotTable: Sendable {
    /// Record number + 1; 0 = empty.
    private(set) var slots: [UInt32] = []
    private(set) var count = 0

    private func home(_ hash: Int) -> Int {
        Int(truncatingIfNeeded: UInt64(UInt(bitPattern: hash)).multipliedFullWidth(by: UInt64(slots.count)).high)
    }

    /// Slots for `records` records at 60 % load.
    private static func size(for records: Int) -> Int { max(16, records * 5 / 3 + 1) }

    func find(hash: Int, matches: (UInt32) -> Bool) -> UInt32? {
        guard !slots.isEmpty else { return nil }
        var slot = home(hash)
        while true {
            let reference = slots[slot]
            if reference == 0 { return nil }
            if matches(reference - 1) { return reference - 1 }
            slot += 1
            if slot == slots.count { slot = 0 }
        }
    }

    /// Makes room for `extra` more records.
    mutating func reserve(_ extra: Int, hashOf: (UInt32) -> Int) {
        let needed = count + extra
        if slots.isEmpty || needed * 4 > slots.count * 3 { rebuild(size: Self.size(for: needed), hashOf: hashOf) }
    }

    mutating func insert(_ record: UInt32, hash: Int, hashOf: (UInt32) -> Int) {
        reserve(1, hashOf: hashOf)
        var slot = home(hash)
        while slots[slot] != 0 {
            slot += 1
            if slot == slots.count { slot = 0 }
        }
        slots[slot] = record + 1
        count += 1
    }

    /// Removes `record` (whose key hashes to `hash`), shifting its cluster back (no tombstones).
    mutating func remove(_ record: UInt32, hash: Int, hashOf: (UInt32) -> Int) {
        guard !slots.isEmpty else { return }
        let size = slots.count
        var hole = home(hash)
        while slots[hole] != record + 1 {
            if slots[hole] == 0 { return }  // not present
            hole += 1
            if hole == size { hole = 0 }
        }
        slots[hole] = 0
        count -= 1
        var probe = hole
        while true {
            probe += 1
            if probe == size { probe = 0 }
            let reference = slots[probe]
            if reference == 0 { break }
            let start = home(hashOf(reference - 1))
            // It may fill the hole when the hole lies on its probe path (cyclically from its home slot to
            // where it is now).
            if (probe - start + size) % size >= (probe - hole + size) % size {
                slots[hole] = reference
                slots[probe] = 0
                hole = probe
            }
        }
        if size > 64, count * 4 < size { rebuild(size: Self.size(for: count), hashOf: hashOf) }
    }

    mutating func removeAll() {
        slots = []
        count = 0
    }

    private mutating func rebuild(size: Int, hashOf: (UInt32) -> Int) {
        let old = slots
        slots = [UInt32](repeating: 0, count: size)
        for reference in old where reference != 0 {
            var slot = home(hashOf(reference - 1))
            while slots[slot] != 0 {
                slot += 1
                if slot == size { slot = 0 }
            }
            slots[slot] = reference
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif

extension Array {
    /// Puts `element` in the most recently freed slot (`free` holds freed indexes) or at the end, and
    /// returns its index: the record arrays of the stores above reuse what removals leave.
    mutating func place(_ element: Element, reusing free: inout [UInt32]) -> UInt32 {
        if let slot = free.popLast() {
            self[Int(slot)] = element
            return slot
        }
        append(element)
        return UInt32(count - 1)
    }
}
