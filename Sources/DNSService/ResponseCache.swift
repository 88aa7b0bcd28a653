import DNSCodec
import NIOCore

/// Upstream answers, positive and negative (RFC 2308), keyed by (name, type, class, DO, CD) and kept for
/// their TTL. Bounded by `dns_cache_size` entries with CLOCK (second chance) eviction; 0 disables it.
/// Lookups hash the query's name buffer in place, so a hit allocates nothing; so does an insert once the
/// cache is full (the evicted entry's storage is rewritten in place).
///
/// An entry is the upstream's message without its OPT record, with the offsets of every TTL field; on a hit
/// the caller copies it out, then patches the ID, the question's case, the flags, the aged TTLs and its own
/// OPT (`withEntry`).
struct ResponseCache {
    struct Entry {
        /// One allocation: each TTL offset as a native-endian UInt16 (a message is at most 65,535 bytes;
        /// first, so they are aligned), the key (lowercased name wire bytes, then type, class and a flags
        /// byte), then the message.
        var storage: [UInt8] = []
        var offsetCount = 0
        var keyLength = 0
        var messageLength = 0
        var hash = 0
        /// Uptime nanoseconds when stored, and when it expires.
        var storedAt: UInt64 = 0
        var expiresAt: UInt64 = 0
        var referenced = false

        var isEmpty: Bool { keyLength == 0 }
        var keyStart: Int { 2 * offsetCount }
    }

    /// RFC 2308 §5 suggests capping negative answers at a few hours; positive ones at a day, like unbound.
    static let maxPositiveTTL: UInt32 = 86400
    static let maxNegativeTTL: UInt32 = 10800
    private static let dnssecOKKeyBit: UInt8 = 1
    private static let checkingDisabledKeyBit: UInt8 = 2
    /// Storage kept for reuse when rewriting an entry, unless it is this much larger than needed (one
    /// big answer must not pin its size in a slot forever).
    private static let reuseSlack = 2048

    private(set) var capacity: Int
    private var entries: [Entry] = []
    /// Entry index by key hash. The hashes are already SipHash (seeded per process), so `UInt64Table`'s
    /// cheap hash of them is as unpredictable, without hashing each a second time as a `Dictionary` did.
    private var slots = UInt64Table<Int32>()
    private var hand = 0

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    var count: Int { slots.count }

    mutating func resize(_ newCapacity: Int) {
        guard newCapacity != capacity else { return }
        capacity = max(0, newCapacity)
        removeAll()
    }

    mutating func removeAll() {
        entries.removeAll()
        slots = UInt64Table()
        hand = 0
    }

    /// A key hash as the slot table's key (the same bits).
    private static func slotKey(_ hash: Int) -> UInt64 { UInt64(bitPattern: Int64(hash)) }

    static func keyFlags(dnssecOK: Bool, checkingDisabled: Bool) -> UInt8 {
        (dnssecOK ? dnssecOKKeyBit : 0) | (checkingDisabled ? checkingDisabledKeyBit : 0)
    }

    /// The hash of a key made of `name` and the other fields (computed once per query).
    static func hash(name: DNSNameBuffer, type: DNSType, questionClass: DNSClass, flags: UInt8) -> Int {
        var hasher = Hasher()
        hasher.combine(name.caseInsensitiveHash)
        hasher.combine(type.rawValue)
        hasher.combine(questionClass.rawValue)
        hasher.combine(flags)
        return hasher.finalize()
    }

    /// The live entry for this key, if any (an expired one is dropped).
    mutating func lookup(
        name: DNSNameBuffer, type: DNSType, questionClass: DNSClass, flags: UInt8, hash: Int, now: UInt64
    ) -> Int32? {
        guard capacity > 0, let index = slots[Self.slotKey(hash)] else { return nil }
        let i = Int(index)
        guard entries[i].keyLength == name.count + 5 else { return nil }
        let keyStart = entries[i].keyStart
        let matches = entries[i].storage.withUnsafeBufferPointer { storage -> Bool in
            let key = UnsafeBufferPointer(rebasing: storage[keyStart...])
            guard DNSWire.caseInsensitiveEqual(key.baseAddress!, name.storage, count: name.count) else { return false }
            let tail = name.count
            return key[tail] == UInt8(truncatingIfNeeded: type.rawValue >> 8)
                && key[tail + 1] == UInt8(truncatingIfNeeded: type.rawValue)
                && key[tail + 2] == UInt8(truncatingIfNeeded: questionClass.rawValue >> 8)
                && key[tail + 3] == UInt8(truncatingIfNeeded: questionClass.rawValue) && key[tail + 4] == flags
        }
        guard matches else { return nil }
        guard entries[i].expiresAt > now else {
            slots.remove(Self.slotKey(hash))
            entries[i].keyLength = 0
            return nil
        }
        entries[i].referenced = true
        return index
    }

