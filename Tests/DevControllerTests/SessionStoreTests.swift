import XCTest

@testable import DevController

/// The session store's connection bookkeeping (authorize, close, cancel) and its ids.
final class SessionStoreTests: XCTestCase {
    private func insertSession(_ store: DevSessionStore, limit: Int32, now: Double) -> String {
        let id = "s_" + DevIDs.random(count: 10)
        store.insert(
            DevSessionStore.Session(
                id: id, userID: "u_1234567890", authTokenID: "at_1234567890", targetID: "ttcp_1234567890",
                scopeID: "p_1234567890", endpointHost: "127.0.0.1", endpointPort: 9, createdTime: now,
                updatedTime: now, expiration: now + 3600, certificateDER: [], privateKey: [], connectionLimit: limit))
        return id
    }

    func testConnectionsAreCountedClosedAndCancelledByID() throws {
        let store = DevSessionStore()
        let now = DevSessionStore.now()
        let id = insertSession(store, limit: -1, now: now)
        XCTAssertEqual(store.authorizeConnection(id: id, clientAddress: "127.0.0.1", clientPort: 1), .refused)
        XCTAssertEqual(store.activate(id: id, tofuToken: "t1234567890123456789"), .accepted)
        XCTAssertEqual(store.activate(id: id, tofuToken: "x1234567890123456789"), .tofuMismatch)
        var ids: [String] = []
        for port in 0..<500 {
            guard
                case .authorized(let c, let left) = store.authorizeConnection(
                    id: id, clientAddress: "127.0.0.1", clientPort: port)
            else { return XCTFail("connection \(port) refused") }
            XCTAssertEqual(left, -1)
            ids.append(c)
        }
        XCTAssertEqual(Set(ids).count, 500, "connection ids are unique")
        // Close them out of order; each close lands on its own record.
        for (i, c) in ids.enumerated().reversed() where i % 2 == 0 {
            store.closeConnection(
                sessionID: id, connectionID: c, bytesUp: Int64(i), bytesDown: Int64(2 * i), reason: "closed by end-user"
            )
        }
        store.closeConnection(sessionID: id, connectionID: "sc_unknown000", bytesUp: 1, bytesDown: 1, reason: "x")
        var session = try XCTUnwrap(store.session(id: id))
        XCTAssertEqual(session.connections.map(\.id), ids, "in authorisation order")
        for (i, c) in session.connections.enumerated() {
            XCTAssertEqual(c.clientPort, i)
            XCTAssertEqual(c.open, i % 2 == 1)
            if i % 2 == 0 {
                XCTAssertEqual(c.bytesUp, Int64(i))
                XCTAssertEqual(c.bytesDown, Int64(2 * i))
                XCTAssertEqual(c.closedReason, "closed by end-user")
            }
        }
        XCTAssertEqual(session.openConnectionCount, 250)

        // Cancel with open connections: canceling, then terminated once the last one closes.
        guard case .canceled(let canceled) = store.cancel(id: id, version: nil) else { return XCTFail("not cancelled") }
        XCTAssertEqual(canceled.status, .canceling)
        for (i, c) in ids.enumerated() where i % 2 == 1 {
            store.closeConnection(sessionID: id, connectionID: c, bytesUp: 0, bytesDown: 0, reason: "canceled")
        }
        session = try XCTUnwrap(store.session(id: id))
        XCTAssertEqual(session.status, .terminated)
        XCTAssertEqual(store.authorizeConnection(id: id, clientAddress: "127.0.0.1", clientPort: 1), .refused)
        XCTAssertNil(store.liveSession(id: id))
    }

    func testConnectionLimit() {
        let store = DevSessionStore()
        let id = insertSession(store, limit: 2, now: DevSessionStore.now())
        XCTAssertEqual(store.activate(id: id, tofuToken: "t1234567890123456789"), .accepted)
        guard case .authorized(_, let first) = store.authorizeConnection(id: id, clientAddress: "a", clientPort: 1),
            case .authorized(_, let second) = store.authorizeConnection(id: id, clientAddress: "a", clientPort: 2)
        else { return XCTFail("refused within the limit") }
        XCTAssertEqual([first, second], [1, 0])
        XCTAssertEqual(store.authorizeConnection(id: id, clientAddress: "a", clientPort: 3), .refused)
        XCTAssertEqual(store.cancel(id: "s_nosuchone1", version: nil).isNotFound, true)
    }

    func testIDsAreBase62OfTheRequestedLength() {
        var seen = Set<Character>()
        for count in [1, 7, 8, 9, 10, 33] {
            for _ in 0..<200 {
                let id = DevIDs.random(count: count)
                XCTAssertEqual(id.count, count)
                for c in id {
                    XCTAssertTrue(c.isASCII && (c.isLetter || c.isNumber), "\(c) in \(id)")
                    seen.insert(c)
                }
            }
        }
        XCTAssertEqual(seen.count, 62, "every base62 character turns up")
    }
}

extension DevSessionStore.CancelResult {
    fileprivate var isNotFound: Bool {
        if case .notFound = self { return true }
        return false
    }
}
