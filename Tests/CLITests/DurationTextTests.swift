import BoundaryWire
import XCTest

@testable import AgentCLI

final class DurationTextTests: XCTestCase {
    func testGoStyle() {
        XCTAssertEqual(DurationText.format(seconds: 0), "0s")
        XCTAssertEqual(DurationText.format(seconds: 9), "9s")
        XCTAssertEqual(DurationText.format(seconds: 60), "1m0s")
        XCTAssertEqual(DurationText.format(seconds: 58 * 60 + 9), "58m9s")
        XCTAssertEqual(DurationText.format(seconds: 3600), "1h0m0s")
        XCTAssertEqual(DurationText.format(seconds: 167 * 3600 + 58 * 60 + 9), "167h58m9s")
        XCTAssertEqual(DurationText.format(seconds: -5), "-5s")
        XCTAssertEqual(DurationText.format(seconds: -3661), "-1h1m1s")
        XCTAssertEqual(DurationText.format(seconds: Int64.min), "-2562047788015215h30m8s")
    }

    func testRoundingToTheSecondLikeGo() {
        let now = Timestamp(seconds: 1000, nanos: 0)
        XCTAssertEqual(DurationText.secondsUntil(Timestamp(seconds: 1009, nanos: 499_999_999), now: now), 9)
        XCTAssertEqual(DurationText.secondsUntil(Timestamp(seconds: 1009, nanos: 500_000_000), now: now), 10)
        XCTAssertEqual(DurationText.secondsUntil(Timestamp(seconds: 990, nanos: 500_000_000), now: now), -10)
        XCTAssertEqual(DurationText.secondsUntil(Timestamp(seconds: 990, nanos: 600_000_000), now: now), -9)
        let later = Timestamp(seconds: 1000, nanos: 900_000_000)
        XCTAssertEqual(DurationText.secondsUntil(Timestamp(seconds: 1001, nanos: 0), now: later), 0)
    }

    func testRemaining() {
        let now = Timestamp(seconds: 1_800_000_000)
        XCTAssertEqual(DurationText.remaining(until: "2027-01-22T07:58:09Z", now: now), "167h58m9s")
        XCTAssertEqual(DurationText.remaining(until: "2027-01-15T08:00:00Z", now: now), "expires now")
        XCTAssertEqual(DurationText.remaining(until: "2027-01-15T07:59:55Z", now: now), "expired 5s ago")
        XCTAssertEqual(DurationText.remaining(until: "not a time", now: now), "not a time")
    }
}
