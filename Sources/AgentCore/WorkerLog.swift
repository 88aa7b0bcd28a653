import AgentConfig
import AgentIPC
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Where a worker's log lines go: the log file the helper opened and passed (the worker cannot open
/// files), and standard output when `log_to_stdout` is set. The fd is swapped on reload (the helper
/// reopens the file, e.g. after logrotate) and the level follows `log_level`.
public final class LogSink: Sendable {
    struct State {
        var fd: Int32
        var toStdout: Bool
        var level: Logger.Level
    }

    let state: Mutex<State>

    public init(fd: Int32, toStdout: Bool, level: Logger.Level) {
        state = Mutex(State(fd: fd, toStdout: toStdout, level: level))
    }

    public var level: Logger.Level { state.withLock { $0.level } }

    /// Applies a new configuration; `fd`, when given, replaces (and closes) the old log fd.
    public func update(fd: Int32? = nil, toStdout: Bool, level: Logger.Level) {
        let old = state.withLock { s -> Int32? in
            let old = fd != nil && s.fd != fd ? s.fd : nil
            if let fd { s.fd = fd }
            s.toStdout = toStdout
            s.level = level
            return old
        }
        if let old, old >= 0 { _ = close(old) }
    }

    func write(_ line: [UInt8]) {
        // Held across the write so lines from several threads never interleave.
        state.withLock { s in
            if s.fd >= 0 { WorkerLog.writeAll(s.fd, line) }
            if s.toStdout { WorkerLog.writeAll(1, line) }
        }
    }
}

/// A swift-log handler writing `2026-11-25T00:41:01.211Z info dns: message key=value` lines to a
/// `LogSink`, with plain write(2) (no Foundation, no stdio buffering, safe under the sandbox).
public struct WorkerLogHandler: LogHandler {
    public let label: String
    let sink: LogSink
    var levelOverride: Logger.Level? = nil
    public var metadata: Logger.Metadata = [:]

    public init(label: String, sink: LogSink) {
        self.label = label
        self.sink = sink
    }

    public var logLevel: Logger.Level {
        get { levelOverride ?? sink.level }
        set { levelOverride = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let fields = all.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        sink.write(Array("\(LogTimestamp.now()) \(event.level) \(label): \(event.message)\(fields)\n".utf8))
    }
}

public enum WorkerLog {
    /// Maps the configuration's level onto swift-log's.
    public static func level(_ level: LogLevel) -> Logger.Level {
        switch level {
        case .trace: return .trace
        case .debug: return .debug
        case .info: return .info
        case .warn: return .warning
        case .error: return .error
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                done += n
            }
        }
    }
}
