import XCTest

@testable import DNSService

final class UInt64TableTests: XCTestCase {
    final class Box {
        let key: UInt64
        init(_ key: UInt64) { self.key = key }
    }

    /// Inserts and removes in a scrambled but fixed order (so a failure replays): keys shaped like
    /// serial << 16 | ID over three serials, each round walking the 2,048 IDs in a different permutation
    /// (an odd multiplier mod 2,048) and removing every third; clusters form, wrap around the table's end
    /// and are re-entered. Checked against a `Dictionary` after every step.
    func testMatchesADictionaryThroughGrowthRemovalsAndWraparound() {
        var table = UInt64Table<Box>()
        var model: [UInt64: Box] = [:]
        for step in 0..<20_000 {
            let round = step / 2048
            let id = UInt64((step % 2048) &* (2 * round + 1237) % 2048)
            let key = UInt64(round % 3 + 1) << 16 | id
            if (step + round) % 3 == 0 || model.count > 1500 {
                XCTAssertTrue(table.remove(key) === model.removeValue(forKey: key), "step \(step)")
            } else {
                let box = Box(key)
                table.insert(box, for: key)
                model[key] = box
            }
            XCTAssertEqual(table.count, model.count, "step \(step)")
            if step % 97 == 0 {
                for (key, box) in model { XCTAssertTrue(table[key] === box, "step \(step) key \(key)") }
            }
        }
        XCTAssertGreaterThan(table.capacity, UInt64Table<Box>.initialCapacity, "it grew")
        for (key, box) in model {
            XCTAssertTrue(table[key] === box)
            XCTAssertTrue(table.remove(key) === box)
            XCTAssertNil(table[key])
        }
        XCTAssertEqual(table.count, 0)
    }

    func testAbsentKeysReadAsNothingAndKeyZeroIsAKey() {
        var table = UInt64Table<Box>()
        XCTAssertNil(table[0])
        XCTAssertNil(table[UInt64.max])
        XCTAssertNil(table[1 << 16 | 7])
        XCTAssertNil(table.remove(1 << 16 | 7))
        let zero = Box(0)
        table.insert(zero, for: 0)
        XCTAssertTrue(table[0] === zero)
        let box = Box(1 << 16 | 7)
        table.insert(box, for: 1 << 16 | 7)
        XCTAssertFalse(table.contains(2 << 16 | 7))
        XCTAssertTrue(table.contains(1 << 16 | 7))
        let replacement = Box(1 << 16 | 7)
        table.insert(replacement, for: 1 << 16 | 7)
        XCTAssertEqual(table.count, 2, "same key replaces")
        XCTAssertTrue(table[1 << 16 | 7] === replacement)
        XCTAssertTrue(table.remove(0) === zero)
        XCTAssertNil(table[0])
        let top = Box(UInt64.max)
        table.insert(top, for: UInt64.max)
        XCTAssertTrue(table[UInt64.max] === top, "every key can be stored")
        XCTAssertTrue(table.remove(UInt64.max) === top)
    }

    /// The alias-report pruning: drop the stale entries, keep the rest findable, shrink to fit.
    func testRemoveAllWhereKeepsTheRestAndShrinks() {
        var table = UInt64Table<UInt64>()
        for key in UInt64(0)..<5000 { table.insert(key * 10, for: key) }
        let grown = table.capacity
        XCTAssertGreaterThanOrEqual(grown, 10_000)
        table.removeAll { key, _ in key % 100 != 0 }
        XCTAssertEqual(table.count, 50)
        XCTAssertLessThan(table.capacity, grown)
        for key in UInt64(0)..<5000 { XCTAssertEqual(table[key], key % 100 == 0 ? key * 10 : nil, "key \(key)") }
        table.insert(7, for: 7)
        XCTAssertEqual(table[7], 7)
        XCTAssertEqual(table.count, 51)
    }
}
