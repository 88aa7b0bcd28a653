import AgentConfig
import Foundation
import XCTest

/// Reading the file: missing, unreadable, too big, not a file, unsafe ownership, bytes that are not
/// UTF-8; and the text and byte entry points the workers use.
final class ConfigLoaderTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(atPath: directory)
    }

    func write(_ name: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws -> String {
        let path = directory + "/" + name
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        XCTAssertEqual(chmod(path, mode), 0)
        return path
    }

    func loadError(_ path: String) -> [String] {
        do {
            _ = try ConfigLoader.load(path: path)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    func testLoadsAGoodFile() throws {
        let path = try write("good.hcl", Array("log_level = \"debug\"\napi_listen_port = 0\n".utf8))
        let config = try ConfigLoader.load(path: path)
        XCTAssertEqual(config.logLevel, .debug)
        XCTAssertEqual(config.apiListenPort, 0)
        XCTAssertEqual(try ConfigLoader.readText(path: path), "log_level = \"debug\"\napi_listen_port = 0\n")
    }

    func testMissingFile() {
        XCTAssertEqual(
            loadError(directory + "/nope.hcl"), ["\(directory)/nope.hcl: cannot open: No such file or directory"])
    }

    func testDirectoryAndFIFOAreNotFiles() throws {
        XCTAssertEqual(loadError(directory), ["\(directory): not a regular file"])
        let fifo = directory + "/fifo"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        // O_NONBLOCK: opening a FIFO with no writer must not hang the helper.
        XCTAssertEqual(loadError(fifo), ["\(fifo): not a regular file"])
    }

    func testTooBig() throws {
        let limit = ConfigLoader.maximumFileSize
        XCTAssertEqual(limit, 1_048_576)
        let atLimit = try write("at-limit.hcl", Array(repeating: UInt8(ascii: "\n"), count: limit))
        XCTAssertNoThrow(try ConfigLoader.load(path: atLimit))
        let over = try write("over.hcl", Array(repeating: UInt8(ascii: "\n"), count: limit + 1))
        XCTAssertEqual(
            loadError(over),
            [
                "\(over): too big: 1048577 bytes; a configuration file may have at most 1048576 (1 MiB)"
            ])
    }

    func testRootRefusesFilesOthersCanWrite() throws {
        try XCTSkipUnless(geteuid() == 0, "the ownership checks apply when running as root")
        let writable = try write("writable.hcl", [], mode: 0o664)
        XCTAssertEqual(
            loadError(writable),
            [
                "\(writable): writable by group or others (mode 664); root reads this file, so only root may write it (chmod go-w)"
            ])
        let worldWritable = try write("world.hcl", [], mode: 0o646)
        XCTAssertEqual(loadError(worldWritable).count, 1)
        let owned = try write("owned.hcl", [], mode: 0o644)
        XCTAssertEqual(chown(owned, 65534, 65534), 0)
        XCTAssertEqual(
            loadError(owned),
            [
                "\(owned): owned by uid 65534; root reads this file, so it must be owned by root"
            ])
        let readOnly = try write("private.hcl", [], mode: 0o600)
        XCTAssertNoThrow(try ConfigLoader.load(path: readOnly))
    }

    func testUnreadableFileAsAnotherUser() throws {
        // Root reads anything; the "cannot open" path for EACCES is covered by running as nobody
        // in the helper's integration test. Here: a path through a file is ENOTDIR.
        let file = try write("plain.hcl", [])
        XCTAssertEqual(loadError(file + "/x.hcl"), ["\(file)/x.hcl: cannot open: Not a directory"])
    }

    func testInvalidUTF8IsReportedAtItsPosition() throws {
        let cases: [([UInt8], String)] = [
            (
                Array("a = \"x\"\nb = \"".utf8) + [0xC3, 0x28] + Array("\"\n".utf8),
                "2:6: the file is not valid UTF-8 text (byte 0xC3)"
            ),
            ([0xC0, 0x80], "1:1: the file is not valid UTF-8 text (byte 0xC0)"),  // overlong NUL
            ([0xED, 0xA0, 0x80], "1:1: the file is not valid UTF-8 text (byte 0xED)"),  // surrogate
            ([0xF4, 0x90, 0x80, 0x80], "1:1: the file is not valid UTF-8 text (byte 0xF4)"),  // above U+10FFFF
            (Array("é".utf8) + [0xE2, 0x82], "1:2: the file is not valid UTF-8 text (byte 0xE2)"),  // truncated
        ]
        for (bytes, expected) in cases {
            let path = try write("bad.hcl", bytes)
            XCTAssertEqual(loadError(path), ["\(path):\(expected)"])
            XCTAssertThrowsError(try ConfigLoader.parse(bytes: bytes, path: "ipc")) { error in
                XCTAssertEqual((error as? ConfigError)?.description, "ipc:\(expected)")
            }
        }
        // The full range of valid sequences passes.
        XCTAssertNoThrow(try ConfigLoader.parse(bytes: Array("# é € 😀 \u{10FFFF}\n".utf8), path: "ipc"))
    }

    func testErrorDescriptionIsOneLinePerProblem() {
        XCTAssertThrowsError(try ConfigLoader.parse("a = 1\nb = 2\n", path: "/etc/x.hcl")) { error in
            XCTAssertEqual(
                "\(error)", "/etc/x.hcl:1:1: unknown key \"a\"\n/etc/x.hcl:2:1: unknown key \"b\"")
            let d = (error as? ConfigError)?.diagnostics.first
            XCTAssertEqual(d?.path, "/etc/x.hcl")
            XCTAssertEqual(d?.line, 1)
            XCTAssertEqual(d?.column, 1)
            XCTAssertEqual(d?.message, "unknown key \"a\"")
        }
    }
}
