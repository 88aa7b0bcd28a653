/// A set of 32-bit numbers kept the way Roaring bitmaps keep them (Chambi, Lemire, Kaser and Godin,
/// "Better bitmap performance with Roaring bitmaps", 2016): numbers are grouped by their high 16 bits, and
/// each group is a sorted array of the low halves (2 bytes a number) while it is small, or a 65,536-bit
/// bitmap (8 KiB) once it holds more than 4,096.
///
/// The broker's per-user sets of name numbers (what a user lists, what a user's pushed view holds) are
/// dense: names are numbered as listings arrive, so one user's 100,000 aliases mostly fall in two or three
/// groups, and the set costs ~0.2 bytes a number where a hash index took 5.7 and an array 4 (issue 8).
struct NumberSet: Sendable {
    private enum Group: Sendable {
        /// Sorted low halves.
        case array([UInt16])
        /// 1,024 words; bit `low` is set for each member.
        case bitmap([UInt64], count: Int)
    }

    /// A group turns into a bitmap above this many numbers, and back into an array at half of it.
    private static let arrayLimit = 4096

    /// Sorted by `highs`.
    private var highs: [UInt16] = []
    private var groups: [Group] = []
    private(set) var count = 0

    init() {}

    /// The numbers of `sorted` (ascending; repeats are kept once).
    init(sorted: [UInt32]) {
        var start = 0
        while start < sorted.count {
            let high = UInt16(truncatingIfNeeded: sorted[start] >> 16)
            var end = start
            var lows: [UInt16] = []
            while end < sorted.count, sorted[end] >> 16 == UInt32(high) {
                let low = UInt16(truncatingIfNeeded: sorted[end])
                if lows.last != low { lows.append(low) }
                end += 1
            }
            highs.append(high)
            groups.append(Self.group(lows))
            count += lows.count
            start = end
        }
    }

    var isEmpty: Bool { count == 0 }

    func contains(_ number: UInt32) -> Bool {
        guard let index = groupIndex(UInt16(truncatingIfNeeded: number >> 16)) else { return false }
        let low = UInt16(truncatingIfNeeded: number)
        switch groups[index] {
        case .array(let lows): return Self.position(of: low, in: lows).found
        case .bitmap(let words, _): return words[Int(low >> 6)] & (1 << UInt64(low & 63)) != 0
        }
    }

    /// Adds `number`; false when it was there already.
    @discardableResult
    mutating func insert(_ number: UInt32) -> Bool {
        let high = UInt16(truncatingIfNeeded: number >> 16)
        let low = UInt16(truncatingIfNeeded: number)
        let (index, found) = Self.position(of: high, in: highs)
        if !found {
            highs.insert(high, at: index)
            groups.insert(.array([low]), at: index)
            count += 1
            return true
        }
        switch groups[index] {
        case .array(var lows):
            let (at, present) = Self.position(of: low, in: lows)
            if present { return false }
            groups[index] = .array([])  // lets `lows` change in place
            lows.insert(low, at: at)
            groups[index] = lows.count > Self.arrayLimit ? Self.bitmap(lows) : .array(lows)
        case .bitmap(var words, let members):
            let bit: UInt64 = 1 << UInt64(low & 63)
            if words[Int(low >> 6)] & bit != 0 { return false }
            groups[index] = .array([])
            words[Int(low >> 6)] |= bit
            groups[index] = .bitmap(words, count: members + 1)
        }
        count += 1
        return true
    }

    /// Removes `number`; false when it was not there.
    @discardableResult
    mutating func remove(_ number: UInt32) -> Bool {
        guard let index = groupIndex(UInt16(truncatingIfNeeded: number >> 16)) else { return false }
        let low = UInt16(truncatingIfNeeded: number)
        switch groups[index] {
        case .array(var lows):
            let (at, present) = Self.position(of: low, in: lows)
            if !present { return false }
            groups[index] = .array([])
            lows.remove(at: at)
            if lows.isEmpty {
                highs.remove(at: index)
                groups.remove(at: index)
            } else {
                groups[index] = .array(lows)
            }
        case .bitmap(var words, let members):
            let bit: UInt64 = 1 << UInt64(low & 63)
            if words[Int(low >> 6)] & bit == 0 { return false }
            groups[index] = .array([])
            words[Int(low >> 6)] &= ~bit
            groups[index] = .bitmap(words, count: members - 1)
            if members - 1 <= Self.arrayLimit / 2 { groups[index] = .array(Self.lows(of: words)) }
        }
        count -= 1
        return true
    }

    /// Calls `body` with every number, ascending.
    func forEach(_ body: (UInt32) -> Void) {
        for (high, group) in zip(highs, groups) {
            let base = UInt32(high) << 16
            switch group {
            case .array(let lows):
                for low in lows { body(base | UInt32(low)) }
            case .bitmap(let words, _):
                for (position, word) in words.enumerated() {
                    var rest = word
                    while rest != 0 {
                        body(base | UInt32(position << 6 | rest.trailingZeroBitCount))
                        rest &= rest - 1
                    }
                }
            }
        }
    }

    /// Every number, ascending.
    var sorted: [UInt32] {
        var numbers: [UInt32] = []
        numbers.reserveCapacity(count)
        forEach { numbers.append($0) }
        return numbers
    }

    // MARK: - Internals

    private func groupIndex(_ high: UInt16) -> Int? {
        let (index, found) = Self.position(of: high, in: highs)
        return found ? index : nil
    }

    /// Where `value` is in the sorted `values`, or where it would go.
    private static func position(of value: UInt16, in values: [UInt16]) -> (index: Int, found: Bool) {
        var low = 0
        var high = values.count
        while low < high {
            let middle = (low + high) / 2
            if values[middle] < value { low = middle + 1 } else { high = middle }
        }
        return (low, low < values.count && values[low] == value)
    }

    private static func group(_ lows: [UInt16]) -> Group {
        lows.count > arrayLimit ? bitmap(lows) : .array(lows)
    }

    private static func bitmap(_ lows: [UInt16]) -> Group {
        var words = [UInt64](repeating: 0, count: 1024)
        for low in lows { words[Int(low >> 6)] |= 1 << UInt64(low & 63) }
        return .bitmap(words, count: lows.count)
    }

    private static func lows(of words: [UInt64]) -> [UInt16] {
        var lows: [UInt16] = []
        for (position, word) in words.enumerated() {
            var rest = word
            while rest != 0 {
                lows.append(UInt16(position << 6 | rest.trailingZeroBitCount))
                rest &= rest - 1
            }
        }
        return lows
    }
}
