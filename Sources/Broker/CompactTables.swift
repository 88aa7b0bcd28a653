/// Building blocks for the broker's per-alias state at scale (10 users x 100,000 aliases, issue 8): strings
/// back to back in one byte array instead of one heap object each, and hash indexes of 32-bit record
/// numbers instead of `Dictionary<String, …>` (whose entries cost 60-100 bytes apiece plus the string).

/// Strings stored back to back; a string is named by its offset. Freed strings leave garbage until the owner
/// rewrites the live ones into a fresh arena.
///
/// Alias names share their zones: a name with a dot is stored as its first label and the number of its suffix
/// (from the first dot on, interned once per arena), so `host-123.prod.corp.example` costs its 8-byte label
/// and a byte or two, not 26 bytes (issue 8: a million names repeat a handful of zones). A stored string is
/// the LEB128 of `head length << 1 | has suffix`, the head, then the LEB128 suffix number if it has one.
struct ByteArena: Sendable {
    private(set) var bytes: [UInt8] = []
    private(set) var garbage = 0
    /// The interned suffixes, each `[LEB128 length][bytes]`, by number: offsets into `suffixText`.
    private var suffixText: [UInt8] = []
    private var suffixOffsets: [UInt32] = []
    private var suffixIndex = SlotTable()

    /// A suffix shorter than this is kept inline (its number would save little).
    static let minSuffixLength = 4
    /// At most this many suffixes are interned; later names with new suffixes are stored whole. Bounds what
    /// names with unique zones cost: their suffixes are only dropped when the owner rewrites the arena.
    static let maxSuffixes = 65_536

    var isWasteful: Bool { garbage > 4096 && garbage * 2 > bytes.count }

    mutating func append(_ text: String) -> UInt32 {
        var text = text
        return text.withUTF8 { append($0) }
    }

