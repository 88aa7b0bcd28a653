import XCTest

@testable import privileged_helper

/// The helper's command line.
final class HelperOptionsTests: XCTestCase {
    func testCommands() throws {
        XCTAssertEqual(try HelperOptions(["h"]).command, .run)
        XCTAssertEqual(try HelperOptions(["h", "-config", "/c", "-validate"]).command, .validate)
        XCTAssertEqual(try HelperOptions(["h", "cleanup", "-config=/c"]).configPath, "/c")
        XCTAssertEqual(try HelperOptions(["h", "-version"]).command, .version)
        XCTAssertEqual(try HelperOptions(["h", "--version"]).command, .version)
    }

    func testUsageErrors() {
        XCTAssertThrowsError(try HelperOptions(["h", "cleanup", "-version"]))
        XCTAssertThrowsError(try HelperOptions(["h", "-config"]))
        XCTAssertThrowsError(try HelperOptions(["h", "-verbose"]))
    }
}
