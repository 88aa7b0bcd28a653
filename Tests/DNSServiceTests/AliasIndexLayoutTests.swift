import AgentConfig
import DNSCodec
import XCTest

@testable import DNSService

/// The compact records of `AliasIndex` (issue 8): their sizes, the IPv6 address kept as the IPv4 one plus an
/// interned difference (or whole when that does not fit), owners shared between users, and the
/// any-size table through growth, shrinking and removals.
extension AliasIndexTests {
    /// What a (name, user) costs: a regression in these shows here before it shows in the benchmark.
    func testRecordSizes() {
        XCTAssertEqual(MemoryLayout<AliasIndex.Owner>.stride, 8)
        XCTAssertEqual(MemoryLayout<AliasIndex.Entry>.stride, 16)
        XCTAssertEqual(MemoryLayout<AliasIndex.LaterOwner>.stride, 12)
    }

    /// A pseudo-random 64-bit value for `k` (a fixed scramble, so a failure replays).
    func scrambled(_ k: Int) -> UInt64 {
        var x = UInt64(k) &* 0x9E37_79B9_7F4A_7C15 &+ 0x6A09_E667_F3BC_C909
        x ^= x >> 29
        x = x &* 0xBF58_476D_1CE4_E5B9
        return x ^ x >> 32
    }

    func assertAddresses(
        _ index: AliasIndex, _ expected: [String: AliasEntry], uid: UInt32, file: StaticString = #filePath,
        line: UInt = #line
    ) throws {
        for (name, entry) in expected {
            let got = try addresses(index, name, uid: uid)
            XCTAssertNotNil(got, "\(name) uid \(uid)", file: file, line: line)
            XCTAssertEqual(got?.0, entry.ipv4, "\(name) uid \(uid)", file: file, line: line)
            XCTAssertEqual(got?.1, entry.ipv6, "\(name) uid \(uid)", file: file, line: line)
        }
    }

    /// IPv6 derived from IPv4 (the same difference for every alias, carries and borrows across the 64-bit
    /// halves included) takes one interned difference; IPv4 only, IPv6 only and arbitrary IPv6 addresses
    /// come back exactly, past the bound too (kept whole), and replacing them lets the whole ones go.
    func testOwnerAddressesRoundTrip() throws {
        var index = AliasIndex()
        let v4Base: UInt32 = 0x6440_0000  // 100.64.0.0
        // Low half near the top: adding the IPv4 offset carries into the high half.
        let v6Base = IPv6Address(high: 0xfd5b_c1a6_e7a0_0000, low: 0xFFFF_FFFF_FFFF_F000)
        var derived: [String: AliasEntry] = [:]
        for k in 0..<3000 {
            let v4 = v4Base + UInt32(k * 3)
            let v6 = AliasIndex.adding(UInt32(k * 3), to: v6Base)
            derived["d\(k).derived.test"] = AliasEntry(
                name: "d\(k).derived.test", ipv4: IPv4Address(value: v4), ipv6: v6)
        }
        XCTAssertEqual(derived["d2999.derived.test"]?.ipv6?.high, v6Base.high + 1, "the derivation carries")
        _ = index.setView(uid: 1, entries: Array(derived.values))
        XCTAssertEqual(index.v6DeltaCount, 1)
        XCTAssertEqual(index.wholeV6Count, 0)
        try assertAddresses(index, derived, uid: 1)

        // Arbitrary addresses: IPv4 and IPv6, IPv6 only, IPv4 only; more distinct differences than the bound.
        var arbitrary: [String: AliasEntry] = [:]
        let count = AliasIndex.maxV6Deltas * 2 + 100
        for k in 0..<count {
            let name = "a\(k).arbitrary.test"
            let v6 = IPv6Address(high: scrambled(k), low: scrambled(k + 1_000_000))
            let v4 = IPv4Address(value: UInt32(truncatingIfNeeded: scrambled(k + 2_000_000)))
            switch k % 3 {
            case 0: arbitrary[name] = AliasEntry(name: name, ipv4: v4, ipv6: v6)
            case 1: arbitrary[name] = AliasEntry(name: name, ipv4: nil, ipv6: v6)
            default: arbitrary[name] = AliasEntry(name: name, ipv4: v4, ipv6: nil)
            }
        }
        // Borrow: the IPv6 low half below the IPv4 address.
        arbitrary["borrow.test"] = AliasEntry(
            name: "borrow.test", ipv4: IPv4Address(value: 0xFFFF_FFFF), ipv6: IPv6Address(high: 7, low: 3))
        _ = index.setView(uid: 2, entries: Array(arbitrary.values))
        XCTAssertEqual(index.v6DeltaCount, AliasIndex.maxV6Deltas)
        let withV6 = arbitrary.values.filter { $0.ipv6 != nil }.count
        XCTAssertEqual(index.wholeV6Count, withV6 + 1 - AliasIndex.maxV6Deltas, "every difference past the bound")
        try assertAddresses(index, arbitrary, uid: 2)
        try assertAddresses(index, derived, uid: 1)

        // The same names without IPv6: the whole addresses go; then the names go.
        let v4Only = arbitrary.mapValues { AliasEntry(name: $0.name, ipv4: $0.ipv4, ipv6: nil) }
        _ = index.setView(uid: 2, entries: Array(v4Only.values))
        XCTAssertEqual(index.wholeV6Count, 0)
        try assertAddresses(index, v4Only, uid: 2)
        _ = index.setView(uid: 2, entries: [])
        XCTAssertEqual(index.wholeV6Count, 0)
        try assertAddresses(index, derived, uid: 1)
        _ = index.setView(uid: 1, entries: [])
        XCTAssertEqual(index.v6DeltaCount, 0)
        XCTAssertEqual(index.ownerCount, 0)
    }