    mutating func append(_ utf8: UnsafeBufferPointer<UInt8>) -> UInt32 {
        // Offsets are 32-bit: 4 GiB of alias text is far beyond any pool (a /10 holds 4 million aliases).
        precondition(bytes.count + utf8.count + 10 < Int(UInt32.max))
        let offset = UInt32(bytes.count)
        if let dot = utf8.firstIndex(of: UInt8(ascii: ".")), dot > 0, utf8.count - dot >= Self.minSuffixLength,
            let suffix = intern(UnsafeBufferPointer(rebasing: utf8[dot...]))
        {
            Self.appendLEB(dot << 1 | 1, to: &bytes)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[..<dot]))
            Self.appendLEB(Int(suffix), to: &bytes)
        } else {
            Self.appendLEB(utf8.count << 1, to: &bytes)
            bytes.append(contentsOf: utf8)
        }
        return offset
    }

    /// The bytes of the string at `offset` (a name with a suffix is put together in a scratch buffer).
    func withBytes<R>(at offset: UInt32, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        bytes.withUnsafeBufferPointer { all in
            var position = Int(offset)
            let header = Self.readLEB(all, &position)
            let head = UnsafeBufferPointer(rebasing: all[position..<(position + header >> 1)])
            guard header & 1 != 0 else { return body(head) }
            position += head.count
            let suffixNumber = Self.readLEB(all, &position)
            return suffix(suffixNumber) { suffix in
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: head.count + suffix.count) { whole in
                    _ = whole.initialize(fromContentsOf: head)
                    _ = UnsafeMutableBufferPointer(rebasing: whole[head.count...]).initialize(fromContentsOf: suffix)
                    return body(UnsafeBufferPointer(whole))
                }
            }
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
        var position = Int(offset)
        let header = bytes.withUnsafeBufferPointer { Self.readLEB($0, &position) }
        position += header >> 1
        if header & 1 != 0 { _ = bytes.withUnsafeBufferPointer { Self.readLEB($0, &position) } }
        garbage += position - Int(offset)
    }

    mutating func removeAll() {
        self = ByteArena()
    }

    /// About what `append(text)` takes (a byte or two more when the suffix is new or the table full): what
    /// a batch passes to `reserve`, so that room is not reserved for the suffixes too.
    static func storedSize(_ text: String) -> Int {
        var text = text
        return text.withUTF8 { utf8 in
            if let dot = utf8.firstIndex(of: UInt8(ascii: ".")), dot > 0, utf8.count - dot >= minSuffixLength {
                return dot + 3
            }
            return utf8.count + 2
        }
    }

    mutating func reserve(_ extra: Int) {
        let needed = bytes.count + extra
        if bytes.capacity < needed { bytes.reserveCapacity(needed + needed / 8) }
    }

    // MARK: - Internals

    /// The number of `suffix`, interned if new; nil when the table is full.
    private mutating func intern(_ suffix: UnsafeBufferPointer<UInt8>) -> UInt32? {
        let hash = Self.hash(suffix)
        if let known = suffixIndex.find(hash: hash, matches: { suffixEquals($0, suffix) }) { return known }
        guard suffixOffsets.count < Self.maxSuffixes else { return nil }
        let number = UInt32(suffixOffsets.count)
        suffixOffsets.append(UInt32(suffixText.count))
        Self.appendLEB(suffix.count, to: &suffixText)
        suffixText.append(contentsOf: suffix)
        // The closure reads copies of the suffix arrays (not `self`, whose index it is rebuilding).
        let (text, offsets) = (suffixText, suffixOffsets)
        suffixIndex.insert(number, hash: hash) { other in
            Self.suffix(Int(other), text: text, offsets: offsets) { Self.hash($0) }
        }
        return number
    }

    private func suffixEquals(_ number: UInt32, _ other: UnsafeBufferPointer<UInt8>) -> Bool {
        suffix(Int(number)) { $0.count == other.count && memcmp($0.baseAddress!, other.baseAddress!, $0.count) == 0 }
    }

    private func suffix<R>(_ number: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        Self.suffix(number, text: suffixText, offsets: suffixOffsets, body)
    }

    private static func suffix<R>(
        _ number: Int, text: [UInt8], offsets: [UInt32], _ body: (UnsafeBufferPointer<UInt8>) -> R
    ) -> R {
        text.withUnsafeBufferPointer { all in
            var position = Int(offsets[number])
            let length = Self.readLEB(all, &position)
            return body(UnsafeBufferPointer(rebasing: all[position..<(position + length)]))
        }
    }

    private static func appendLEB(_ value: Int, to bytes: inout [UInt8]) {
        var rest = value
        repeat {
            let low = UInt8(rest & 0x7F)
            rest >>= 7
            bytes.append(rest == 0 ? low : low | 0x80)
        } while rest != 0
    }

    private static func readLEB(_ bytes: UnsafeBufferPointer<UInt8>, _ position: inout Int) -> Int {
        var value = 0
        var shift = 0
        while true {
            let byte = bytes[position]
            position += 1
            value |= Int(byte & 0x7F) << shift
            shift += 7
            if byte & 0x80 == 0 { return value }
        }
    }
}

/// An open-addressing (linear probing) hash index of record numbers, 70-80 % full: its size is not a
/// power of two (a hash is mapped to a slot by multiply-shift), so 100,000 records take ~143,000 slots
/// (5.7 bytes a record) rather than 262,144. The records and their keys live elsewhere: callers pass the
/// hash of a key and closures that compare or rehash records. Several records may share a key (a
/// multi-map); `find` returns the first that `matches`.
struct SlotTable: Sendable {
    /// Record number + 1; 0 = empty.
    private(set) var slots: [UInt32] = []
    private(set) var count = 0

    private func home(_ hash: Int) -> Int {
        Int(truncatingIfNeeded: UInt64(UInt(bitPattern: hash)).multipliedFullWidth(by: UInt64(slots.count)).high)
    }

    /// Slots for `records` records at 70 % load: fuller tables cost memory in every one of the broker's five
    /// indexes; emptier ones shorten the probes (a miss takes ~6 at 70 %, ~13 at 80 %).
    private static func size(for records: Int) -> Int { max(16, records * 10 / 7 + 1) }

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
        if slots.isEmpty || needed * 5 > slots.count * 4 { rebuild(size: Self.size(for: needed), hashOf: hashOf) }
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
