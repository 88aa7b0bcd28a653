import NIOCore
import XCTest

@testable import Broker

final class AddressAllocatorTests: XCTestCase {
    let base4 = IPText.parseV4("100.64.0.0")!
    let base6 = IPText.parseV6("fd5b:c1a6:e7a0::")!
    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    func makeDefault() -> AddressAllocator {
        AddressAllocator(v4Base: base4, v4PrefixLength: 10, v6Base: base6, v6PrefixLength: 64)
    }

    func testSipHashReferenceVectors() {
        // The reference implementation's vectors (key 00..0f; messages 00.. of length n).
        let key: (UInt64, UInt64) = (0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908)
        XCTAssertEqual(StableHash.sipHash24([UInt8](), key: key), 0x726f_db47_dd0e_0e31)
        XCTAssertEqual(StableHash.sipHash24([UInt8(0)], key: key), 0x74f8_39c5_93dc_67fd)
        XCTAssertEqual(StableHash.sipHash24(Array(UInt8(0)..<8), key: key), 0x93f5_f579_9a93_2462)
        XCTAssertEqual(StableHash.sipHash24(Array(UInt8(0)..<15), key: key), 0xa129_ca61_49be_45e5)
    }

    func testAddressesArePinned() {
        // A change here moves every alias on every installed agent: only with a migration note.
        var a = makeDefault()
        let result = a.allocate(["ssh.boundary.dev"], at: t0)
        let addresses = try? result["ssh.boundary.dev"]?.get()
        XCTAssertEqual(addresses.map { IPText.v4($0.v4) }, Self.pinnedV4)
        XCTAssertEqual(addresses.map { IPText.v6($0.v6) }, Self.pinnedV6)
    }
    static let pinnedV4 = "100.95.171.199"
    static let pinnedV6 = "fd5b:c1a6:e7a0::1f:abc7"

    func testSameAddressForEveryOrderAndInstance() {
        let names = (0..<500).map { "host\($0).corp.example" }
        var a = makeDefault()
        var b = makeDefault()
        _ = a.allocate(names, at: t0)
        for name in names.reversed() { _ = b.allocate([name], at: t0) }
        for name in names {
            XCTAssertEqual(a.addresses(of: name), b.addresses(of: name), name)
        }
        XCTAssertEqual(a.count, 500)
    }

    func testAddressesInsidePrefixAndNeverReserved() {
        var a = makeDefault()
        let names = (0..<2000).map { "n\($0).example" }
        let results = a.allocate(names, at: t0)
        var seen4 = Set<UInt32>()
        var seen6 = Set<UInt128>()
        for name in names {
            guard case .success(let addr) = results[name] else { return XCTFail("no address for \(name)") }
            XCTAssertEqual(addr.v4 & 0xffc0_0000, base4)
            XCTAssertNotEqual(addr.v4, base4)
            XCTAssertNotEqual(addr.v4, base4 + 1)
            XCTAssertNotEqual(addr.v4, base4 | 0x003f_ffff)
            XCTAssertEqual(addr.v6 >> 64, base6 >> 64)
            XCTAssertGreaterThan(addr.v6 & UInt128(UInt64.max), 1)
            XCTAssertTrue(seen4.insert(addr.v4).inserted)
            XCTAssertTrue(seen6.insert(addr.v6).inserted)
            XCTAssertEqual(a.alias(atV4: addr.v4), name)
            XCTAssertEqual(a.alias(atV6: addr.v6), name)
        }
        XCTAssertEqual(a.dnsAddresses.v4, base4 + 1)
    }

    func testCollisionsProbeAndBatchOrderDoesNotMatter() {
        // A /28 has 13 usable slots: 10 aliases collide for sure.
        let names = (0..<10).map { "c\($0).example" }
        func build(_ order: [String]) -> AddressAllocator {
            var a = AddressAllocator(v4Base: base4, v4PrefixLength: 28, v6Base: base6, v6PrefixLength: 124)
            _ = a.allocate(order, at: t0)
            return a
        }
        let forward = build(names)
        let backward = build(names.reversed())
        let shuffled = build([
            names[3], names[7], names[0], names[9], names[1], names[5], names[2], names[8], names[4], names[6],
        ])
        for name in names {
            XCTAssertNotNil(forward.addresses(of: name))
            XCTAssertEqual(forward.addresses(of: name), backward.addresses(of: name))
            XCTAssertEqual(forward.addresses(of: name), shuffled.addresses(of: name))
        }
        XCTAssertEqual(Set(names.compactMap { forward.addresses(of: $0)?.v4 }).count, 10)
        XCTAssertEqual(Set(names.compactMap { forward.addresses(of: $0)?.v6 }).count, 10)
    }

