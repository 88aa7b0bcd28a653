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
}
