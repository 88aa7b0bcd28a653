import AgentConfig
import Foundation
import XCTest

/// The malformed and good files in Tests/integration/configs, which the helper's `-validate`
/// integration test also runs. Each bad NN-name.hcl must give exactly the lines of NN-name.expected,
/// with FILE standing for the path; each good file must load.
final class CorpusTests: XCTestCase {
    let corpus = repositoryRoot + "/Tests/integration/configs"

    func files(_ directory: String, _ suffix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(suffix) }.sorted()
    }

    func testEveryBadFileGivesItsExpectedDiagnostics() throws {
        let directory = corpus + "/bad"
        let configs = try files(directory, ".hcl")
        XCTAssertGreaterThanOrEqual(configs.count, 25)
        for name in configs {
            let path = directory + "/" + name
            let expectedPath = path.dropLast(4) + ".expected"
            let expectedText = try String(contentsOfFile: String(expectedPath), encoding: .utf8)
            let expected = expectedText.split(separator: "\n").map { $0.replacingOccurrences(of: "FILE", with: path) }
            XCTAssertFalse(expected.isEmpty, "\(expectedPath) is empty")
            do {
                let config = try ConfigLoader.load(path: path)
                XCTFail("\(name) loaded: \(config)")
            } catch {
                XCTAssertEqual(error.diagnostics.map(\.description), expected, name)
            }
        }
    }

    func testEveryBadFileHasAnExpectation() throws {
        let directory = corpus + "/bad"
        let configs = Set(try files(directory, ".hcl").map { $0.dropLast(4) })
        let expectations = Set(try files(directory, ".expected").map { $0.dropLast(9) })
        XCTAssertEqual(configs, expectations)
    }

    func testEveryGoodFileLoads() throws {
        let directory = corpus + "/good"
        let configs = try files(directory, ".hcl")
        XCTAssertGreaterThanOrEqual(configs.count, 3)
        for name in configs {
            XCTAssertNoThrow(try ConfigLoader.load(path: directory + "/" + name), name)
        }
    }
}
