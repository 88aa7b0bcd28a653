import NIOCore
import XCTest

@testable import Broker

final class UserStateTests: XCTestCase {
    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000_000)
    let minute = TimeAmount.minutes(1)

    func token(
        _ id: String = "at_1234567890", user: String = "u_1", addr: String = "http://127.0.0.1:9200",
        expiresAt: NIODeadline? = nil
    ) -> TokenRecord {
        TokenRecord(
            controllerAddress: addr, token: "\(id)_s1secret", tokenID: id, userID: user, expiration: nil,
            expiresAt: expiresAt)
    }

    func refresh(_ actions: [UserState.Action]) -> (UInt64, String?)? {
        for case .refresh(let g, let t) in actions { return (g, t) }
        return nil
    }

    func testTokenStartsAListingAndTheViewFollowsIt() {
        var u = UserState(uid: 1001)
        let (g, listToken) = refresh(u.tokenAccepted(token(), at: t0))!
        XCTAssertNil(listToken)
        XCTAssertTrue(u.viewAliases.isEmpty)
        let actions = u.refreshSucceeded(
            generation: g,
            .full(
                items: [
                    ListedAlias(id: "alt_1", value: "SSH.boundary.dev"),
                    .init(id: "alt_2", value: "web.boundary.dev"),
                ],
                listToken: "lt1"), at: t0, interval: minute)
        XCTAssertEqual(actions, [.viewChanged])
        XCTAssertEqual(u.viewAliases, ["ssh.boundary.dev", "web.boundary.dev"])
        XCTAssertEqual(u.listToken, "lt1")
        // Not due yet; then due with the list token.
        XCTAssertTrue(u.tick(at: t0 + .seconds(59)).isEmpty)
        let (g2, lt) = refresh(u.tick(at: t0 + minute))!
        XCTAssertEqual(lt, "lt1")
        let delta = u.refreshSucceeded(
            generation: g2,
            .delta(upserts: [.init(id: "alt_3", value: "db.boundary.dev")], removedIDs: ["alt_1"], listToken: "lt2"),
            at: t0 + minute, interval: minute)
        XCTAssertEqual(
            delta, [.viewChanged, .endAliasSessions(["ssh.boundary.dev"], reason: "the alias is no longer resolvable")])
        XCTAssertEqual(u.viewAliases, ["web.boundary.dev", "db.boundary.dev"])
        XCTAssertEqual(u.listToken, "lt2")
    }

    func testStaleRefreshResultsAreIgnored() {
        var u = UserState(uid: 1001)
        let (g1, _) = refresh(u.tokenAccepted(token(), at: t0))!
        let (g2, _) = refresh(u.tokenAccepted(token("at_2222222222"), at: t0))!
        XCTAssertNotEqual(g1, g2)
        XCTAssertTrue(
            u.refreshSucceeded(
                generation: g1, .full(items: [.init(id: "a", value: "x.y")], listToken: nil), at: t0, interval: minute
            ).isEmpty)
        XCTAssertTrue(u.viewAliases.isEmpty)
    }

    func testAnotherControllerOrUserEndsSessionsFirst() {
        var u = UserState(uid: 1001)
        let (g, _) = refresh(u.tokenAccepted(token(), at: t0))!
        _ = u.refreshSucceeded(
            generation: g, .full(items: [.init(id: "alt_1", value: "a.b")], listToken: "lt"), at: t0, interval: minute)
        // Same user and controller, new token: sessions stay, aliases stay.
        let same = u.tokenAccepted(token("at_3333333333"), at: t0)
        XCTAssertFalse(same.contains { if case .endSessions = $0 { return true } else { return false } })
        XCTAssertEqual(u.viewAliases, ["a.b"])
        XCTAssertEqual(refresh(same)?.1, "lt")
        // Another Boundary user.
        let other = u.tokenAccepted(token("at_4444444444", user: "u_2"), at: t0)
        XCTAssertEqual(other.first, .endSessions(reason: "signed in as another Boundary user (u_2)"))
        XCTAssertTrue(u.viewAliases.isEmpty)
        XCTAssertNil(refresh(other)?.1, "list from scratch")
        // Another controller.
        let moved = u.tokenAccepted(token("at_5555555555", user: "u_2", addr: "https://other:9200"), at: t0)
        XCTAssertEqual(moved.first, .endSessions(reason: "signed in to another controller (https://other:9200)"))
    }

    func testUnauthenticatedDropsTheToken() {
        var u = UserState(uid: 1001)
        let (g, _) = refresh(u.tokenAccepted(token(), at: t0))!
        let actions = u.refreshFailed(
            generation: g, .unauthenticated("Unauthenticated, or invalid token."), at: t0, interval: minute)
        XCTAssertEqual(actions.first, .endSessions(reason: "the controller rejected auth token at_1234567890"))
        XCTAssertTrue(
            actions.contains(.statusError("the controller rejected auth token at_1234567890 (401); sign in again")))
        XCTAssertNil(u.token)
        XCTAssertTrue(u.isEmpty)
    }

    func testExpiryDropsTheToken() {
        var u = UserState(uid: 1001)
        _ = u.tokenAccepted(token(expiresAt: t0 + .hours(1)), at: t0)
        XCTAssertTrue(
            u.tick(at: t0 + .minutes(59)).filter { if case .endSessions = $0 { return true } else { return false } }
                .isEmpty)
        let actions = u.tick(at: t0 + .hours(1))
        XCTAssertEqual(actions.first, .endSessions(reason: "auth token at_1234567890 expired"))
        XCTAssertNil(u.token)
    }

    func testInvalidListTokenListsFromScratchOnce() {
        var u = UserState(uid: 1001)
        let (g, _) = refresh(u.tokenAccepted(token(), at: t0))!
        _ = u.refreshSucceeded(
            generation: g, .full(items: [.init(id: "alt_1", value: "a.b")], listToken: "lt"), at: t0, interval: minute)
        let (g2, _) = refresh(u.tick(at: t0 + minute))!
        let again = u.refreshFailed(generation: g2, .invalidListToken, at: t0 + minute, interval: minute)
        let (g3, lt) = refresh(again)!
        XCTAssertNil(lt)
        // Without a list token it is an ordinary error, not a loop.
        let final = u.refreshFailed(generation: g3, .invalidListToken, at: t0 + minute, interval: minute)
        XCTAssertNil(refresh(final))
        XCTAssertEqual(u.viewAliases, ["a.b"], "the old view stays until a listing succeeds")
    }

    func testForbiddenListingTurnsOnTheFallback() {
        var u = UserState(uid: 1001)
        let (g, _) = refresh(u.tokenAccepted(token(), at: t0))!
        let actions = u.refreshFailed(generation: g, .forbidden("Forbidden."), at: t0, interval: minute)
        XCTAssertEqual(actions.first, .fallbackChanged)
        XCTAssertTrue(u.usesFallback)
        XCTAssertEqual(u.learn("db.corp"), [.viewChanged])
        XCTAssertEqual(u.learn("db.corp"), [])
        XCTAssertEqual(u.viewAliases, ["db.corp"])
        // Listing allowed again: it is authoritative.
        let (g2, _) = refresh(u.tick(at: t0 + minute))!
        let ok = u.refreshSucceeded(
            generation: g2, .full(items: [.init(id: "alt_9", value: "web.corp")], listToken: nil), at: t0 + minute,
            interval: minute)
        XCTAssertTrue(ok.contains(.fallbackChanged))
        XCTAssertFalse(u.usesFallback)
        XCTAssertEqual(u.viewAliases, ["web.corp"])
    }

    func testNetworkFailureRetriesSoonerAndKeepsTheView() {
        var u = UserState(uid: 1001)
        let (g, _) = refresh(u.tokenAccepted(token(), at: t0))!
        _ = u.refreshSucceeded(
            generation: g, .full(items: [.init(id: "alt_1", value: "a.b")], listToken: nil), at: t0,
            interval: .minutes(5))
        let (g2, _) = refresh(u.tick(at: t0 + .minutes(5)))!
        let actions = u.refreshFailed(
            generation: g2, .network("connection refused"), at: t0 + .minutes(5), interval: .minutes(5))
        XCTAssertEqual(actions.count, 1)
        XCTAssertEqual(u.viewAliases, ["a.b"])
        XCTAssertNil(refresh(u.tick(at: t0 + .minutes(5) + .seconds(14))))
        XCTAssertNotNil(refresh(u.tick(at: t0 + .minutes(5) + .seconds(15))))
    }

    func testPauseEmptiesTheViewAndResumeRefreshes() {
        var u = UserState(uid: 1001)
        let (g, _) = refresh(u.tokenAccepted(token(), at: t0))!
        _ = u.refreshSucceeded(
            generation: g, .full(items: [.init(id: "alt_1", value: "a.b")], listToken: "lt"), at: t0, interval: minute)
        XCTAssertEqual(u.setPaused(true, at: t0), [.endSessions(reason: "paused"), .viewChanged])
        XCTAssertTrue(u.viewAliases.isEmpty)
        XCTAssertTrue(u.tick(at: t0 + .hours(1)).isEmpty, "no refresh while paused")
        XCTAssertEqual(u.setPaused(true, at: t0), [])
        let resumed = u.setPaused(false, at: t0 + .hours(1))
        XCTAssertEqual(refresh(resumed)?.1, "lt")
        XCTAssertEqual(u.viewAliases, ["a.b"])
    }

    /// `viewContains` is what connections and DNS reports ask; it must agree with `viewAliases` through
    /// full listings, deltas (an id moved to another value, two ids with one value), pause, the 403
    /// fallback, learning and sign-out.
    func testViewContainsAgreesWithTheView() {
        var u = UserState(uid: 1001)
        let names = ["a.corp", "b.corp", "c.corp", "d.corp", "learned.corp", "nothing.corp"]
        func agree(_ step: String, file: StaticString = #filePath, line: UInt = #line) {
            for name in names {
                XCTAssertEqual(
                    u.viewContains(name), u.viewAliases.contains(name), "\(step): \(name)", file: file, line: line)
            }
        }
        agree("no token")
        let (g, _) = refresh(u.tokenAccepted(token(), at: t0))!
        _ = u.refreshSucceeded(
            generation: g,
            .full(
                items: [
                    .init(id: "alt_1", value: "a.corp"), .init(id: "alt_2", value: "B.corp"),
                    .init(id: "alt_3", value: "b.corp"), .init(id: "alt_1", value: "c.corp"),
                ],
                listToken: "lt1"), at: t0, interval: minute)
        XCTAssertEqual(u.viewAliases, ["b.corp", "c.corp"], "a repeated id: the last one wins")
        agree("full listing")
        let (g2, _) = refresh(u.tick(at: t0 + minute))!
        _ = u.refreshSucceeded(
            generation: g2,
            .delta(upserts: [.init(id: "alt_2", value: "d.corp")], removedIDs: ["alt_1"], listToken: "lt2"),
            at: t0 + minute, interval: minute)
        XCTAssertEqual(u.viewAliases, ["b.corp", "d.corp"], "alt_3 still holds b.corp after alt_2 moved")
        agree("delta")
        _ = u.setPaused(true, at: t0 + minute)
        agree("paused")
        let (g3, _) = refresh(u.setPaused(false, at: t0 + minute))!
        agree("resumed")
        _ = u.refreshFailed(generation: g3, .forbidden("Forbidden."), at: t0 + minute, interval: minute)
        agree("listing forbidden")
        XCTAssertEqual(u.learn("learned.corp"), [.viewChanged])
        XCTAssertTrue(u.viewContains("learned.corp"))
        agree("learned")
        _ = u.tokenRemoved(reason: "signed out")
        XCTAssertFalse(u.viewContains("learned.corp"))
        agree("signed out")
    }

    /// A delta is judged by the values it touches only; its actions must be the ones a comparison of
    /// the whole view before and after would give, over many random deltas (ids moving between
    /// values, two ids sharing a value, removals of unknown ids, empty deltas).
    func testDeltaActionsMatchAWholeViewComparison() {
        var u = UserState(uid: 1001)
        var (generation, _) = refresh(u.tokenAccepted(token(), at: t0))!
        _ = u.refreshSucceeded(generation: generation, .full(items: [], listToken: "lt"), at: t0, interval: minute)
        var rng = SystemRandomNumberGenerator()
        var now = t0
        for step in 0..<300 {
            now = now + minute
            (generation, _) = refresh(u.tick(at: now))!
            var upserts: [ListedAlias] = []
            var removed: [String] = []
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                upserts.append(
                    .init(
                        id: "alt_\(Int.random(in: 0..<12, using: &rng))",
                        value: "v\(Int.random(in: 0..<6, using: &rng)).corp"))
            }
            for _ in 0..<Int.random(in: 0...2, using: &rng) {
                removed.append("alt_\(Int.random(in: 0..<14, using: &rng))")
            }
            let before = u.viewAliases
            let actions = u.refreshSucceeded(
                generation: generation, .delta(upserts: upserts, removedIDs: removed, listToken: "lt"), at: now,
                interval: minute)
            let after = u.viewAliases
            var expected: [UserState.Action] = []
            if before != after {
                expected.append(.viewChanged)
                let gone = before.subtracting(after)
                if !gone.isEmpty {
                    expected.append(.endAliasSessions(gone.sorted(), reason: "the alias is no longer resolvable"))
                }
            }
            XCTAssertEqual(actions, expected, "step \(step): upserts \(upserts) removed \(removed)")
        }
    }

    func testControllerAddressNormalization() {
        XCTAssertEqual(ControllerAddress.normalize("HTTP://Boundary.Corp:9200/v1/"), "http://boundary.corp:9200")
        XCTAssertEqual(ControllerAddress.normalize(" https://b.corp/prefix/ "), "https://b.corp/prefix")
        XCTAssertEqual(ControllerAddress.normalize("http://127.0.0.1:9200"), "http://127.0.0.1:9200")
    }
}
