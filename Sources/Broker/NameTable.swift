/// The alias names the broker holds, each stored once for every user's listing (`ListedAliasStore`) and the
/// address allocator, and known by a 32-bit number. Issue 8: with 10 users x 100,000 aliases, each listing
/// and the allocator kept its own copy of every name and its own index by name text; one table takes ~20
/// bytes a name (arena text, offset, index slot) where the copies took ~32.
///
/// Names are not reference-counted. Holders only say that they let go of a name (`noteDropped`); the
/// broker, which owns every holder, marks the numbers still in use and frees the rest (`collect`) once
/// enough were dropped. So a copied store (the stores are values) can never free a name that another still
/// uses: the worst a forgotten holder does is keep a name until the next collection.
///
/// Confined to the broker's event loop, like `BrokerCore` (which is what makes `@unchecked Sendable` sound).
final class NameTable: @unchecked Sendable {
    /// A set of name numbers (one bit each), for `collect`.
    struct Marks {
        fileprivate var words: [UInt64]

        init(capacity: Int) {
            words = [UInt64](repeating: 0, count: (capacity + 63) / 64)
        }

        mutating func insert(_ number: UInt32) {
            let word = Int(number >> 6)
            if word >= words.count { words.append(contentsOf: repeatElement(0, count: word + 1 - words.count)) }
            words[word] |= 1 << UInt64(number & 63)
        }

        func contains(_ number: UInt32) -> Bool {
            let word = Int(number >> 6)
            return word < words.count && words[word] & (1 << UInt64(number & 63)) != 0
        }
    }

    private var arena = ByteArena()
    /// Arena offset by number; `freeNumber` for a free number.
    private var offsets: [UInt32] = []
    private var freeNumbers: [UInt32] = []
    private var byText = SlotTable()
    /// How many times holders let go of a name since the last collection.
    private(set) var dropped = 0

    private static let freeNumber = UInt32.max

    init() {}

    /// How many names are stored (in use, or dropped and not yet collected).
    var count: Int { byText.count }

    /// One more than the highest number handed out: the size of a table indexed by number.
    var numberLimit: Int { offsets.count }

    /// A collection waits for at least this many drops (tests lower it).
    var collectionThreshold = 4096

    /// Whether enough names were dropped since the last collection for one to pay.
    var collectionDue: Bool { dropped >= collectionThreshold && dropped * 4 >= count }

    func find(_ text: String) -> UInt32? {
        var text = text
        return text.withUTF8 { find($0) }
    }

    func find(_ utf8: UnsafeBufferPointer<UInt8>) -> UInt32? {
        byText.find(hash: ByteArena.hash(utf8)) { arena.equals(at: offsets[Int($0)], utf8) }
    }

    /// The number of `text`, added when new.
    func intern(_ text: String) -> UInt32 {
        var text = text
        return text.withUTF8 { intern($0) }
    }

    func intern(_ utf8: UnsafeBufferPointer<UInt8>) -> UInt32 {
        let hash = ByteArena.hash(utf8)
        if let known = byText.find(hash: hash, matches: { arena.equals(at: offsets[Int($0)], utf8) }) {
            return known
        }
        let offset = arena.append(utf8)
        let number: UInt32
        if let free = freeNumbers.popLast() {
            number = free
            offsets[Int(free)] = offset
        } else {
            // Numbers are 32-bit; a pool holds at most 4 million aliases (a /10).
            precondition(offsets.count < Int(Self.freeNumber))
            number = UInt32(offsets.count)
            offsets.append(offset)
        }
        do {
            let (arena, offsets) = (self.arena, self.offsets)
            byText.insert(number, hash: hash) { arena.hash(at: offsets[Int($0)]) }
        }
        return number
    }

    func string(_ number: UInt32) -> String {
        arena.string(at: offsets[Int(number)])
    }

    func withBytes<R>(_ number: UInt32, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        arena.withBytes(at: offsets[Int(number)], body)
    }

    func equals(_ number: UInt32, _ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        arena.equals(at: offsets[Int(number)], utf8)
    }

    /// A holder let go of `count` names (they may still be used by others).
    func noteDropped(_ count: Int = 1) {
        dropped += count
    }

    /// Makes room for `extra` more names taking `bytes` (`ByteArena.storedSize`) in all.
    func reserve(_ extra: Int, bytes: Int) {
        arena.reserve(bytes)
        let needed = offsets.count + max(0, extra - freeNumbers.count)
        if offsets.capacity < needed { offsets.reserveCapacity(needed + needed / 8) }
        do {
            let (arena, offsets) = (self.arena, self.offsets)
            byText.reserve(extra) { arena.hash(at: offsets[Int($0)]) }
        }
    }

    /// Frees every name not in `marks` (what the holders still use), then rewrites the text without the
    /// freed names when they take much of it. Numbers in `marks` stay valid and keep their names.
    func collect(keeping marks: Marks) {
        dropped = 0
        for index in offsets.indices where offsets[index] != Self.freeNumber && !marks.contains(UInt32(index)) {
            let number = UInt32(index)
            do {
                // Copies for the closure, gone before the arrays change (else every change copies them).
                let (arena, offsets) = (self.arena, self.offsets)
                byText.remove(number, hash: arena.hash(at: offsets[index])) { arena.hash(at: offsets[Int($0)]) }
            }
            arena.free(at: offsets[index])
            offsets[index] = Self.freeNumber
            freeNumbers.append(number)
        }
        if byText.count == 0 {
            arena.removeAll()
            offsets = []
            freeNumbers = []
            byText.removeAll()
            return
        }
        // Hand out low numbers first, so tables indexed by number stay short.
        freeNumbers.sort(by: >)
        if arena.isWasteful {
            var fresh = ByteArena()
            fresh.reserve(arena.bytes.count - arena.garbage)
            for index in offsets.indices where offsets[index] != Self.freeNumber {
                offsets[index] = arena.withBytes(at: offsets[index]) { fresh.append($0) }
            }
            arena = fresh
        }
    }
}
