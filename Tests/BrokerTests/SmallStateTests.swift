import NIOCore
import XCTest

@testable import Broker

final class FallbackGateTests: XCTestCase {
    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    func testNegativeCacheJoinAndCandidates() {
        var g = FallbackGate(negativeTTL: .minutes(1))
        XCTAssertEqual(g.request(uid: 1, name: "db.corp", requestID: 1, at: t0), .ask)
        XCTAssertEqual(g.request(uid: 1, name: "db.corp", requestID: 2, at: t0), .joined)
        XCTAssertEqual(g.request(uid: 2, name: "db.corp", requestID: 3, at: t0), .ask, "per user")
        XCTAssertEqual(g.finish(uid: 1, name: "db.corp", isAlias: false, at: t0), [1, 2])
        XCTAssertEqual(g.request(uid: 1, name: "db.corp", requestID: 4, at: t0 + .seconds(59)), .negative)
        XCTAssertEqual(g.request(uid: 1, name: "db.corp", requestID: 5, at: t0 + .seconds(60)), .ask)
        XCTAssertEqual(g.request(uid: 1, name: "db_x.corp", requestID: 6, at: t0), .notACandidate)
        XCTAssertEqual(g.finish(uid: 2, name: "db.corp", isAlias: nil, at: t0), [3])
        XCTAssertFalse(g.isNegative(uid: 2, name: "db.corp", at: t0), "an error is not a negative answer")
    }

    func testRateLimitPerUserAndGlobal() {
        var g = FallbackGate(negativeTTL: .minutes(1))
        var asked = 0
        for i in 0..<100 where g.request(uid: 1, name: "n\(i).corp", requestID: UInt64(i), at: t0) == .ask {
            asked += 1
        }
        XCTAssertEqual(asked, FallbackGate.perUserBurst)
        // Another user still gets through, until the global bucket is empty.
        var others = 0
        for u in 2..<200 where g.request(uid: UInt32(u), name: "x.corp", requestID: 0, at: t0) == .ask { others += 1 }
        XCTAssertEqual(others, FallbackGate.globalBurst - FallbackGate.perUserBurst)
        // Refill: one per second per user.
        XCTAssertEqual(g.request(uid: 1, name: "later.corp", requestID: 0, at: t0 + .seconds(1)), .ask)
    }

    func testNegativeCacheIsBounded() {
        var g = FallbackGate(negativeTTL: .hours(1))
        for i in 0..<(FallbackGate.maximumNegativeEntries + 10) {
            _ = g.finish(uid: UInt32(i % 7), name: "n\(i).corp", isAlias: false, at: t0)
        }
        XCTAssertLessThanOrEqual(g.negativeCount, FallbackGate.maximumNegativeEntries)
    }
}

final class FailureWindowTests: XCTestCase {
    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    func testTripsWithinTheWindowOnly() {
        var w = FailureWindow(threshold: 3, window: .minutes(1))
        XCTAssertFalse(w.record(at: t0))
        XCTAssertFalse(w.record(at: t0 + .seconds(30)))
        XCTAssertFalse(w.record(at: t0 + .seconds(61)), "the first one left the window")
        XCTAssertTrue(w.record(at: t0 + .seconds(62)))
        w.reset()
        XCTAssertEqual(w.recentCount, 0)
        var never = FailureWindow(threshold: 0, window: .minutes(1))
        for i in 0..<100 { XCTAssertFalse(never.record(at: t0 + .seconds(Int64(i)))) }
    }
}

final class StatusLogTests: XCTestCase {
    func testNewestFirstPerUserAndFolding() {
        var log = StatusLog(capacity: 3)
        log.add(.error, "controller unreachable", time: 0)
        log.add(.error, "token expired", uid: 1001, time: 10)
        log.add(.warning, "pool full", time: 20)
        log.add(.error, "controller unreachable", time: 30)
        XCTAssertEqual(
            log.visible(to: 1001, level: .error),
            [
                "1970-01-01T00:00:30Z: controller unreachable (2 times)", "1970-01-01T00:00:10Z: token expired",
            ])
        XCTAssertEqual(log.visible(to: 1002, level: .error), ["1970-01-01T00:00:30Z: controller unreachable (2 times)"])
        XCTAssertEqual(log.visible(to: 1002, level: .warning), ["1970-01-01T00:00:20Z: pool full"])
        for i in 0..<5 { log.add(.error, "e\(i)", time: 100 + Int64(i)) }
        XCTAssertEqual(log.visible(to: 1001, level: .error).count, 3)
        XCTAssertEqual(log.visible(to: 1001, level: .warning).count, 1, "capacity is per level")
    }

    func testTextIsClippedAndControlCharactersRemoved() {
        var log = StatusLog()
        log.add(.error, "line1\nline2\u{7f}" + String(repeating: "x", count: 2000), time: 0)
        let text = log.entries[0].text
        XCTAssertFalse(text.contains("\n"))
        XCTAssertLessThanOrEqual(text.utf8.count, StatusLog.maximumTextLength + 4)
    }
}

final class RFC3339TimeTests: XCTestCase {
    func testFormatAndParse() {
        XCTAssertEqual(RFC3339Time.format(secondsSinceEpoch: 0), "1970-01-01T00:00:00Z")
        XCTAssertEqual(RFC3339Time.format(secondsSinceEpoch: 1_709_210_096), "2024-02-29T12:34:56Z")
        XCTAssertEqual(RFC3339Time.parseNanoseconds("2024-02-29T12:34:56Z"), 1_709_210_096_000_000_000)
        XCTAssertEqual(RFC3339Time.parseNanoseconds("2024-02-29T12:34:56.123456Z"), 1_709_210_096_123_456_000)
        XCTAssertEqual(RFC3339Time.parseNanoseconds("2024-02-29T14:34:56+02:00"), 1_709_210_096_000_000_000)
        XCTAssertEqual(RFC3339Time.parseNanoseconds("1969-12-31T23:59:59Z"), -1_000_000_000)
        for bad in [
            "", "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-01-01 00:00:00Z",
            "2024-01-01T00:00:00", "2024-01-01T00:00:00.Z", "2024-01-01T24:00:00Z", "2024-01-01T00:00:00Zjunk",
        ] {
            XCTAssertNil(RFC3339Time.parseNanoseconds(bad), bad)
        }
    }
}
