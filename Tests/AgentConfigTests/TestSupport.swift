import AgentConfig
import Foundation
import XCTest

/// The repository root, found from this file's path (Tests/AgentConfigTests/TestSupport.swift).
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// Every diagnostic for `text`, as printed, with the path "t.hcl".
func diagnostics(_ text: String) -> [String] {
    ConfigLoader.diagnose(text, path: "t.hcl").1.map(\.description)
}

/// Parses `text`, failing the test (and returning the defaults) on any diagnostic.
func parsed(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> AgentConfiguration {
    do {
        return try ConfigLoader.parse(text, path: "t.hcl")
    } catch {
        XCTFail("unexpected diagnostics:\n\(error)", file: file, line: line)
        return AgentConfiguration()
    }
}

/// Asserts that `text` is rejected with exactly `expected` (each "t.hcl:line:col: message").
func assertRejected(
    _ text: String, _ expected: [String], file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(diagnostics(text), expected, file: file, line: line)
    XCTAssertThrowsError(try ConfigLoader.parse(text, path: "t.hcl"), file: file, line: line) { error in
        XCTAssertEqual((error as? ConfigError)?.diagnostics.map(\.description), expected, file: file, line: line)
    }
}

/// Asserts that the single line `key = value` is rejected with `message` at `column` (line 1).
func assertValue(
    _ key: String, _ value: String, rejectedAt column: Int, _ message: String, file: StaticString = #filePath,
    line: UInt = #line
) {
    assertRejected("\(key) = \(value)\n", ["t.hcl:1:\(column): \(message)"], file: file, line: line)
}

/// A private temporary directory, removed by the caller.
func makeTemporaryDirectory() throws -> String {
    var template = Array((NSTemporaryDirectory() + "bca-config-XXXXXX").utf8CString)
    guard let dir = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        throw CocoaError(.fileWriteUnknown)
    }
    return String(cString: dir)
}