    /// Differences no owner uses any more are dropped when the table is full, so later ones are interned
    /// again instead of all being kept whole.
    func testUnusedV6DifferencesAreCollected() throws {
        var index = AliasIndex()
        let keep = ["keep.test": AliasEntry(name: "keep.test", ipv4: nil, ipv6: IPv6Address(high: 1, low: 2))]
        _ = index.setView(uid: 1, entries: Array(keep.values))
        let full = (0..<AliasIndex.maxV6Deltas).map {
            AliasEntry(name: "f\($0).test", ipv4: nil, ipv6: IPv6Address(high: scrambled($0), low: UInt64($0)))
        }
        _ = index.setView(uid: 2, entries: full)
        XCTAssertEqual(index.v6DeltaCount, AliasIndex.maxV6Deltas)
        XCTAssertEqual(index.wholeV6Count, 1)
        _ = index.setView(uid: 2, entries: [])
        var later: [String: AliasEntry] = [:]
        for k in 0..<500 {
            later["l\(k).test"] = AliasEntry(
                name: "l\(k).test", ipv4: IPv4Address(value: UInt32(k)), ipv6: IPv6Address(high: 9, low: scrambled(k)))
        }
        _ = index.setView(uid: 3, entries: Array(later.values))
        XCTAssertEqual(index.v6DeltaCount, 501)
        XCTAssertEqual(index.wholeV6Count, 0)
        try assertAddresses(index, keep, uid: 1)
        try assertAddresses(index, later, uid: 3)
    }

    /// Twenty users with the same names, each at their own addresses: one entry per name; removing or
    /// shrinking one user's view takes exactly that user's owners, whether first or later in a name's chain.
    func testManyUsersShareNames() throws {
        var index = AliasIndex()
        func view(_ uid: UInt32, _ names: Range<Int>) -> [String: AliasEntry] {
            var view: [String: AliasEntry] = [:]
            for k in names {
                let name = "n\(k).shared.test"
                let v4 = IPv4Address(value: uid << 16 | UInt32(k))
                view[name] = AliasEntry(name: name, ipv4: v4, ipv6: uid % 2 == 0 ? nil : IPv6Address(high: 5, low: 6))
            }
            return view
        }
        for uid in UInt32(1)...20 { _ = index.setView(uid: uid, entries: Array(view(uid, 0..<500).values)) }
        XCTAssertEqual(index.nameCount, 500)
        XCTAssertEqual(index.ownerCount, 10_000)
        for uid in UInt32(1)...20 { try assertAddresses(index, view(uid, 0..<500), uid: uid) }
        // uid 1 holds every first owner: removing it leaves the names to the later ones.
        _ = index.setView(uid: 1, entries: [])
        _ = index.setView(uid: 7, entries: Array(view(7, 250..<500).values))
        XCTAssertEqual(index.nameCount, 500)
        XCTAssertEqual(index.ownerCount, 10_000 - 500 - 250)
        XCTAssertEqual(index.userCount, 19)
        for k in 0..<500 {
            let entry = try XCTUnwrap(try find(index, "N\(k).SHARED.TEST"))
            XCTAssertNil(index.owner(of: entry, uid: 1))
            XCTAssertEqual(index.owner(of: entry, uid: 7) == nil, k < 250, "\(k)")
            let any = try XCTUnwrap(index.anyOwner(of: entry))
            XCTAssertNotNil(index.addresses(ofOwner: any).ipv4)
        }
        for uid in UInt32(2)...20 where uid != 7 { try assertAddresses(index, view(uid, 0..<500), uid: uid) }
        try assertAddresses(index, view(7, 250..<500), uid: 7)
        // A new user takes the freed first-owner slots.
        _ = index.setView(uid: 21, entries: Array(view(21, 0..<10).values))
        try assertAddresses(index, view(21, 0..<10), uid: 21)
        for uid in UInt32(2)...21 { _ = index.setView(uid: uid, entries: []) }
        XCTAssertEqual(index.nameCount, 0)
        XCTAssertEqual(index.ownerCount, 0)
        XCTAssertEqual(index.userCount, 0)
    }

