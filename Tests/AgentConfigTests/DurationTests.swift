import AgentConfig
import XCTest

/// Go duration text (time.ParseDuration) in, shortest Go-style text out.
final class DurationTests: XCTestCase {
    func testParsing() {
        let cases: [(String, Duration)] = [
            ("0", .zero), ("0s", .zero), ("60s", .seconds(60)), ("1m", .seconds(60)), ("1h30m", .seconds(5400)),
            ("500ms", .milliseconds(500)), ("1.5s", .milliseconds(1500)), (".5s", .milliseconds(500)),
            ("1.5h", .seconds(5400)), ("2us", .microseconds(2)), ("2µs", .microseconds(2)), ("3ns", .nanoseconds(3)),
            ("1h1m1s1ms1us1ns", .nanoseconds(3_661_001_001_001)), ("-5s", .seconds(-5)), ("+5s", .seconds(5)),
            ("1.000000001s", .nanoseconds(1_000_000_001)), ("0.1s", .milliseconds(100)),
            ("1.0000000019s", .nanoseconds(1_000_000_001)),  // truncated, as Go does
            ("2562047h", .seconds(2_562_047 * 3600)),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(Duration(goStyle: text), expected, text)
        }
    }

    func testErrors() {
        XCTAssertEqual(GoDuration.parse(""), .failure(.empty))
        XCTAssertEqual(GoDuration.parse("5"), .failure(.missingUnit("5")))
        XCTAssertEqual(GoDuration.parse("1h5"), .failure(.missingUnit("5")))
        XCTAssertEqual(GoDuration.parse("5d"), .failure(.unknownUnit("d")))
        XCTAssertEqual(GoDuration.parse("5S"), .failure(.unknownUnit("S")))
        XCTAssertEqual(GoDuration.parse("s"), .failure(.malformed))
        XCTAssertEqual(GoDuration.parse("-"), .failure(.malformed))
        XCTAssertEqual(GoDuration.parse(".s"), .failure(.malformed))
        XCTAssertEqual(GoDuration.parse("3000000h"), .failure(.tooLarge))
        XCTAssertEqual(GoDuration.parse("99999999999999999999ns"), .failure(.tooLarge))
        XCTAssertEqual(GoDuration.parse("2562047h48m"), .failure(.tooLarge))
        XCTAssertEqual(
            GoDuration.ParseError.unknownUnit("d").description, "unknown unit \"d\" (use ns, us, ms, s, m or h)")
    }

    func testPrinting() {
        let cases: [(Duration, String)] = [
            (.zero, "0s"), (.seconds(60), "1m"), (.seconds(5400), "1h30m"), (.seconds(90), "1m30s"),
            (.milliseconds(500), "500ms"), (.milliseconds(1500), "1.5s"), (.microseconds(2), "2us"),
            (.nanoseconds(3), "3ns"), (.seconds(3600), "1h"), (.seconds(3601), "1h1s"), (.seconds(-90), "-1m30s"),
            (.nanoseconds(1_000_000_001), "1.000000001s"), (.seconds(15 * 60), "15m"),
        ]
        for (duration, text) in cases {
            XCTAssertEqual(duration.goStyleDescription, text)
            XCTAssertEqual(Duration(goStyle: text), duration, text)
        }
    }
}
