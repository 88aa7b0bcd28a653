import DNSCodec

#if canImport(Glibc)
    import Glibc
#endif

/// The alias names of `AliasIndex`: lowercased uncompressed wire names back to back, each named by a 32-bit
/// reference. Names share their zones (issue 8: a million aliases repeat a handful of zones): a name whose
/// first label is followed by at least `minSuffixLength` bytes is stored as that label and the number of the
/// rest (the suffix, interned once), so `\x08s3-12345\x05scale\x04test\x00` costs 11 bytes instead of 22.
///
/// A whole name is `[wire length][wire]`; a split one (reference bit 31) is `[first label with its length
/// byte][suffix number, 2 bytes little-endian]` (its wire length is the label's plus the suffix's, which
/// stores its own). Suffixes are `[length][bytes]` in `suffixText`, found through a small open-addressing
/// table while names are added.
/// Freed names leave garbage until the owner rewrites the live ones into a fresh arena.
struct WireNameArena {
    private(set) var bytes: [UInt8] = []
    private(set) var garbage = 0
    private var suffixText: [UInt8] = []
    private var suffixOffsets: [UInt32] = []
    /// Suffix number + 1 (0 = empty), at most half full; power-of-two size.
    private var suffixSlots: [UInt32] = []

    static let split: UInt32 = 1 << 31
    /// A shorter suffix is kept inline (a 2-byte number would save little).
    static let minSuffixLength = 4
    /// Suffix numbers are 2 bytes; later names with new suffixes are stored whole.
    static let maxSuffixes = 65_536

    var isWasteful: Bool { garbage > 4096 && garbage * 2 > bytes.count }

    /// About what `append` takes for `wire` (the first label and 2 bytes, or the whole name and 1).
    static func storedSize(_ wire: UnsafeBufferPointer<UInt8>) -> Int {
        let head = Int(wire[0]) + 1
        return wire.count - head >= minSuffixLength ? head + 2 : wire.count + 1
    }