    /// Users are 16-bit numbers: past `maxUsers` a view is rejected whole (not served wrongly); a number
    /// freed by an emptied view is used again.
    func testUsersPastTheBoundAreRejected() throws {
        var index = AliasIndex()
        for k in 0..<AliasIndex.maxUsers {
            _ = index.setView(uid: UInt32(k + 1000), entries: [AliasEntry(name: "u\(k).test", ipv4: nil, ipv6: nil)])
        }
        XCTAssertEqual(index.userCount, AliasIndex.maxUsers)
        let extra = [AliasEntry(name: "extra.test", ipv4: IPv4Address(value: 1), ipv6: nil)]
        let result = index.setView(uid: 7, entries: extra)
        XCTAssertFalse(result.changed)
        XCTAssertEqual(result.rejected, ["extra.test"])
        XCTAssertNil(try find(index, "extra.test"))
        _ = index.setView(uid: 1000, entries: [])
        XCTAssertTrue(index.setView(uid: 7, entries: extra).changed)
        XCTAssertEqual(try addresses(index, "extra.test", uid: 7)?.0, IPv4Address(value: 1))
        XCTAssertNil(try addresses(index, "u1.test", uid: 7))
        XCTAssertNotNil(try addresses(index, "u1.test", uid: 1001))
    }

    /// One name in, one name out, thousands of times, in a small table about 70 % full: every removal
    /// shifts a cluster back, often one that wraps around the end of the table.
    func testSingleRemovalsShiftClustersAcrossTheEnd() throws {
        var index = AliasIndex()
        let pool = (0..<40).map { "w\($0).wrap.test" }
        var view = Set(pool[0..<14])
        for step in 0..<3000 {
            let out = view.sorted()[Int(scrambled(step) % UInt64(view.count))]
            let candidates = pool.filter { !view.contains($0) }
            let into = candidates[Int(scrambled(step + 50_000) % UInt64(candidates.count))]
            view.remove(out)
            view.insert(into)
            _ = index.setView(
                uid: 1, entries: view.map { AliasEntry(name: $0, ipv4: IPv4Address(value: 1), ipv6: nil) })
            XCTAssertEqual(index.nameCount, 14)
            for name in pool {
                XCTAssertEqual(try find(index, name) != nil, view.contains(name), "\(name) step \(step)")
            }
        }
    }

    /// A big table near 80 % full has names sitting more than 31 slots past their home (beyond what a slot
    /// records): removing a third of the names at a time, one backward shift each, finds their homes by
    /// hashing and keeps every remaining name reachable.
    func testRemovalsInLongClusters() throws {
        var index = AliasIndex()
        let names = (0..<40_000).map { "c\($0).long.test" }
        _ = index.setView(uid: 1, entries: names.map { AliasEntry(name: $0, ipv4: IPv4Address(value: 1), ipv6: nil) })
        _ = index.setView(
            uid: 2, entries: (0..<5200).map { AliasEntry(name: "o\($0).test", ipv4: IPv4Address(value: 2), ipv6: nil) })
        XCTAssertGreaterThan(index.nameCount * 100, index.slotCount * 78, "the table is nearly full")
        var kept = names
        for round in 0..<3 {
            kept = kept.enumerated().filter { ($0.offset + round) % 3 != 0 }.map(\.element)
            let slots = index.slotCount
            _ = index.setView(
                uid: 1, entries: kept.map { AliasEntry(name: $0, ipv4: IPv4Address(value: 1), ipv6: nil) })
            if round == 0 { XCTAssertEqual(index.slotCount, slots, "removed in place, not rebuilt") }
            let present = Set(kept)
            for name in names {
                XCTAssertEqual(try find(index, name) != nil, present.contains(name), "\(name) round \(round)")
            }
            XCTAssertNotNil(try find(index, "o5199.test"))
        }
    }

