/// The errors and warnings `GET /v1/status` shows, newest first (the upstream agent's order).
///
/// An entry is either global (controller unreachable, address pool full, auto-pause) or belongs to
/// one OS user (their token expired, their alias listing is forbidden); a caller sees the global
/// entries and their own, never another user's, since those name that user's aliases and tokens.
/// A repeat of the newest entry with the same text and owner is folded into it (count and time),
/// so a controller that stays down for an hour fills one line, not the whole list.
public struct StatusLog: Sendable, Equatable {
    public enum Level: String, Sendable, Equatable {
        case error, warning
    }

    public struct Entry: Sendable, Equatable {
        public var level: Level
        /// nil: shown to every caller.
        public var uid: UInt32?
        public var text: String
        /// Wall-clock seconds since the Unix epoch of the latest occurrence.
        public var time: Int64
        public var count: Int

        public init(level: Level, uid: UInt32?, text: String, time: Int64, count: Int = 1) {
            self.level = level
            self.uid = uid
            self.text = text
            self.time = time
            self.count = count
        }

        /// `2026-11-25T10:00:00Z: text` (and ` (3 times)` when folded).
        public var rendered: String {
            let suffix = count > 1 ? " (\(count) times)" : ""
            return "\(RFC3339Time.format(secondsSinceEpoch: time)): \(text)\(suffix)"
        }
    }

    /// Bound on kept entries of each level; the oldest go first.
    public static let defaultCapacity = 64
    /// Bound on one entry's text, so a hostile controller message cannot bloat status.
    public static let maximumTextLength = 512

    public let capacity: Int
    /// Oldest first.
    public private(set) var entries: [Entry] = []

    public init(capacity: Int = StatusLog.defaultCapacity) {
        self.capacity = max(1, capacity)
    }

    /// Adds an entry; returns what is now stored for it (for persistence): a new entry, or the
    /// newest entry of the same level and owner with the same text, its count and time updated.
    @discardableResult
    public mutating func add(_ level: Level, _ text: String, uid: UInt32? = nil, time: Int64) -> Entry {
        let clipped = StatusLog.clip(text)
        if let last = entries.lastIndex(where: { $0.level == level && $0.uid == uid }),
            entries[last].text == clipped
        {
            entries[last].count += 1
            entries[last].time = time
            let folded = entries.remove(at: last)
            entries.append(folded)
            return folded
        }
        let entry = Entry(level: level, uid: uid, text: clipped, time: time)
        entries.append(entry)
        if entries.count(where: { $0.level == level }) > capacity,
            let oldest = entries.firstIndex(where: { $0.level == level })
        {
            entries.remove(at: oldest)
        }
        return entry
    }

    /// Restores entries persisted by an earlier run of the worker (oldest first), folding repeats
    /// as `add` does.
    public mutating func restore(_ previous: [Entry]) {
        for entry in previous {
            let text = StatusLog.clip(entry.text)
            if let last = entries.lastIndex(where: { $0.level == entry.level && $0.uid == entry.uid }),
                entries[last].text == text
            {
                // A journal holds a line per occurrence of a folded entry, with the count so far.
                entries[last].count = max(entries[last].count + 1, entry.count)
                entries[last].time = max(entries[last].time, entry.time)
                continue
            }
            entries.append(
                Entry(level: entry.level, uid: entry.uid, text: text, time: entry.time, count: max(1, entry.count)))
        }
        for level in [Level.error, .warning] {
            while entries.count(where: { $0.level == level }) > capacity,
                let oldest = entries.firstIndex(where: { $0.level == level })
            {
                entries.remove(at: oldest)
            }
        }
    }

    /// The rendered entries `uid` may see, newest first.
    public func visible(to uid: UInt32, level: Level) -> [String] {
        entries.reversed().filter { $0.level == level && ($0.uid == nil || $0.uid == uid) }.map(\.rendered)
    }

    static func clip(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            // Control characters would let a controller message forge extra status lines.
            out.unicodeScalars.append(scalar.value < 0x20 || scalar.value == 0x7f ? " " : scalar)
            if out.utf8.count >= maximumTextLength {
                out += "…"
                break
            }
        }
        return out
    }
}
