import NIOCore
import XCTest

@testable import Broker

final class SessionStateTests: XCTestCase {
    typealias State = SessionState<String>
    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    func record(_ id: String, limit: Int32? = -1, at now: NIODeadline, lifetime: TimeAmount = .hours(8))
        -> SessionRecord<String>
    {
        SessionRecord(
            id: id, grant: "grant-\(id)", tofuToken: "tttttttttttttttttttt", info: SessionInfo(sessionID: id),
            expiresAt: now + lifetime, connectionLimit: limit, now: now)
    }

    func authorizeGeneration(_ actions: [State.Action]) -> UInt64? {
        for case .authorize(let g) in actions { return g }
        return nil
    }

    func used(_ actions: [State.Action]) -> [(UInt64, String)] {
        actions.compactMap { if case .use(let c, let s) = $0 { return (c, s.id) } else { return nil } }
    }

    func failed(_ actions: [State.Action]) -> [UInt64] {
        actions.compactMap { if case .fail(let c, _) = $0 { return c } else { return nil } }
    }

    func cancelled(_ actions: [State.Action]) -> [String] {
        actions.compactMap { if case .cancel(let s) = $0 { return s.id } else { return nil } }
    }

    func testQueryAuthorizesAheadAndConnectReusesIt() {
        var s = State(uid: 1000, alias: "ssh.boundary.dev")
        let g = authorizeGeneration(s.queried(at: t0))!
        XCTAssertTrue(s.queried(at: t0).isEmpty, "one authorize at a time")
        XCTAssertTrue(s.authorized(generation: g, .success(record("s_1", at: t0)), at: t0).isEmpty)
        XCTAssertTrue(s.queried(at: t0).isEmpty, "a usable session needs no new one")
        let actions = s.connect(1, at: t0)
        XCTAssertEqual(used(actions).map(\.1), ["s_1"])
    }

    func testConnectWaitsForAuthorizeAndManyConnectionsShareOneSession() {
        var s = State(uid: 1000, alias: "a.example")
        let g = authorizeGeneration(s.connect(1, at: t0))!
        for c in 2...20 { XCTAssertTrue(s.connect(UInt64(c), at: t0).isEmpty) }
        let actions = s.authorized(generation: g, .success(record("s_1", at: t0)), at: t0)
        XCTAssertEqual(used(actions).map(\.0), Array(1...20))
        XCTAssertEqual(Set(used(actions).map(\.1)), ["s_1"])
        XCTAssertNil(authorizeGeneration(actions))
        for c in 1...20 { s.established(sessionID: "s_1", connectionsLeft: -1, at: t0); _ = c }
        XCTAssertEqual(s.openConnections, 20)
        for _ in 1...20 { XCTAssertTrue(s.closed(sessionID: "s_1", at: t0).isEmpty) }
        XCTAssertEqual(s.openConnections, 0)
        XCTAssertEqual(s.current?.id, "s_1")
    }

    func testConnectionLimitOneGivesEachConnectionItsOwnSession() {
        var s = State(uid: 1000, alias: "a.example")
        let g1 = authorizeGeneration(s.connect(1, at: t0))!
        XCTAssertTrue(s.connect(2, at: t0).isEmpty)
        var actions = s.authorized(generation: g1, .success(record("s_1", limit: 1, at: t0)), at: t0)
        XCTAssertEqual(used(actions).map(\.0), [1])
        let g2 = authorizeGeneration(actions)!
        actions = s.authorized(generation: g2, .success(record("s_2", limit: 1, at: t0)), at: t0)
        XCTAssertEqual(used(actions).map { "\($0.0)@\($0.1)" }, ["2@s_2"])
        XCTAssertEqual(s.retired.map(\.id), ["s_1"])
        s.established(sessionID: "s_1", connectionsLeft: 0, at: t0)
        XCTAssertEqual(
            cancelled(s.closed(sessionID: "s_1", at: t0)), ["s_1"],
            "an exhausted session is ended when its last connection ends")
        XCTAssertTrue(s.retired.isEmpty)
        // A third connect needs a third session.
        s.established(sessionID: "s_2", connectionsLeft: 0, at: t0)
        XCTAssertNotNil(authorizeGeneration(s.connect(3, at: t0)))
    }

