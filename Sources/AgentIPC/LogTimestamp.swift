#if canImport(Glibc)
    import Glibc
#endif

/// The timestamp that starts every log line, the helper's and the workers' alike (they write to one
/// file): UTC with milliseconds, `2026-11-25T00:41:01.211Z`. From `gmtime_r`, so it needs no time zone
/// file (TZ is pinned before the sandbox anyway, swift-notes §2).
public enum LogTimestamp {
    public static func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = ts.tv_sec
        var tm = tm()
        gmtime_r(&t, &tm)
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(Int(tm.tm_year) + 1900, 4))-\(pad(Int(tm.tm_mon) + 1, 2))-\(pad(Int(tm.tm_mday), 2))T"
            + "\(pad(Int(tm.tm_hour), 2)):\(pad(Int(tm.tm_min), 2)):\(pad(Int(tm.tm_sec), 2))."
            + "\(pad(Int(ts.tv_nsec) / 1_000_000, 3))Z"
    }
}
