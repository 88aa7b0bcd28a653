import NIOCore
import XCTest

@testable import Broker

/// The broker's one table of alias names, shared by the users' listings and the address allocator, and
/// collected by marking what the holders still use.
final class NameTableTests: XCTestCase {
    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    func testInternFindAndCollect() {
        let names = NameTable()
        let a = names.intern("a.zone.example")
        let b = names.intern("b.zone.example")
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(names.intern("a.zone.example"), a, "a known name keeps its number")
        XCTAssertEqual(names.find("b.zone.example"), b)
        XCTAssertNil(names.find("c.zone.example"))
        XCTAssertEqual(names.string(a), "a.zone.example")
        XCTAssertEqual(names.count, 2)
        var marks = NameTable.Marks(capacity: names.numberLimit)
        marks.insert(b)
        names.noteDropped()
        names.collect(keeping: marks)
        XCTAssertEqual(names.count, 1)
        XCTAssertNil(names.find("a.zone.example"), "unmarked: freed")
        XCTAssertEqual(names.find("b.zone.example"), b, "marked: kept under its number")
        XCTAssertEqual(names.dropped, 0)
        XCTAssertEqual(names.intern("c.zone.example"), a, "a freed number is handed out again")
        names.collect(keeping: NameTable.Marks(capacity: 0))
        XCTAssertEqual(names.count, 0)
        XCTAssertEqual(names.numberLimit, 0, "an empty table lets go of everything")
    }

    /// Two users' listings and the allocator over one table, with churn and collections: every holder's
    /// names stay right, a name is stored once however many hold it, and the table ends empty.
    func testListingsAndAllocatorShareNamesThroughChurnAndCollections() throws {
        let names = NameTable()
        var allocator = AddressAllocator(
            v4Base: IPText.parseV4("100.64.0.0")!, v4PrefixLength: 14, v6Base: IPText.parseV6("fd00::")!,
            v6PrefixLength: 64, quarantine: .zero, names: names)
        var stores = [ListedAliasStore(names: names), ListedAliasStore(names: names)]
        var models: [[String: String]] = [[:], [:]]
        var scramble: UInt64 = 0x2545_F491_4F6C_DD1D
        func next(_ bound: Int) -> Int {
            scramble = scramble &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((scramble >> 33) % UInt64(bound))
        }
        func collect() {
            var marks = NameTable.Marks(capacity: names.numberLimit)
            for store in stores { store.markNames(&marks) }
            allocator.markNames(&marks)
            names.collect(keeping: marks)
        }
        for round in 0..<8 {
            for _ in 0..<6000 {
                let user = next(2)
                let id = "alt_\(next(4000))"
                if next(3) == 0 {
                    XCTAssertEqual(stores[user].remove(id: id), models[user].removeValue(forKey: id))
                } else {
                    // Long first labels, so freed names soon make the text wasteful (a compaction).
                    let value = "host-with-a-long-first-label-\(next(5000)).r\(round % 3).zone.example"
                    XCTAssertEqual(
                        stores[user].upsert(ListedAlias(id: id, value: value)),
                        models[user].updateValue(value, forKey: id))
                }
            }
            // The allocator holds what the users list now; what they dropped is released.
            let listed = Set(models[0].values).union(models[1].values)
            for alias in allocator.allocatedAliases where !listed.contains(alias) { allocator.release(alias, at: t0) }
            let (records, failure) = allocator.allocateRecords(listed, at: t0)
            XCTAssertNil(failure)
            XCTAssertEqual(records.count, listed.count)
            collect()
            XCTAssertEqual(names.count, listed.count, "each live name once, the rest collected (round \(round))")
            for user in 0..<2 {
                XCTAssertEqual(stores[user].count, models[user].count)
                for (id, value) in models[user] {
                    XCTAssertEqual(stores[user].alias(id: id)?.value, value)
                    XCTAssertTrue(stores[user].contains(value: value))
                }
            }
            for alias in listed {
                let record = try XCTUnwrap(allocator.record(of: alias))
                XCTAssertEqual(names.find(alias), record, "a record's number is its name's")
                XCTAssertEqual(allocator.name(ofRecord: record), alias)
                let addresses = try XCTUnwrap(allocator.addresses(of: alias))
                XCTAssertEqual(allocator.alias(atV4: addresses.v4), alias)
            }
        }
        for user in 0..<2 { stores[user].removeAll() }
        for alias in allocator.allocatedAliases { allocator.release(alias, at: t0) }
        collect()
        XCTAssertEqual(names.count, 0)
    }