    func testAnExhaustedCurrentSessionIsCancelledOnceIdleButARefusedOneIsNot() {
        var s = State(uid: 1, alias: "a.example")
        let g = authorizeGeneration(s.connect(1, at: t0))!
        _ = s.authorized(generation: g, .success(record("s_1", limit: 1, at: t0)), at: t0)
        s.established(sessionID: "s_1", connectionsLeft: 0, at: t0)
        XCTAssertEqual(cancelled(s.closed(sessionID: "s_1", at: t0)), ["s_1"])
        XCTAssertNil(s.current)
        // A session the worker refused as someone else's is dropped, not cancelled.
        let g2 = authorizeGeneration(s.connect(2, at: t0))!
        _ = s.authorized(generation: g2, .success(record("s_2", at: t0)), at: t0)
        let (retry, actions) = s.setupFailed(sessionID: "s_2", .inUse, at: t0)
        XCTAssertTrue(retry)
        XCTAssertTrue(cancelled(actions).isEmpty)
        let g3 = authorizeGeneration(s.connect(2, at: t0))!
        XCTAssertTrue(cancelled(s.authorized(generation: g3, .success(record("s_3", at: t0)), at: t0)).isEmpty)
    }

    func testWorkerSaysNoConnectionsLeft() {
        var s = State(uid: 1, alias: "a.example")
        let g = authorizeGeneration(s.connect(1, at: t0))!
        _ = s.authorized(generation: g, .success(record("s_1", limit: -1, at: t0)), at: t0)
        XCTAssertTrue(s.setupFailed(sessionID: "s_1", .noConnectionsLeft, at: t0).retry, "retry on a new session")
        let actions = s.connect(1, at: t0)
        XCTAssertNotNil(authorizeGeneration(actions))
    }

    func testInUseOrGoneRetriesOnANewSessionButOtherFailuresDoNot() {
        var s = State(uid: 1, alias: "a.example")
        let g = authorizeGeneration(s.connect(1, at: t0))!
        _ = s.authorized(generation: g, .success(record("s_1", limit: 5, at: t0)), at: t0)
        XCTAssertFalse(s.setupFailed(sessionID: "s_1", .other("connection refused"), at: t0).retry)
        XCTAssertEqual(s.current?.limitLeft, 5, "the reservation is given back")
        XCTAssertEqual(used(s.connect(2, at: t0)).map(\.1), ["s_1"])
        XCTAssertTrue(s.setupFailed(sessionID: "s_1", .inUse, at: t0).retry)
        XCTAssertNotNil(authorizeGeneration(s.connect(3, at: t0)))
    }

    func testExpiredOrExpiringSessionIsReplaced() {
        var s = State(uid: 1, alias: "a.example")
        let g = authorizeGeneration(s.queried(at: t0))!
        _ = s.authorized(generation: g, .success(record("s_1", at: t0, lifetime: .seconds(60))), at: t0)
        XCTAssertEqual(used(s.connect(1, at: t0 + .seconds(49))).map(\.1), ["s_1"])
        s.established(sessionID: "s_1", connectionsLeft: -1, at: t0 + .seconds(49))
        // Inside the margin before expiry: a new session.
        let g2 = authorizeGeneration(s.connect(2, at: t0 + .seconds(51)))!
        let actions = s.authorized(
            generation: g2, .success(record("s_2", at: t0 + .seconds(51))), at: t0 + .seconds(51))
        XCTAssertEqual(used(actions).map(\.1), ["s_2"])
        XCTAssertEqual(s.retired.map(\.id), ["s_1"], "still carries a connection")
        XCTAssertTrue(s.sweep(at: t0 + .seconds(61), idleTimeout: .minutes(15)).isEmpty)
        XCTAssertTrue(s.retired.isEmpty, "dropped at expiry, no cancel needed")
        XCTAssertTrue(s.closed(sessionID: "s_1", at: t0 + .seconds(62)).isEmpty, "a late close of a dropped session")
    }

