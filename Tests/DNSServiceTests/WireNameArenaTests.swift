import AgentConfig
import DNSCodec
import XCTest

@testable import DNSService

final class WireNameArenaTests: XCTestCase {
    func wire(_ text: String) throws -> [UInt8] { try DNSName(text).lowercased.wire }

    func append(_ arena: inout WireNameArena, _ text: String) throws -> UInt32 {
        try wire(text).withUnsafeBufferPointer { arena.append($0) }
    }

    func equals(_ arena: WireNameArena, _ reference: UInt32, _ text: String) throws -> Bool {
        try DNSName(text).wire.withUnsafeBufferPointer { arena.equals(reference, $0.baseAddress!, count: $0.count) }
    }

    /// A name with a long enough suffix is split (its zone stored once); it compares case-insensitively,
    /// hashes and reads back as the whole name, and is told apart from names that differ in either part.
    func testSplitAndWholeNamesCompareHashAndReadBack() throws {
        var arena = WireNameArena()
        let texts = ["s3-12345.scale.test", "db.scale.test", "abc.x", "single", "a.b.c.d.example"]
        var references: [UInt32] = []
        for text in texts { references.append(try append(&arena, text)) }
        XCTAssertNotEqual(references[0] & WireNameArena.split, 0, "split")
        XCTAssertNotEqual(references[1] & WireNameArena.split, 0, "split, the same suffix")
        XCTAssertEqual(references[2] & WireNameArena.split, 0, "suffix \\x01x\\x00 is too short")
        XCTAssertEqual(references[3] & WireNameArena.split, 0, "one label")
        // The second name in the zone costs its label (with its length byte) and the 2-byte suffix number.
        XCTAssertEqual(Int(references[2] & ~WireNameArena.split) - Int(references[1] & ~WireNameArena.split), 3 + 2)
        for (text, reference) in zip(texts, references) {
            let whole = try wire(text)
            XCTAssertEqual(arena.wire(reference), whole, text)
            XCTAssertTrue(try equals(arena, reference, text.uppercased()), text)
            XCTAssertEqual(
                arena.hash(reference),
                whole.withUnsafeBufferPointer {
                    DNSWire.caseInsensitiveHash($0.baseAddress!, count: $0.count)
                })
        }
        XCTAssertFalse(try equals(arena, references[0], "s3-12346.scale.test"), "another label")
        XCTAssertFalse(try equals(arena, references[0], "s3-12345.scala.test"), "another zone")
        XCTAssertFalse(try equals(arena, references[0], "s3-1234.scale.tests"), "the same length, split elsewhere")
        XCTAssertFalse(try equals(arena, references[1], "db.scale.test.x"))
        // Freeing counts exactly what each name took.
        var garbage = 0
        for (position, reference) in references.enumerated() {
            arena.free(reference)
            let end =
                position + 1 < references.count
                ? Int(references[position + 1] & ~WireNameArena.split) : arena.bytes.count
            garbage += end - Int(reference & ~WireNameArena.split)
            XCTAssertEqual(arena.garbage, garbage, texts[position])
        }
    }

    /// Past `maxSuffixes` zones, names are stored whole; known zones are still shared.
    func testNamesAreStoredWholeWhenTheSuffixTableIsFull() throws {
        var arena = WireNameArena()
        let count = WireNameArena.maxSuffixes + 50
        var references: [UInt32] = []
        for k in 0..<count { references.append(try append(&arena, "h.z\(k).example")) }
        XCTAssertNotEqual(references[WireNameArena.maxSuffixes - 1] & WireNameArena.split, 0)
        XCTAssertEqual(references[WireNameArena.maxSuffixes] & WireNameArena.split, 0)
        for k in [0, 300, WireNameArena.maxSuffixes - 1, WireNameArena.maxSuffixes, count - 1] {
            XCTAssertTrue(try equals(arena, references[k], "H.Z\(k).EXAMPLE"), "\(k)")
            XCTAssertEqual(arena.wire(references[k]), try wire("h.z\(k).example"))
        }
        XCTAssertNotEqual(try append(&arena, "other.z300.example") & WireNameArena.split, 0)
    }
}

extension AliasIndexTests {
    /// A view replaced by one with other names in other zones leaves the old names as garbage: the arena is
    /// rewritten (and its suffixes interned afresh), and every name is still found, whatever its case.
    func testReplacedViewCompactsTheNames() throws {
        var index = AliasIndex()
        let old = (0..<3000).map {
            AliasEntry(name: "o\($0).old\($0 % 5).test", ipv4: IPv4Address(value: 1), ipv6: nil)
        }
        _ = index.setView(uid: 1, entries: old)
        _ = index.setView(uid: 2, entries: [AliasEntry(name: "keep.old1.test", ipv4: IPv4Address(value: 2), ipv6: nil)])
        let new = (0..<1500).map {
            AliasEntry(name: "n\($0).new\($0 % 7).test", ipv4: IPv4Address(value: UInt32(10 + $0)), ipv6: nil)
        }
        _ = index.setView(uid: 1, entries: new)
        XCTAssertEqual(index.nameCount, 1501)
        for k in stride(from: 0, to: 1500, by: 37) {
            XCTAssertNil(try find(index, "o\(k).old\(k % 5).test"))
            let got = try addresses(index, "N\(k).NEW\(k % 7).TEST", uid: 1)?.0
            XCTAssertEqual(got, IPv4Address(value: UInt32(10 + k)))
        }
        XCTAssertEqual(try addresses(index, "keep.old1.test", uid: 2)?.0, IPv4Address(value: 2))
    }
}
