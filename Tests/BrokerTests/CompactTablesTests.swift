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

    /// Names with a shared suffix are stored as their first label and the suffix's number; everything else
    /// whole. Both read back, compare and hash as the whole text, and freeing counts exactly what was stored.
    func testArenaSharesNameSuffixes() {
        var arena = ByteArena()
        let texts = [
            "db.prod.corp.example", "ssh.prod.corp.example", "x.ab", ".leading.dot.example", "nodot",
            "trailing.", "a.b.c.d.e", String(repeating: "h", count: 300) + ".prod.corp.example",
            "ünï.prod.corp.example",
        ]
        let offsets = texts.map { arena.append($0) }
        for (text, offset) in zip(texts, offsets) {
            XCTAssertEqual(arena.string(at: offset), text)
            var copy = text
            copy.withUTF8 {
                XCTAssertTrue(arena.equals(at: offset, $0))
                XCTAssertEqual(arena.hash(at: offset), ByteArena.hash($0))
            }
        }
        // The second name with ".prod.corp.example" costs its label and a header and suffix byte.
        XCTAssertEqual(Int(offsets[2] - offsets[1]), 3 + 2)
        XCTAssertEqual(ByteArena.storedSize("ssh.prod.corp.example"), 3 + 3)
        XCTAssertEqual(ByteArena.storedSize("x.ab"), 4 + 2, "a short suffix stays inline")
        var garbage = 0
        for (index, offset) in offsets.enumerated() {
            arena.free(at: offset)
            let end = index + 1 < offsets.count ? Int(offsets[index + 1]) : arena.bytes.count
            garbage += end - Int(offset)
            XCTAssertEqual(arena.garbage, garbage, texts[index])
        }
    }

    /// Past `maxSuffixes` distinct suffixes, new names are stored whole and still read back.
    func testArenaStoresNamesWholeWhenTheSuffixTableIsFull() {
        var arena = ByteArena()
        let count = ByteArena.maxSuffixes + 100
        let offsets = (0..<count).map { arena.append("h.z\($0).example") }
        for index in [0, 1, ByteArena.maxSuffixes - 1, ByteArena.maxSuffixes, count - 1] {
            XCTAssertEqual(arena.string(at: offsets[index]), "h.z\(index).example")
        }
        let whole = "h.z\(count - 1).example".utf8.count
        XCTAssertEqual(arena.bytes.count - Int(offsets[count - 1]), whole + 1)
        // A known suffix is still shared.
        let again = arena.append("k.z7.example")
        XCTAssertEqual(arena.bytes.count - Int(again), 1 + 1 + 1)
        XCTAssertEqual(arena.string(at: again), "k.z7.example")
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
            XCTAssertLessThanOrEqual(table.count * 5, table.slots.count * 4)
            for record in 0..<UInt32(keys.count) {
                let found = table.find(hash: hashOf(record)) { $0 == record }
                XCTAssertEqual(found != nil, live.contains(record), "buckets \(buckets) record \(record)")
            }
        }
    }
}
