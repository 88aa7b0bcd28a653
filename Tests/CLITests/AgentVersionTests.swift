import AgentVersion
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// One version: the Swift constant every binary reports must be `./VERSION` (the .deb's version).
final class AgentVersionTests: XCTestCase {
    /// The repository root, from this file's path (Tests/CLITests/AgentVersionTests.swift).
    static var root: String {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }

    func testSwiftVersionIsTheVERSIONFile() throws {
        let path = Self.root + "/VERSION"
        guard let file = fopen(path, "r") else { return XCTFail("cannot open \(path)") }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 256)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return XCTFail("\(path) is empty") }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let version = text.filter { !$0.isWhitespace }
        XCTAssertEqual(AgentVersion.semver, version, "bump Sources/AgentVersion/AgentVersion.swift with ./VERSION")
    }

    func testSemverShape() {
        let parts = AgentVersion.semver.split(separator: "-", maxSplits: 1)[0].split(separator: ".")
        XCTAssertEqual(parts.count, 3, AgentVersion.semver)
        XCTAssertTrue(parts.allSatisfy { UInt($0) != nil }, AgentVersion.semver)
        XCTAssertFalse(AgentVersion.semver.hasPrefix("v"))
    }
}
