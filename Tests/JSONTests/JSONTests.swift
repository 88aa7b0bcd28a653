import XCTest

@testable import JSON

final class JSONParserTests: XCTestCase {
    func testParsesEveryKind() throws {
        let v = try JSONValue(
            parsing: #" { "a": [1, -2, 3.5, 1e3, true, false, null], "b": {"c": "d\u00e9\n"}, "e": "" } "#)
        XCTAssertEqual(v["a"], [1, -2, 3.5, 1000.0, true, false, nil])
        XCTAssertEqual(v["b"]?["c"]?.stringValue, "dé\n")
        XCTAssertEqual(v["e"]?.stringValue, "")
        XCTAssertNil(v["missing"])
    }

    func testInt64AndProtojsonStrings() throws {
        let v = try JSONValue(parsing: #"{"max": 9223372036854775807, "big": 9223372036854775808, "s": "-12"}"#)
        XCTAssertEqual(v["max"], .int(Int64.max))
        XCTAssertEqual(v["big"], .double(9223372036854775808))
        XCTAssertEqual(v["s"]?.int64Value, -12)
        XCTAssertNil(JSONValue.string("x").int64Value)
    }

    func testSurrogatePairs() throws {
        XCTAssertEqual(try JSONValue(parsing: #""\ud83d\ude00""#).stringValue, "😀")
        XCTAssertThrowsError(try JSONValue(parsing: #""\ud83d""#))
        XCTAssertThrowsError(try JSONValue(parsing: #""\ude00""#))
        XCTAssertThrowsError(try JSONValue(parsing: #""\ud83d\u0041""#))
    }

    func testRejectsMalformedInput() {
        let bad: [(String, JSONError)] = [
            ("", .unexpectedEnd(offset: 0)),
            ("{", .unexpectedEnd(offset: 1)),
            ("[1,]", .unexpectedCharacter(offset: 3)),
            ("{\"a\":1,}", .unexpectedCharacter(offset: 7)),
            ("01", .invalidNumber(offset: 0)),
            ("1.", .invalidNumber(offset: 0)),
            ("-", .unexpectedEnd(offset: 1)),
            ("1e", .invalidNumber(offset: 0)),
            ("tru", .unexpectedEnd(offset: 3)),
            ("nul1", .unexpectedCharacter(offset: 0)),
            ("\"a\tb\"", .controlCharacterInString(offset: 2)),
            ("\"\\x\"", .invalidEscape(offset: 1)),
            ("{\"a\":1,\"a\":2}", .duplicateKey("a", offset: 7)),
            ("1 2", .trailingData(offset: 2)),
            ("'a'", .unexpectedCharacter(offset: 0)),
            ("NaN", .unexpectedCharacter(offset: 0)),
            ("1e999", .invalidNumber(offset: 0)),
        ]
        for (text, expected) in bad {
            XCTAssertThrowsError(try JSONValue(parsing: text), text) { error in
                XCTAssertEqual(error as? JSONError, expected, text)
            }
        }
    }

    func testRejectsInvalidUTF8() {
        XCTAssertThrowsError(try JSONValue(parsing: [0x22, 0xFF, 0x22])) { error in
            XCTAssertEqual(error as? JSONError, .invalidUTF8(offset: 0))
        }
    }

    func testDepthLimit() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        XCTAssertNoThrow(try JSONValue(parsing: ok))
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        XCTAssertThrowsError(try JSONValue(parsing: deep)) { error in
            guard case .tooDeep = error as? JSONError else { return XCTFail("\(error)") }
        }
        // A hostile body far deeper than any stack must fail cleanly, not crash.
        let hostile = String(repeating: "[", count: 1_000_000)
        XCTAssertThrowsError(try JSONValue(parsing: hostile))
    }
}

final class JSONWriterTests: XCTestCase {
    func testCompactIsSortedAndEscaped() {
        let v: JSONValue = ["b": [1, 2.5, nil], "a": "q\"\\\n\u{01}<&>", "c": true, "d": [:], "e": []]
        XCTAssertEqual(
            JSONWriter().string(v),
            #"{"a":"q\"\\\n\u0001\u003c\u0026\u003e","b":[1,2.5,null],"c":true,"d":{},"e":[]}"#)
    }

    func testPretty() {
        let v: JSONValue = ["items": [["id": "alt_1"]], "n": 3]
        XCTAssertEqual(
            JSONWriter(style: .pretty).string(v),
            "{\n  \"items\": [\n    {\n      \"id\": \"alt_1\"\n    }\n  ],\n  \"n\": 3\n}")
    }

    func testRoundTrip() throws {
        let v: JSONValue = [
            "s": "héllo 😀 \u{7f}", "i": .int(-9_223_372_036_854_775_807), "d": 0.1, "nested": [["x": [nil, false]]],
        ]
        XCTAssertEqual(try JSONValue(parsing: JSONWriter().string(v)), v)
        XCTAssertEqual(try JSONValue(parsing: JSONWriter(style: .pretty).string(v)), v)
    }
}
