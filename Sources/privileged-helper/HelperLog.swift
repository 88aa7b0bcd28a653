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
        let line = Array("\(HelperLog.timestamp()) \(level) helper: \(message)\n".utf8)
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

    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = ts.tv_sec
        var tm = tm()
        gmtime_r(&t, &tm)
        func pad(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return "\(pad(Int(tm.tm_year) + 1900, 4))-\(pad(Int(tm.tm_mon) + 1, 2))-\(pad(Int(tm.tm_mday), 2))T"
            + "\(pad(Int(tm.tm_hour), 2)):\(pad(Int(tm.tm_min), 2)):\(pad(Int(tm.tm_sec), 2))."
            + "\(pad(Int(ts.tv_nsec) / 1_000_000, 3))Z"
    }
}
