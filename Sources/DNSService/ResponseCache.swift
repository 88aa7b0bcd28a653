import DNSCodec
import NIOCore

/// Upstream answers, positive and negative (RFC 2308), keyed by (name, type, class, DO, CD) and kept for
/// their TTL. Bounded by `dns_cache_size` entries with CLOCK (second chance) eviction; 0 disables it.
/// Lookups hash the query's name buffer in place, so a hit allocates nothing.
///
/// An entry is the upstream's message without its OPT record, with the offsets of every TTL field; on a hit
/// the caller copies it out, then patches the ID, the question's case, the flags, the aged TTLs and its own
/// OPT (`write(entry:...)`).
struct ResponseCache {
    struct Entry {
        /// Lowercased name wire bytes followed by type, class and a flags byte.
        var key: [UInt8]
        var hash: Int
        var message: [UInt8]
        var ttlOffsets: [Int]
        /// Uptime nanoseconds when stored, and when it expires.
        var storedAt: UInt64
        var expiresAt: UInt64
        var referenced: Bool
    }

    /// RFC 2308 §5 suggests capping negative answers at a few hours; positive ones at a day, like unbound.
    static let maxPositiveTTL: UInt32 = 86400
    static let maxNegativeTTL: UInt32 = 10800
    private static let dnssecOKKeyBit: UInt8 = 1
    private static let checkingDisabledKeyBit: UInt8 = 2

    private(set) var capacity: Int
    private var entries: [Entry] = []
    private var slots: [Int: Int32] = [:]
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
        slots.removeAll()
        hand = 0
    }

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
        guard capacity > 0, let index = slots[hash] else { return nil }
        let matches = entries[Int(index)].key.withUnsafeBufferPointer { key -> Bool in
            guard key.count == name.count + 5,
                DNSWire.caseInsensitiveEqual(key.baseAddress!, name.storage, count: name.count)
            else { return false }
            let tail = name.count
            return key[tail] == UInt8(truncatingIfNeeded: type.rawValue >> 8)
                && key[tail + 1] == UInt8(truncatingIfNeeded: type.rawValue)
                && key[tail + 2] == UInt8(truncatingIfNeeded: questionClass.rawValue >> 8)
                && key[tail + 3] == UInt8(truncatingIfNeeded: questionClass.rawValue) && key[tail + 4] == flags
        }
        guard matches else { return nil }
        guard entries[Int(index)].expiresAt > now else {
            slots.removeValue(forKey: hash)
            entries[Int(index)].key = []
            return nil
        }
        entries[Int(index)].referenced = true
        return index
    }

    subscript(index: Int32) -> Entry { entries[Int(index)] }

    /// The stored time, message and TTL offsets of an entry, borrowed in place (no copy of the entry).
    func withEntry<R>(
        _ index: Int32, _ body: (UInt64, UnsafeRawBufferPointer, UnsafeBufferPointer<Int>) -> R
    ) -> R {
        let i = Int(index)
        return entries[i].message.withUnsafeBytes { message in
            entries[i].ttlOffsets.withUnsafeBufferPointer { body(entries[i].storedAt, message, $0) }
        }
    }

    /// Stores an answer for `ttl` seconds (already capped by the caller's rules).
    mutating func insert(
        name: DNSNameBuffer, type: DNSType, questionClass: DNSClass, flags: UInt8, hash: Int, message: [UInt8],
        ttlOffsets: [Int], ttl: UInt32, now: UInt64
    ) {
        guard capacity > 0, ttl > 0 else { return }
        // Built in one allocation of its final size (a map and five appends grew it twice).
        let count = name.count
        let key = [UInt8](unsafeUninitializedCapacity: count + 5) { bytes, initialized in
            for i in 0..<count { bytes[i] = DNSName.asciiLowercase(name.storage[i]) }
            bytes[count] = UInt8(truncatingIfNeeded: type.rawValue >> 8)
            bytes[count + 1] = UInt8(truncatingIfNeeded: type.rawValue)
            bytes[count + 2] = UInt8(truncatingIfNeeded: questionClass.rawValue >> 8)
            bytes[count + 3] = UInt8(truncatingIfNeeded: questionClass.rawValue)
            bytes[count + 4] = flags
            initialized = count + 5
        }
        let entry = Entry(
            key: key, hash: hash, message: message, ttlOffsets: ttlOffsets, storedAt: now,
            expiresAt: now + UInt64(ttl) * 1_000_000_000, referenced: false)
        // The same hash (the same key, or a collision) is simply replaced: a cache may forget.
        if let existing = slots[hash] {
            entries[Int(existing)] = entry
            return
        }
        if entries.count < capacity {
            slots[hash] = Int32(entries.count)
            entries.append(entry)
            return
        }
        let victim = evictionVictim(now: now)
        if !entries[victim].key.isEmpty { slots.removeValue(forKey: entries[victim].hash) }
        entries[victim] = entry
        slots[hash] = Int32(victim)
    }

    /// CLOCK: sweep from the hand, clearing reference bits, and take the first free, expired or unreferenced.
    private mutating func evictionVictim(now: UInt64) -> Int {
        while true {
            let index = hand
            hand = (hand + 1) % entries.count
            if entries[index].key.isEmpty || entries[index].expiresAt <= now || !entries[index].referenced {
                return index
            }
            entries[index].referenced = false
        }
    }
}
