import XCTest

@testable import BoundaryWire

final class AuthTokenStringTests: XCTestCase {
    func testParsesTheBoundaryTokenLayout() throws {
        let t = try AuthTokenString("at_1234567890_s1AbcDEF123")
        XCTAssertEqual(t.publicID, "at_1234567890")
        XCTAssertEqual(t.value, "at_1234567890_s1AbcDEF123")
        // Printing a token never shows the secret part.
        XCTAssertEqual("\(t)", "at_1234567890_…")
        XCTAssertFalse("\(t)".contains("s1Abc"))
    }

    func testMakeBuildsAParsableToken() throws {
        let t = try AuthTokenString.make(publicID: "at_AbCdE12345", secret: [0, 1, 2, 250])
        XCTAssertTrue(t.value.hasPrefix("at_AbCdE12345_s11"))
        XCTAssertEqual(try AuthTokenString(t.value), t)
    }

    func testRejectsWhatTheControllerWouldTreatAsAnonymous() {
        let bad = [
            "", "at_1234567890", "at_1234567890_s1abc_extra", "r_1234567890_s1abc", "at_123456789_s1abc",
            "at_12345678901_s1abc", "at_12345-7890_s1abc", "at_1234567890_s2abc", "at_1234567890_s1",
            "at_1234567890_s10OIl", "at_1234567890_abc", "at__s1abc", "AT_1234567890_s1abc",
            "at_1234567890_s1" + String(repeating: "a", count: 5000),
        ]
        for text in bad {
            XCTAssertThrowsError(try AuthTokenString(text), text) {
                guard case .invalidAuthToken = $0 as? BoundaryWireError else { return XCTFail("\($0)") }
            }
        }
    }
}
