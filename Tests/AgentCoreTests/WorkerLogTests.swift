import Glibc
import Logging
import PrivSep
import XCTest

@testable import AgentCore

final class WorkerLogTests: XCTestCase {
    func testLinesLevelsAndFDSwap() throws {
        var first: [Int32] = [-1, -1]
        var second: [Int32] = [-1, -1]
        try Posix.call("pipe") { pipe(&first) }
        try Posix.call("pipe") { pipe(&second) }
        defer { for fd in first + second { Posix.closeQuietly(fd) } }
        let sink = LogSink(fd: first[1], toStdout: false, level: .info)
        var logger = Logger(label: "boundary-agent-dns") { WorkerLogHandler(label: $0, sink: sink) }
        logger[metadataKey: "uid"] = "1000"
        logger.debug("hidden")
        logger.info("query", metadata: ["alias": "db.corp"])
        let line = String(decoding: try Posix.read(first[0], count: 4096), as: UTF8.self)
        // 2026-11-25T00:41:01.211Z info boundary-agent-dns: query alias=db.corp uid=1000
        XCTAssertTrue(line.hasSuffix(" info boundary-agent-dns: query alias=db.corp uid=1000\n"), line)
        XCTAssertEqual(
            line.utf8.count, 24 + " info boundary-agent-dns: query alias=db.corp uid=1000\n".utf8.count, line)
        // A reload: new fd (the old one is closed), new level.
        sink.update(fd: second[1], toStdout: false, level: .debug)
        first[1] = -1
        logger.debug("now visible")
        let next = String(decoding: try Posix.read(second[0], count: 4096), as: UTF8.self)
        XCTAssertTrue(next.contains(" debug boundary-agent-dns: now visible uid=1000"), next)
        XCTAssertEqual(try Posix.read(first[0], count: 16), [], "the old log fd was closed")
    }
}
