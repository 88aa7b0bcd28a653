import JSON

#if canImport(Glibc)
    import Glibc
#endif

/// Status errors and warnings persisted in a file the helper opened for us in /run (so they survive
/// a worker restart and go at reboot, as upstream's "not cleared until the next reboot"): one JSON
/// object per line, `{"time":…,"level":"error","uid":1001,"text":"…","count":1}`. The fd arrives
/// open (O_RDWR | O_APPEND); the worker never opens a path.
public final class StatusJournalFile: StatusJournal, @unchecked Sendable {
    // @unchecked: `fd` is immutable; appends are single write(2) calls on an O_APPEND fd, which
    // the kernel keeps whole.

    /// Beyond this the file is rewritten with only the entries kept in memory (at load time).
    public static let maximumBytes = 256 * 1024

    let fd: CInt

    public init(fd: CInt) {
        self.fd = fd
    }

    /// Reads every entry (oldest first). Malformed lines are skipped: the file is ours, but a
    /// crash may cut the last line short. When the file is over `maximumBytes`, it is rewritten with
    /// the newest `keep` entries of each level (needs ftruncate: call before the sandbox).
    public func load(keep: Int = StatusLog.defaultCapacity) -> [StatusLog.Entry] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var offset: off_t = 0
        while true {
            let n = pread(fd, &buffer, buffer.count, offset)
            if n <= 0 { break }
            bytes += buffer[0..<n]
            offset += off_t(n)
            if bytes.count > 4 * StatusJournalFile.maximumBytes { break }
        }
        var entries: [StatusLog.Entry] = []
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            guard let json = try? JSONParser().parse(Array(line)), let entry = Self.entry(json) else { continue }
            entries.append(entry)
        }
        if bytes.count > StatusJournalFile.maximumBytes {
            var log = StatusLog(capacity: keep)
            log.restore(entries)
            entries = log.entries
            if ftruncate(fd, 0) == 0 {
                for entry in entries { append(entry) }
            }
        }
        return entries
    }

    public func append(_ entry: StatusLog.Entry) {
        var o: [String: JSONValue] = [
            "time": .int(entry.time), "level": .string(entry.level.rawValue), "text": .string(entry.text),
            "count": .int(Int64(entry.count)),
        ]
        if let uid = entry.uid { o["uid"] = .int(Int64(uid)) }
        var line = JSONWriter().bytes(.object(o))
        line.append(UInt8(ascii: "\n"))
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    static func entry(_ json: JSONValue) -> StatusLog.Entry? {
        guard let time = json["time"]?.int64Value, let levelText = json["level"]?.stringValue,
            let level = StatusLog.Level(rawValue: levelText), let text = json["text"]?.stringValue
        else { return nil }
        let uid = json["uid"]?.int64Value.flatMap { UInt32(exactly: $0) }
        let count = json["count"]?.intValue ?? 1
        return StatusLog.Entry(level: level, uid: uid, text: text, time: time, count: max(1, count))
    }
}
