import AgentConfig
import AgentIPC
import Glibc
import PrivSep

/// The helper's log: `2026-11-25T00:41:01.211Z info helper: message` lines (the workers' format) to
/// the log file, plus stdout with `log_to_stdout`; warnings and errors always to stderr too, and
/// everything to stderr until the log file is open. No swift-log: the helper stays tiny.
struct HelperLog {
    var level: LogLevel = .info
    var fd: Int32 = -1
    var toStdout = false

    static let ranks: [LogLevel: Int] = [.trace: 0, .debug: 1, .info: 2, .warn: 3, .error: 4]

    func log(_ level: LogLevel, _ message: String) {
        guard HelperLog.ranks[level]! >= HelperLog.ranks[self.level]! else { return }
        let line = Array("\(LogTimestamp.now()) \(level) helper: \(message)\n".utf8)
        if fd >= 0 { try? Posix.write(fd, line) }
        if toStdout { try? Posix.write(1, line) }
        if fd < 0 || level == .warn || level == .error { try? Posix.write(2, line) }
    }

    func debug(_ m: String) { log(.debug, m) }
    func info(_ m: String) { log(.info, m) }
    func warning(_ m: String) { log(.warn, m) }
    func error(_ m: String) { log(.error, m) }

    /// Opens (creating, mode 0640) the log file for appending, with its directory.
    static func open(_ path: String) throws -> Int32 {
        try Posix.makeDirectory(RuntimePaths.directory(of: path), mode: 0o755)
        return try Posix.open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, mode: 0o640)
    }
}
