import XCTest

@testable import Broker

final class ListedAliasStoreTests: XCTestCase {
    func testUpsertRemoveAndLookups() {
        var store = ListedAliasStore()
        XCTAssertTrue(store.isEmpty)
        XCTAssertNil(store.upsert(ListedAlias(id: "alt_1", value: "SSH.Corp.", destinationID: "ttcp_1")))
        store.upsert(ListedAlias(id: "alt_2", value: "db.corp"))
        XCTAssertEqual(store.count, 2)
        XCTAssertTrue(store.contains(value: "ssh.corp"))
        XCTAssertFalse(store.contains(value: "SSH.Corp."), "values are stored normalized")
        XCTAssertEqual(store.alias(id: "alt_1"), ListedAlias(id: "alt_1", value: "ssh.corp", destinationID: "ttcp_1"))
        XCTAssertEqual(store.alias(value: "db.corp")?.id, "alt_2")
        XCTAssertNil(store.alias(value: "db.corp")?.destinationID)
        // Replacing an id returns its old value; two ids may share a value.
        XCTAssertEqual(store.upsert(ListedAlias(id: "alt_1", value: "db.corp", destinationID: "ttcp_2")), "ssh.corp")
        XCTAssertFalse(store.contains(value: "ssh.corp"))
        XCTAssertEqual(store.remove(id: "alt_2"), "db.corp")
        XCTAssertTrue(store.contains(value: "db.corp"), "alt_1 still has it")
        XCTAssertNil(store.remove(id: "alt_2"))
        XCTAssertEqual(store.remove(id: "alt_1"), "db.corp")
        XCTAssertTrue(store.isEmpty)
        XCTAssertFalse(store.contains(value: "db.corp"))
    }

    /// Many aliases with churn (arena compaction, table growth and shrinking, backward-shift deletion),
    /// checked against a dictionary.
    func testManyAliasesAgreeWithADictionary() {
        var store = ListedAliasStore()
        var model: [String: ListedAlias] = [:]
        var generator = SystemRandomNumberGenerator()
        for step in 0..<30_000 {
            let id = "alt_\(Int.random(in: 0..<5000, using: &generator))"
            if Int.random(in: 0..<3, using: &generator) == 0 {
                XCTAssertEqual(store.remove(id: id), model.removeValue(forKey: id)?.value)
            } else {
                let alias = ListedAlias(
                    id: id, value: "h\(Int.random(in: 0..<3000, using: &generator)).long-zone-name.corp",
                    destinationID: step % 2 == 0 ? "ttcp_\(step % 7)" : nil)
                XCTAssertEqual(store.upsert(alias), model.updateValue(alias, forKey: id)?.value)
            }
        }
        XCTAssertEqual(store.count, model.count)
        for (id, alias) in model { XCTAssertEqual(store.alias(id: id), alias) }
        let values = Set(model.values.map(\.value))
        for k in 0..<3000 {
            let value = "h\(k).long-zone-name.corp"
            XCTAssertEqual(store.contains(value: value), values.contains(value), value)
        }
        var listed: [String] = []
        store.forEachValue { listed.append($0) }
        XCTAssertEqual(listed.sorted(), model.values.map(\.value).sorted())
        XCTAssertEqual(Set(store.aliases.map(\.id)), Set(model.keys))
        for id in model.keys { store.remove(id: id) }
        XCTAssertTrue(store.isEmpty)
    }

    func testCompactAliasIDs() {
        func encode(_ text: String) -> UInt64? {
            var text = text
            return text.withUTF8 { CompactAliasID.encode($0) }
        }
        for id in ["alt_0000000000", "alt_zzzzzzzzzz", "alt_1234567890", "alt_AbCdEfGhIj", "alt_9Zz0aA1bB2"] {
            let number = encode(id)
            XCTAssertNotNil(number, id)
            XCTAssertLessThan(number ?? .max, CompactAliasID.limit)
            XCTAssertEqual(number.map(CompactAliasID.decode), id)
        }
        XCTAssertEqual(encode("alt_0000000000"), 0)
        XCTAssertEqual(encode("alt_0000000010"), 62)
        XCTAssertEqual(encode("alt_zzzzzzzzzz"), CompactAliasID.limit - 1)
        XCTAssertNotEqual(encode("alt_000000000a"), encode("alt_000000000A"), "case matters")
        for other in [
            "alt_123456789", "alt_12345678901", "alx_1234567890", "alt_12345-7890", "alt_12345 7890", "", "alt_",
        ] {
            XCTAssertNil(encode(other), other)
        }
    }

    /// Numbered ids and ids of other forms side by side, with churn that compacts the arena: lookups by id
    /// agree with a dictionary, and the ids come back as they were sent.
    func testNumberedAndTextIDsAgreeWithADictionary() {
        var store = ListedAliasStore()
        var model: [String: ListedAlias] = [:]
        var generator = SystemRandomNumberGenerator()
        func id(_ n: Int) -> String {
            if n % 2 == 0 { return "alt_\(n)" }  // not the usual form: kept as text
            let digits = String(n * 7919, radix: 36)
            return "alt_" + String(repeating: "0", count: 10 - digits.count) + digits
        }
        for step in 0..<30_000 {
            let key = id(Int.random(in: 0..<4000, using: &generator))
            if Int.random(in: 0..<3, using: &generator) == 0 {
                XCTAssertEqual(store.remove(id: key), model.removeValue(forKey: key)?.value)
            } else {
                let alias = ListedAlias(id: key, value: "n\(step % 2500).zone.corp")
                XCTAssertEqual(store.upsert(alias), model.updateValue(alias, forKey: key)?.value)
            }
        }
        XCTAssertEqual(store.count, model.count)
        for (key, alias) in model { XCTAssertEqual(store.alias(id: key), alias) }
        for n in 0..<4000 where model[id(n)] == nil { XCTAssertNil(store.alias(id: id(n))) }
        XCTAssertEqual(Set(store.aliases.map(\.id)), Set(model.keys))
        for key in model.keys { store.remove(id: key) }
        XCTAssertTrue(store.isEmpty)
    }
}
