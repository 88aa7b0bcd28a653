import XCTest

@testable import Broker

final class CompactTablesTests: XCTestCase {
    func testArenaStoresStringsOfEveryLength() {
        var arena = ByteArena()
        let texts = [
            "", "a", String(repeating: "x", count: 127), String(repeating: "y", count: 128),
            String(repeating: "z", count: 20_000), "ünïcode.test",
        ]
        let offsets = texts.map { arena.append($0) }
        for (text, offset) in zip(texts, offsets) {
            XCTAssertEqual(arena.string(at: offset), text)
            var copy = text
            copy.withUTF8 { XCTAssertTrue(arena.equals(at: offset, $0)) }
        }
        arena.free(at: offsets[4])
        XCTAssertEqual(arena.garbage, 20_000 + 3)
        XCTAssertTrue(arena.isWasteful)
    }

    /// Records whose keys all collide (or fall into few buckets) are found, removed and re-found
    /// correctly through growth, shrinking and backward-shift deletion; checked against a Set.
    func testSlotTableWithCollisionsAgreesWithASet() {
        for buckets in [1, 7, 1 << 30] {
            var table = SlotTable()
            var keys: [Int] = []  // record number -> key
            var live = Set<UInt32>()
            func hashOf(_ record: UInt32) -> Int { keys[Int(record)] % buckets &* 0x1E37_79B9_7F4A_7C15 }
            var generator = SystemRandomNumberGenerator()
            for _ in 0..<(buckets == 1 ? 600 : 6000) {
                if !live.isEmpty, Int.random(in: 0..<3, using: &generator) == 0 {
                    guard let record = live.randomElement(using: &generator) else { continue }
                    table.remove(record, hash: hashOf(record), hashOf: hashOf)
                    live.remove(record)
                } else {
                    let record = UInt32(keys.count)
                    keys.append(Int.random(in: 0..<1_000_000, using: &generator))
                    table.insert(record, hash: hashOf(record), hashOf: hashOf)
                    live.insert(record)
                }
            }
            XCTAssertEqual(table.count, live.count)
            XCTAssertLessThanOrEqual(table.count * 4, table.slots.count * 3)
            for record in 0..<UInt32(keys.count) {
                let found = table.find(hash: hashOf(record)) { $0 == record }
                XCTAssertEqual(found != nil, live.contains(record), "buckets \(buckets) record \(record)")
            }
        }
    }
}