    /// Removing a bit under half the names at a time (shifted back one by one, no rebuild) still shrinks
    /// the table once it is under a quarter full, to 70 %.
    func testTableShrinksAfterStepwiseRemovals() throws {
        var index = AliasIndex()
        let names = (0..<4000).map { "s\($0).shrink.test" }
        var slots: [Int] = []
        for count in [4000, 2100, 1100, 600, 320, 170] {
            _ = index.setView(
                uid: 1, entries: names[..<count].map { AliasEntry(name: $0, ipv4: IPv4Address(value: 1), ipv6: nil) })
            XCTAssertGreaterThanOrEqual(index.nameCount * 4, index.slotCount, "\(count) names")
            XCTAssertLessThanOrEqual(index.nameCount * 5, index.slotCount * 4, "\(count) names")
            slots.append(index.slotCount)
            XCTAssertNotNil(try find(index, names[count - 1]))
            if count < names.count { XCTAssertNil(try find(index, names[count]), "\(count) names") }
        }
        // 1,100 and 320 names are under a quarter of the slots: back to 70 %; 2,100, 600 and 170 are not.
        XCTAssertEqual(slots, [5715, 5715, 1572, 1572, 458, 458])
    }

    /// A scrambled run of views (growing, shrinking, emptied, shared, repeated names) agrees with a
    /// dictionary after every call, and the table stays between a quarter and 80 % full.
    func testScrambledViewsAgreeWithAModel() throws {
        var index = AliasIndex()
        var model: [UInt32: [String: AliasEntry]] = [:]
        let pool = 6000
        for step in 0..<40 {
            let uid = UInt32(scrambled(step) % 6)
            // Big, small and empty views, so that the table grows and shrinks.
            let size = [0, 7, 300, 2500, 5000][Int(scrambled(step + 100) % 5)]
            let start = Int(scrambled(step + 200) % UInt64(pool))
            var view: [String: AliasEntry] = [:]
            var entries: [AliasEntry] = []
            for k in 0..<size {
                let number = (start + k * 7) % pool
                let name = "h\(number).z\(number % 4).test"
                let v4 = IPv4Address(value: UInt32(step << 16 | k))
                let v6 = k % 5 == 0 ? AliasIndex.adding(v4.value, to: IPv6Address(high: 0xfd00, low: 0)) : nil
                let entry = AliasEntry(name: k % 11 == 0 ? name.uppercased() : name, ipv4: v4, ipv6: v6)
                entries.append(entry)
                view[name] = entry
                if k % 97 == 0 {
                    // Repeated, another address: the last one wins.
                    let repeated = AliasEntry(name: name, ipv4: IPv4Address(value: 7), ipv6: nil)
                    entries.append(repeated)
                    view[name] = repeated
                }
            }
            _ = index.setView(uid: uid, entries: entries)
            model[uid] = view.isEmpty ? nil : view
            var names = Set<String>()
            for view in model.values { names.formUnion(view.keys) }
            XCTAssertEqual(index.nameCount, names.count, "step \(step)")
            XCTAssertEqual(index.ownerCount, model.values.reduce(0) { $0 + $1.count }, "step \(step)")
            XCTAssertEqual(index.userCount, model.count, "step \(step)")
            if index.nameCount > 0 {
                XCTAssertLessThanOrEqual(index.nameCount * 5, index.slotCount * 4, "step \(step)")
                XCTAssertTrue(index.slotCount <= 64 || index.nameCount * 4 >= index.slotCount, "step \(step)")
            }
            for number in stride(from: step % 3, to: pool, by: 3) {
                let name = "h\(number).z\(number % 4).test"
                for user in UInt32(0)..<6 {
                    let got = try addresses(index, name, uid: user)
                    let want = model[user]?[name]
                    XCTAssertEqual(got?.0, want?.ipv4, "\(name) uid \(user) step \(step)")
                    XCTAssertEqual(got?.1, want?.ipv6, "\(name) uid \(user) step \(step)")
                }
            }
        }
        for uid in UInt32(0)..<6 { _ = index.setView(uid: uid, entries: []) }
        XCTAssertEqual(index.nameCount, 0)
        XCTAssertEqual(index.slotCount, 0)
    }
}
