import JSON
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The request log tests assert on: one JSON object per line, appended to the file named by
/// `-request-log` (nothing is written without it). Both the API and the worker record here, e.g.
/// `{"event":"authorize-session","user_id":"u_…","alias":"…","session_id":"s_…","status":200}` and
/// `{"event":"worker-tls","sni":"…","alpn":["http/1.1","s_…"],"session_id":"s_…","result":"ok"}`.
public final class DevRequestLog: Sendable {
    private let fd: Mutex<Int32>
    /// Whether a file was opened: without one, `record` returns at once (the worker records on
    /// every connection).
    public let isEnabled: Bool

    public init(path: String?) {
        let opened = path.map { open($0, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644) } ?? -1
        fd = Mutex(opened)
        isEnabled = opened >= 0
    }

    public func record(_ event: String, _ fields: [String: JSONValue] = [:]) {
        guard isEnabled else { return }
        var object = fields
        object["event"] = .string(event)
        object["time"] = .double(DevSessionStore.now())
        var line = JSONWriter().bytes(.object(object))
        line.append(0x0A)
        fd.withLock { fd in
            guard fd >= 0 else { return }
            _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        }
    }
}