    func testAnAllocatedAliasNeverMoves() {
        var a = AddressAllocator(v4Base: base4, v4PrefixLength: 28, v6Base: base6, v6PrefixLength: 64)
        _ = a.allocate(["first.example"], at: t0)
        let first = a.addresses(of: "first.example")
        for i in 0..<12 { _ = a.allocate(["later\(i).example"], at: t0) }
        XCTAssertEqual(a.addresses(of: "first.example"), first)
    }

    func testExhaustionIsReportedAndReleaseFreesASlot() {
        var a = AddressAllocator(v4Base: base4, v4PrefixLength: 28, v6Base: base6, v6PrefixLength: 64)
        XCTAssertEqual(a.capacity, 13)
        let names = (0..<14).map { "x\($0).example" }
        let results = a.allocate(names, at: t0)
        let failures = names.filter { if case .failure = results[$0] { return true } else { return false } }
        XCTAssertEqual(failures.count, 1)
        XCTAssertEqual(results[failures[0]], .failure(.v4PoolExhausted(prefix: "100.64.0.0/28")))
        XCTAssertEqual(a.count, 13)
        let victim = names.first { $0 != failures[0] }!
        a.release(victim, at: t0)
        XCTAssertNil(a.addresses(of: victim))
        guard case .success = a.allocate([failures[0]], at: t0)[failures[0]] else {
            return XCTFail("no address after release")
        }
        // An already allocated alias is returned as it is, even when the pool is full.
        XCTAssertEqual(a.allocate([failures[0]], at: t0)[failures[0]], .success(a.addresses(of: failures[0])!))
    }

    func testReleasedAddressIsQuarantinedThenReused() {
        var a = AddressAllocator(
            v4Base: base4, v4PrefixLength: 28, v6Base: base6, v6PrefixLength: 64, quarantine: .minutes(15))
        _ = a.allocate(["gone.example"], at: t0)
        let old = a.addresses(of: "gone.example")!
        a.release("gone.example", at: t0)
        XCTAssertNil(a.alias(atV4: old.v4))
        // Nobody else gets the address while it is quarantined…
        for i in 0..<11 {
            _ = a.allocate(["other\(i).example"], at: t0 + .minutes(1))
            XCTAssertNotEqual(a.addresses(of: "other\(i).example")?.v4, old.v4)
        }
        // …the alias itself gets it back…
        XCTAssertEqual(try a.allocate(["gone.example"], at: t0 + .minutes(2))["gone.example"]?.get(), old)
        a.release("gone.example", at: t0 + .minutes(2))
        // …and a full pool takes the oldest quarantined address rather than fail.
        XCTAssertEqual(a.count, 11)
        _ = a.allocate(["p1.example", "p2.example"], at: t0 + .minutes(3))
        XCTAssertEqual(a.count, 13)
        XCTAssertEqual(a.quarantinedCount, 0)
    }

    /// Pushed views hold records; the last holder's release quarantines the alias; repeats in one batch
    /// are placed once.
    func testRecordsHoldAndUnhold() throws {
        var a = AddressAllocator(
            v4Base: base4, v4PrefixLength: 24, v6Base: base6, v6PrefixLength: 64, quarantine: .minutes(15))
        let (records, failure) = a.allocateRecords(["b.example", "a.example", "b.example"], at: t0)
        XCTAssertNil(failure)
        XCTAssertEqual(records.count, 2)
        XCTAssertEqual(records, records.sorted())
        XCTAssertEqual(Set(records.map { a.name(ofRecord: $0) }), ["a.example", "b.example"])
        let b = try XCTUnwrap(a.record(of: "b.example"))
        XCTAssertEqual(a.addresses(ofRecord: b), a.addresses(of: "b.example"))
        a.hold(b)
        a.hold(b)
        a.unhold(b, at: t0)
        XCTAssertNotNil(a.addresses(of: "b.example"), "one holder left")
        let old = a.addresses(ofRecord: b)
        a.unhold(b, at: t0)
        XCTAssertNil(a.addresses(of: "b.example"))
        XCTAssertNil(a.alias(atV4: old.v4))
        XCTAssertNil(a.alias(atV6: old.v6))
        XCTAssertEqual(a.quarantinedCount, 1)
        XCTAssertEqual(a.count, 1)
        XCTAssertEqual(a.allocatedAliases, ["a.example"])
        // After the quarantine the record is gone for good: a later allocation starts afresh.
        _ = a.allocateRecords(["c.example"], at: t0 + .minutes(16))
        XCTAssertEqual(a.quarantinedCount, 0)
        XCTAssertEqual(a.count, 2)
    }