    func testIdleSessionIsCancelledButNotWhileBusy() {
        var s = State(uid: 1, alias: "a.example")
        let g = authorizeGeneration(s.connect(1, at: t0))!
        _ = s.authorized(generation: g, .success(record("s_1", at: t0)), at: t0)
        s.established(sessionID: "s_1", connectionsLeft: -1, at: t0)
        XCTAssertTrue(s.sweep(at: t0 + .minutes(20), idleTimeout: .minutes(15)).isEmpty, "busy")
        XCTAssertTrue(s.closed(sessionID: "s_1", at: t0 + .minutes(20)).isEmpty)
        XCTAssertTrue(s.sweep(at: t0 + .minutes(34), idleTimeout: .minutes(15)).isEmpty)
        XCTAssertEqual(cancelled(s.sweep(at: t0 + .minutes(35), idleTimeout: .minutes(15))), ["s_1"])
        XCTAssertTrue(s.isEmpty)
    }

    func testUnusedPrefetchedSessionIsCancelledWhenIdle() {
        var s = State(uid: 1, alias: "a.example")
        let g = authorizeGeneration(s.queried(at: t0))!
        _ = s.authorized(generation: g, .success(record("s_1", at: t0)), at: t0)
        XCTAssertEqual(cancelled(s.sweep(at: t0 + .minutes(15), idleTimeout: .minutes(15))), ["s_1"])
    }

    func testAuthorizeFailureFailsWaitersAndBacksOff() {
        var s = State(uid: 1, alias: "a.example")
        let g = authorizeGeneration(s.connect(1, at: t0))!
        _ = s.connect(2, at: t0)
        let actions = s.authorized(generation: g, .failure(.forbidden("Forbidden.")), at: t0)
        XCTAssertEqual(failed(actions), [1, 2])
        // Fail fast while backing off: no new authorize, neither for a connect nor for a query.
        XCTAssertEqual(failed(s.connect(3, at: t0 + .seconds(10))), [3])
        XCTAssertTrue(s.queried(at: t0 + .seconds(10)).isEmpty)
        XCTAssertNotNil(authorizeGeneration(s.connect(4, at: t0 + .seconds(31))))
    }

    func testEndAllCancelsEverythingAndOrphansTheAuthorizeUnderWay() {
        var s = State(uid: 1, alias: "a.example")
        let g1 = authorizeGeneration(s.connect(1, at: t0))!
        _ = s.authorized(generation: g1, .success(record("s_1", limit: 1, at: t0)), at: t0)
        s.established(sessionID: "s_1", connectionsLeft: 0, at: t0)
        let g2 = authorizeGeneration(s.connect(2, at: t0))!
        _ = s.authorized(generation: g2, .success(record("s_2", limit: 1, at: t0)), at: t0)
        let g3 = authorizeGeneration(s.connect(3, at: t0))!
        let actions = s.endAll(reason: "signed out", at: t0)
        XCTAssertEqual(failed(actions), [3])
        XCTAssertEqual(Set(cancelled(actions)), ["s_1", "s_2"])
        XCTAssertTrue(s.isEmpty)
        // The session that arrives after sign-out is cancelled at once and never used.
        let late = s.authorized(generation: g3, .success(record("s_3", at: t0)), at: t0)
        XCTAssertEqual(cancelled(late), ["s_3"])
        XCTAssertTrue(used(late).isEmpty)
        XCTAssertNil(s.current)
    }

    func testConcurrentHandshakesKeepTheCountConservative() {
        var s = State(uid: 1, alias: "a.example")
        let g = authorizeGeneration(s.connect(1, at: t0))!
        _ = s.connect(2, at: t0)
        _ = s.connect(3, at: t0)
        let actions = s.authorized(generation: g, .success(record("s_1", limit: 3, at: t0)), at: t0)
        XCTAssertEqual(used(actions).count, 3)
        XCTAssertEqual(s.current?.limitLeft, 0)
        // The first handshake says 2 left (it counted only itself); two more are still pending.
        s.established(sessionID: "s_1", connectionsLeft: 2, at: t0)
        XCTAssertEqual(s.current?.limitLeft, 0)
        XCTAssertNotNil(authorizeGeneration(s.connect(4, at: t0)))
    }

    func testANewSessionThatTakesNoConnectionFailsTheWaiters() {
        var s = State(uid: 1, alias: "a.example")
        let g = authorizeGeneration(s.connect(1, at: t0))!
        let actions = s.authorized(generation: g, .success(record("s_1", at: t0, lifetime: .seconds(5))), at: t0)
        XCTAssertEqual(failed(actions), [1])
        XCTAssertNil(authorizeGeneration(actions))
    }
}
