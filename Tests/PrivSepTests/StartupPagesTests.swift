import Glibc
import PrivSep
import XCTest

final class StartupPagesTests: XCTestCase {
    /// The test binary's code pages are given back (MADV_DONTNEED) and the process
    /// keeps running its code: the pages fault back in.
    func testReleaseDropsTheProgramTextAndCodeStillRuns() throws {
        let before = try residentFilePages()
        let advised = try XCTUnwrap(StartupPages.release(), "madvise(MADV_DONTNEED) refused")
        XCTAssertGreaterThan(advised, 1 << 20, "a test binary has megabytes of code")
        let after = try residentFilePages()
        XCTAssertLessThan(after, before, "RssFile: \(before) kB before, \(after) kB after")
        // Code runs after the drop (it faults back in).
        XCTAssertEqual((1...1000).reduce(0, +), 500_500)
        XCTAssertNotNil(StartupPages.release(), "a second call is harmless")
    }

    /// RssFile from /proc/self/status, in kB.
    private func residentFilePages() throws -> Int {
        let text = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("RssFile:") })
        return try XCTUnwrap(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
    }
}