    /// Many aliases allocated and released in rounds (table growth, backward-shift deletion, name arena
    /// compaction): every lookup agrees both ways.
    func testChurnKeepsLookupsConsistent() {
        var a = AddressAllocator(
            v4Base: base4, v4PrefixLength: 16, v6Base: base6, v6PrefixLength: 64, quarantine: .zero)
        var live = Set<String>()
        for round in 0..<6 {
            let names = (0..<3000).map { "r\((round * 1000 + $0) % 7000).churn.example" }
            _ = a.allocate(names, at: t0)
            live.formUnion(names)
            for name in names where name.hasPrefix("r\(round)") || name.hash % 3 == 0 {
                a.release(name, at: t0)
                live.remove(name)
            }
            XCTAssertEqual(a.count, live.count)
        }
        for name in live {
            guard let addresses = a.addresses(of: name) else { return XCTFail("lost \(name)") }
            XCTAssertEqual(a.alias(atV4: addresses.v4), name)
            XCTAssertEqual(a.alias(atV6: addresses.v6), name)
        }
        XCTAssertEqual(Set(a.allocatedAliases), live)
    }

    func testV6PoolCanBeTheLimit() {
        var a = AddressAllocator(v4Base: base4, v4PrefixLength: 16, v6Base: base6, v6PrefixLength: 126)
        XCTAssertEqual(a.capacity, 2)
        let results = a.allocate(["a.example", "b.example", "c.example"], at: t0)
        XCTAssertEqual(
            results.values.filter { if case .failure(.v6PoolExhausted) = $0 { return true } else { return false } }
                .count, 1)
    }

    /// An alias's IPv6 address is `v6_prefix` + its IPv4 address's offset in `v4_prefix`, both ways, before
    /// and after records are freed and reused; only offsets of usable slots find an alias.
    func testIPv6AddressIsTheIPv4OffsetInV6Prefix() throws {
        let base48 = IPText.parseV6("fd5b:c1a6:e7a0::")!
        var a = AddressAllocator(
            v4Base: base4, v4PrefixLength: 16, v6Base: base48, v6PrefixLength: 48, quarantine: .zero)
        let names = (0..<500).map { "w\($0).wide.example" }
        _ = a.allocate(names, at: t0)
        for name in names {
            let addresses = try XCTUnwrap(a.addresses(of: name))
            XCTAssertEqual(addresses.v6, base48 | UInt128(addresses.v4 - base4), name)
            XCTAssertEqual(a.alias(atV6: addresses.v6), name)
            XCTAssertEqual(a.alias(atV4: addresses.v4), name)
            // The same offset in another prefix, or with bits above the pool set, is not this alias.
            XCTAssertNil(a.alias(atV6: addresses.v6 ^ (UInt128(1) << 80)))
            XCTAssertNil(a.alias(atV6: addresses.v6 | (UInt128(1) << 40)))
        }
        XCTAssertNil(a.alias(atV6: base48))
        XCTAssertNil(a.alias(atV6: base48 + 1))
        XCTAssertNil(a.alias(atV6: base48 + 0xFFFF), "the IPv4 broadcast offset is never a slot")
        XCTAssertNil(a.alias(atV6: base48 &- 1), "below the prefix")
        let pinned = try XCTUnwrap(a.addresses(of: "w7.wide.example"))
        for name in names.prefix(250) { a.release(name, at: t0) }
        _ = a.allocate((0..<250).map { "v\($0).wide.example" }, at: t0)
        for name in names.dropFirst(250) + (0..<250).map({ "v\($0).wide.example" }) {
            let addresses = try XCTUnwrap(a.addresses(of: name))
            XCTAssertEqual(a.alias(atV6: addresses.v6), name)
        }
        XCTAssertNil(a.addresses(of: "w7.wide.example"))
        XCTAssertEqual(
            try a.allocate(["w7.wide.example"], at: t0)["w7.wide.example"]?.get(), pinned,
            "a free home slot gives the same address again")
    }