    /// The stores are values: a copy that lets go of names cannot free what the original still holds.
    func testACopiedStoreCannotFreeTheOriginalsNames() {
        let names = NameTable()
        var original = ListedAliasStore(names: names)
        for k in 0..<100 { original.upsert(ListedAlias(id: "alt_\(k)", value: "n\(k).corp.example")) }
        var copy = original
        copy.removeAll()
        XCTAssertEqual(names.dropped, 100)
        var marks = NameTable.Marks(capacity: names.numberLimit)
        original.markNames(&marks)
        copy.markNames(&marks)
        names.collect(keeping: marks)
        XCTAssertEqual(names.count, 100)
        for k in 0..<100 { XCTAssertEqual(original.alias(id: "alt_\(k)")?.value, "n\(k).corp.example") }
    }

    /// A name the listing holds but the allocator does not is not an allocated alias; once allocated, it
    /// keeps its number, and a quarantined record keeps its name through a collection.
    func testAllocatorRecordsFollowTheNamesTheyHold() throws {
        let names = NameTable()
        var allocator = AddressAllocator(
            v4Base: IPText.parseV4("100.64.0.0")!, v4PrefixLength: 16, v6Base: IPText.parseV6("fd00::")!,
            v6PrefixLength: 64, quarantine: .minutes(15), names: names)
        var store = ListedAliasStore(names: names)
        store.upsert(ListedAlias(id: "alt_1", value: "db.corp"))
        let number = try XCTUnwrap(names.find("db.corp"))
        XCTAssertNil(allocator.record(of: "db.corp"))
        XCTAssertNil(allocator.addresses(of: "db.corp"))
        XCTAssertEqual(allocator.allocateRecords(["db.corp"], at: t0).records, [number])
        let addresses = try XCTUnwrap(allocator.addresses(of: "db.corp"))
        store.removeAll()
        allocator.release("db.corp", at: t0)
        var marks = NameTable.Marks(capacity: names.numberLimit)
        store.markNames(&marks)
        allocator.markNames(&marks)
        names.collect(keeping: marks)
        XCTAssertEqual(names.find("db.corp"), number, "quarantined: the allocator still holds the name")
        XCTAssertEqual(try allocator.allocate(["db.corp"], at: t0 + .minutes(1))["db.corp"]?.get(), addresses)
    }
}

/// The per-user sets of name numbers, against `Set<UInt32>`.
final class NumberSetTests: XCTestCase {
    /// Numbers crowded into a few 65,536-number groups, so groups cross from sorted arrays to bitmaps
    /// and back as they fill and empty.
    func testAgreesWithASetThroughGrowthAndShrinking() {
        var set = NumberSet()
        var model = Set<UInt32>()
        var scramble: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: UInt64) -> UInt64 {
            scramble = scramble &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (scramble >> 33) % bound
        }
        for phase in 0..<4 {
            // Phases 0 and 2 mostly add (groups become bitmaps), 1 and 3 mostly remove (arrays again).
            let adding = phase % 2 == 0
            for _ in 0..<40_000 {
                let number = UInt32(next(3) << 16 | next(12_000)) | (next(50) == 0 ? 0xFFFF_0000 : 0)
                if next(10) < (adding ? 8 : 2) {
                    XCTAssertEqual(set.insert(number), model.insert(number).inserted)
                } else {
                    XCTAssertEqual(set.remove(number), model.remove(number) != nil)
                }
            }
            XCTAssertEqual(set.count, model.count, "phase \(phase)")
            XCTAssertEqual(set.sorted, model.sorted(), "phase \(phase)")
            for probe in 0..<2_000 {
                let number = UInt32(next(4) << 16 | next(13_000))
                XCTAssertEqual(set.contains(number), model.contains(number), "\(probe)")
            }
        }
        for number in model { XCTAssertTrue(set.remove(number)) }
        XCTAssertTrue(set.isEmpty)
        XCTAssertFalse(set.contains(0))
    }

    func testBuiltFromASortedArray() {
        let numbers: [UInt32] = [1, 1, 2, 70_000, 70_000, 0xFFFF_FFFF] + (200_000..<210_000).map { UInt32($0) }
        let set = NumberSet(sorted: numbers.sorted())
        XCTAssertEqual(set.sorted, Array(Set(numbers)).sorted())
        XCTAssertEqual(set.count, Set(numbers).count)
        XCTAssertTrue(set.contains(209_999))
        XCTAssertFalse(set.contains(3))
        XCTAssertEqual(NumberSet(sorted: []).count, 0)
    }
}