    /// The stored time, message and TTL offsets of an entry, borrowed in place (no copy of the entry).
    func withEntry<R>(
        _ index: Int32, _ body: (UInt64, UnsafeRawBufferPointer, UnsafeBufferPointer<UInt16>) -> R
    ) -> R {
        let i = Int(index)
        let offsetCount = entries[i].offsetCount
        let messageStart = entries[i].keyStart + entries[i].keyLength
        let messageEnd = messageStart + entries[i].messageLength
        return entries[i].storage.withUnsafeBytes { bytes in
            let message = UnsafeRawBufferPointer(rebasing: bytes[messageStart..<messageEnd])
            // The offsets lead the storage, so they are aligned for UInt16.
            return UnsafeRawBufferPointer(rebasing: bytes[0..<(2 * offsetCount)]).withMemoryRebound(to: UInt16.self) {
                body(entries[i].storedAt, message, $0)
            }
        }
    }

    /// Stores an answer for `ttl` seconds (already capped by the caller's rules). `message` is copied; with
    /// `dropLastAdditional` the additional count in the stored header is one less (the caller cut the OPT).
    /// TTL offsets outside `message` are left out.
    mutating func insert(
        name: DNSNameBuffer, type: DNSType, questionClass: DNSClass, flags: UInt8, hash: Int,
        message: UnsafeRawBufferPointer, dropLastAdditional: Bool = false, ttlOffsets: [Int], ttl: UInt32,
        now: UInt64
    ) {
        guard capacity > 0, ttl > 0, message.count <= Int(UInt16.max),
            message.count >= DNSLimits.headerLength
        else { return }
        let index: Int
        // The same hash (the same key, or a collision) is simply replaced: a cache may forget.
        if let existing = slots[Self.slotKey(hash)] {
            index = Int(existing)
        } else if entries.count < capacity {
            index = entries.count
            entries.append(Entry())
        } else {
            index = evictionVictim(now: now)
            if !entries[index].isEmpty { slots.remove(Self.slotKey(entries[index].hash)) }
        }
        slots.insert(Int32(index), for: Self.slotKey(hash))
        let keyLength = name.count + 5
        // An offset past the stored message (none from our scanner) would make every hit write out of bounds.
        var offsetCount = 0
        for offset in ttlOffsets where offset >= 0 && offset + 4 <= message.count { offsetCount += 1 }
        let total = 2 * offsetCount + keyLength + message.count
        entries[index].offsetCount = offsetCount
        entries[index].keyLength = keyLength
        entries[index].messageLength = message.count
        entries[index].hash = hash
        entries[index].storedAt = now
        entries[index].expiresAt = now + UInt64(ttl) * 1_000_000_000
        entries[index].referenced = false
        Self.fill(
            &entries[index].storage, total: total, name: name, type: type, questionClass: questionClass, flags: flags,
            message: message, dropLastAdditional: dropLastAdditional, ttlOffsets: ttlOffsets)
    }

    /// Convenience for tests: a message held in an array.
    mutating func insert(
        name: DNSNameBuffer, type: DNSType, questionClass: DNSClass, flags: UInt8, hash: Int, message: [UInt8],
        ttlOffsets: [Int], ttl: UInt32, now: UInt64
    ) {
        message.withUnsafeBytes { bytes in
            insert(
                name: name, type: type, questionClass: questionClass, flags: flags, hash: hash, message: bytes,
                ttlOffsets: ttlOffsets, ttl: ttl, now: now)
        }
    }

    /// Rewrites `storage` in place (reusing its allocation) as offsets, key, message.
    private static func fill(
        _ storage: inout [UInt8], total: Int, name: DNSNameBuffer, type: DNSType, questionClass: DNSClass,
        flags: UInt8, message: UnsafeRawBufferPointer, dropLastAdditional: Bool, ttlOffsets: [Int]
    ) {
        if storage.capacity > total + reuseSlack {
            storage = []
        }
        storage.removeAll(keepingCapacity: true)
        storage.append(contentsOf: repeatElement(0, count: total))
        storage.withUnsafeMutableBytes { out in
            var position = 0
            for offset in ttlOffsets where offset >= 0 && offset + 4 <= message.count {
                out.storeBytes(of: UInt16(truncatingIfNeeded: offset), toByteOffset: position, as: UInt16.self)
                position += 2
            }
            let count = name.count
            let key = position
            for i in 0..<count { out[key + i] = DNSName.asciiLowercase(name.storage[i]) }
            out[key + count] = UInt8(truncatingIfNeeded: type.rawValue >> 8)
            out[key + count + 1] = UInt8(truncatingIfNeeded: type.rawValue)
            out[key + count + 2] = UInt8(truncatingIfNeeded: questionClass.rawValue >> 8)
            out[key + count + 3] = UInt8(truncatingIfNeeded: questionClass.rawValue)
            out[key + count + 4] = flags
            let messageStart = key + count + 5
            UnsafeMutableRawBufferPointer(rebasing: out[messageStart..<(messageStart + message.count)])
                .copyMemory(from: message)
            if dropLastAdditional {
                let additional = (UInt16(out[messageStart + 10]) << 8 | UInt16(out[messageStart + 11])) &- 1
                out[messageStart + 10] = UInt8(additional >> 8)
                out[messageStart + 11] = UInt8(truncatingIfNeeded: additional)
            }
        }
    }

    /// CLOCK: sweep from the hand, clearing reference bits, and take the first free, expired or unreferenced.
    private mutating func evictionVictim(now: UInt64) -> Int {
        while true {
            let index = hand
            hand = (hand + 1) % entries.count
            if entries[index].isEmpty || entries[index].expiresAt <= now || !entries[index].referenced {
                return index
            }
            entries[index].referenced = false
        }
    }
}