    /// A `v6_prefix` with fewer addresses than `v4_prefix` bounds the slots of both: every IPv4 offset
    /// has its IPv6 twin inside the smaller prefix.
    func testSmallerV6PrefixBoundsTheIPv4Slots() throws {
        let base112 = IPText.parseV6("fd5b:c1a6:e7a0::")!
        var a = AddressAllocator(v4Base: base4, v4PrefixLength: 10, v6Base: base112, v6PrefixLength: 112)
        XCTAssertEqual(a.capacity, 65_534)
        let names = (0..<2000).map { "s\($0).small6.example" }
        _ = a.allocate(names, at: t0)
        for name in names {
            let addresses = try XCTUnwrap(a.addresses(of: name))
            XCTAssertLessThan(addresses.v4 - base4, 0x1_0000, name)
            XCTAssertEqual(addresses.v6 >> 16, base112 >> 16, name)
            XCTAssertEqual(a.alias(atV6: addresses.v6), name)
        }
    }

    func testPrefixBaseIsMasked() {
        let a = AddressAllocator(
            v4Base: IPText.parseV4("100.64.7.9")!, v4PrefixLength: 10, v6Base: base6 | 5, v6PrefixLength: 64)
        XCTAssertEqual(a.v4PrefixText, "100.64.0.0/10")
        XCTAssertEqual(a.v6PrefixText, "fd5b:c1a6:e7a0::/64")
    }
}

final class IPTextTests: XCTestCase {
    func testV4() {
        XCTAssertEqual(IPText.v4(0x6440_0001), "100.64.0.1")
        XCTAssertEqual(IPText.parseV4("100.64.0.1"), 0x6440_0001)
        for bad in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "a.b.c.d", "1.2.3.4 ", "01234.1.1.1"] {
            XCTAssertNil(IPText.parseV4(bad), bad)
        }
    }

    func testV6() {
        let cases = [
            "fd5b:c1a6:e7a0::1", "::", "::1", "1::", "2001:db8::1:0:0:1", "2001:db8:0:1:1:1:1:1",
            "fe80:0:1:2:3:4:5:6", "fe80::1:2:3:4:5",
        ]
        for text in cases {
            guard let value = IPText.parseV6(text) else { XCTFail(text); continue }
            XCTAssertEqual(IPText.v6(value), text)
        }
        // RFC 5952 §4.2.2: a single zero group is not shortened.
        XCTAssertEqual(IPText.v6(IPText.parseV6("2001:db8:0:1:1:1:1:1")!), "2001:db8:0:1:1:1:1:1")
        // §4.2.3: the longest run is shortened; the first on a tie.
        XCTAssertEqual(IPText.v6(IPText.parseV6("1:0:0:2:0:0:0:3")!), "1:0:0:2::3")
        XCTAssertEqual(IPText.v6(IPText.parseV6("1:0:0:2:3:0:0:4")!), "1::2:3:0:0:4")
        for bad in ["", ":", ":::", "1::2::3", "12345::", "g::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "::1.2.3.4"] {
            XCTAssertNil(IPText.parseV6(bad), bad)
        }
    }
}

final class AliasNameTests: XCTestCase {
    func testNormalize() {
        XCTAssertEqual(AliasName.normalize("SSH.Boundary.Dev."), "ssh.boundary.dev")
        XCTAssertEqual(AliasName.normalize("ssh.boundary.dev"), "ssh.boundary.dev")
        XCTAssertEqual(AliasName.normalize("ÄB.c"), "Äb.c")
    }

    func testFallbackCandidates() {
        for good in ["db.corp", "a-b.c-d.example", "x1.y2"] { XCTAssertTrue(AliasName.isFallbackCandidate(good), good) }
        let long = String(repeating: "a", count: 64) + ".example"
        for bad in [
            "", "corp", "db_prod.corp", "-a.corp", "a-.corp", "a..b", ".a.b", "a.b.", "a b.c", "DB.corp", long,
            "ttcp_1234567890", "é.corp",
        ] {
            XCTAssertFalse(AliasName.isFallbackCandidate(bad), bad)
        }
    }
}