    /// Stores `wire` (lowercased, 2...255 bytes); returns its reference.
    mutating func append(_ wire: UnsafeBufferPointer<UInt8>) -> UInt32 {
        // References are 31-bit offsets: 2 GiB of names is far beyond any pool.
        precondition(wire.count <= 255 && bytes.count + wire.count + 4 < Int(Self.split))
        let offset = UInt32(bytes.count)
        let head = Int(wire[0]) + 1
        if wire.count - head >= Self.minSuffixLength,
            let number = intern(UnsafeBufferPointer(rebasing: wire[head...]))
        {
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: wire[..<head]))
            bytes.append(UInt8(truncatingIfNeeded: number))
            bytes.append(UInt8(truncatingIfNeeded: number >> 8))
            return offset | Self.split
        }
        bytes.append(UInt8(wire.count))
        bytes.append(contentsOf: wire)
        return offset
    }

    /// Whether name `reference` equals the `count` bytes at `other`, ASCII case-insensitively (the hot path:
    /// no copy, the split name is compared in its two parts).
    @inline(__always)
    func equals(_ reference: UInt32, _ other: UnsafePointer<UInt8>, count: Int) -> Bool {
        bytes.withUnsafeBufferPointer { all in
            let offset = Int(reference & ~Self.split)
            if reference & Self.split == 0 {
                return Int(all[offset]) == count
                    && DNSWire.caseInsensitiveEqual(other, all.baseAddress! + offset + 1, count: count)
            }
            let head = Int(all[offset]) + 1
            let number = Int(all[offset + head]) | Int(all[offset + head + 1]) << 8
            return suffixText.withUnsafeBufferPointer { suffixes in
                let start = Int(suffixOffsets[number])
                return head + Int(suffixes[start]) == count
                    && DNSWire.caseInsensitiveEqual(other, all.baseAddress! + offset, count: head)
                    && DNSWire.caseInsensitiveEqual(
                        other + head, suffixes.baseAddress! + start + 1, count: count - head)
            }
        }
    }

    /// The whole wire name of `reference` (a split one put together in a scratch buffer).
    func withWire<R>(_ reference: UInt32, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        bytes.withUnsafeBufferPointer { all in
            let offset = Int(reference & ~Self.split)
            if reference & Self.split == 0 {
                let count = Int(all[offset])
                return body(UnsafeBufferPointer(rebasing: all[(offset + 1)..<(offset + 1 + count)]))
            }
            let head = Int(all[offset]) + 1
            let number = Int(all[offset + head]) | Int(all[offset + head + 1]) << 8
            return suffixText.withUnsafeBufferPointer { suffixes in
                let start = Int(suffixOffsets[number])
                let suffix = UnsafeBufferPointer(rebasing: suffixes[(start + 1)..<(start + 1 + Int(suffixes[start]))])
                return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: head + suffix.count) { whole in
                    _ = whole.initialize(fromContentsOf: UnsafeBufferPointer(rebasing: all[offset..<(offset + head)]))
                    _ = UnsafeMutableBufferPointer(rebasing: whole[head...]).initialize(fromContentsOf: suffix)
                    return body(UnsafeBufferPointer(whole))
                }
            }
        }
    }

    func wire(_ reference: UInt32) -> [UInt8] {
        withWire(reference) { Array($0) }
    }

    /// `DNSWire.caseInsensitiveHash` of the whole name.
    func hash(_ reference: UInt32) -> Int {
        withWire(reference) { DNSWire.caseInsensitiveHash($0.baseAddress!, count: $0.count) }
    }

    mutating func free(_ reference: UInt32) {
        let offset = Int(reference & ~Self.split)
        garbage += reference & Self.split == 0 ? 1 + Int(bytes[offset]) : 3 + Int(bytes[offset])
    }

    mutating func reserve(_ extra: Int) {
        let needed = bytes.count + extra
        if bytes.capacity < needed { bytes.reserveCapacity(needed + needed / 8) }
    }

    // MARK: - Internals

    /// The number of `suffix`, interned if new; nil when the table is full.
    private mutating func intern(_ suffix: UnsafeBufferPointer<UInt8>) -> Int? {
        if suffixSlots.isEmpty { suffixSlots = [UInt32](repeating: 0, count: 64) }
        let hash = DNSWire.caseInsensitiveHash(suffix.baseAddress!, count: suffix.count)
        var slot = hash & (suffixSlots.count - 1)
        while suffixSlots[slot] != 0 {
            let number = Int(suffixSlots[slot] - 1)
            let start = Int(suffixOffsets[number])
            if Int(suffixText[start]) == suffix.count,
                suffixText.withUnsafeBufferPointer({
                    memcmp($0.baseAddress! + start + 1, suffix.baseAddress!, suffix.count) == 0
                })
            {
                return number
            }
            slot = (slot + 1) & (suffixSlots.count - 1)
        }
        guard suffixOffsets.count < Self.maxSuffixes else { return nil }
        let number = suffixOffsets.count
        suffixOffsets.append(UInt32(suffixText.count))
        suffixText.append(UInt8(suffix.count))
        suffixText.append(contentsOf: suffix)
        suffixSlots[slot] = UInt32(number + 1)
        if suffixOffsets.count * 2 > suffixSlots.count { growSuffixSlots() }
        return number
    }

    private mutating func growSuffixSlots() {
        var slots = [UInt32](repeating: 0, count: suffixSlots.count * 2)
        let mask = slots.count - 1
        suffixText.withUnsafeBufferPointer { text in
            for number in suffixOffsets.indices {
                let start = Int(suffixOffsets[number])
                var slot = DNSWire.caseInsensitiveHash(text.baseAddress! + start + 1, count: Int(text[start])) & mask
                while slots[slot] != 0 { slot = (slot + 1) & mask }
                slots[slot] = UInt32(number + 1)
            }
        }
        suffixSlots = slots
    }
}
