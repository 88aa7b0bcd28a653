import Foundation
import XCTest

/// The quick smoke of `make fuzz` inside `make test`: every libFuzzer harness in fuzz/targets,
/// compiled here without its entry point, replayed over the committed seed corpora (fuzz/corpus,
/// including every reproducer a fuzzing run found) and the fixtures the fuzzer also starts from.
/// A harness traps on a broken invariant, so a regression stops this test loudly.
final class FuzzReplayTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path

    /// Replays every file under `directories` (relative to the repository); returns how many.
    func replay(_ directories: [String], through harness: (UnsafePointer<UInt8>, Int) -> Void) throws -> Int {
        var count = 0
        for directory in directories {
            let path = Self.root + "/" + directory
            let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
            for name in names {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &isDirectory),
                    !isDirectory.boolValue
                else { continue }
                let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + "/" + name)))
                // libFuzzer never passes a null pointer; give empty files a valid one too.
                (bytes.isEmpty ? [0] : bytes).withUnsafeBufferPointer { harness($0.baseAddress!, bytes.count) }
                count += 1
            }
        }
        return count
    }

    func testDNS() throws {
        XCTAssertGreaterThan(try replay(["fuzz/corpus/dns", "Tests/fixtures/dns"], through: fuzzDNS), 100)
    }

    func testHCL() throws {
        let dirs = ["fuzz/corpus/hcl", "config", "Tests/integration/configs/good", "Tests/integration/configs/bad"]
        XCTAssertGreaterThan(try replay(dirs, through: fuzzHCL), 25)
    }

    func testIPC() throws { XCTAssertGreaterThan(try replay(["fuzz/corpus/ipc"], through: fuzzIPC), 3) }

    func testJSON() throws {
        XCTAssertGreaterThan(try replay(["fuzz/corpus/json", "fuzz/corpus/controller-json"], through: fuzzJSON), 5)
    }

    func testControllerJSON() throws {
        XCTAssertGreaterThan(try replay(["fuzz/corpus/controller-json"], through: fuzzControllerJSON), 5)
    }

    func testSessionToken() throws {
        XCTAssertGreaterThan(try replay(["fuzz/corpus/session-token"], through: fuzzSessionToken), 3)
    }

    func testWebSocket() throws {
        XCTAssertGreaterThan(try replay(["fuzz/corpus/websocket"], through: fuzzWebSocket), 3)
    }

    func testCLIHTTP() throws { XCTAssertGreaterThan(try replay(["fuzz/corpus/cli-http"], through: fuzzCLIHTTP), 3) }

    func testLocalAPI() throws {
        XCTAssertGreaterThan(try replay(["fuzz/corpus/local-api"], through: fuzzLocalAPI), 3)
    }
}
