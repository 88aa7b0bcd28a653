import BoundaryWire

#if canImport(Glibc)
    import Glibc
#endif

/// Wall-clock time for status lines and for turning the controller's expiry times into
/// monotonic deadlines, in whole seconds or nanoseconds since the epoch. Foundation-free (the worker
/// runs sandboxed); the RFC 3339 text is BoundaryWire's `Timestamp`, the controller's own format.
public enum RFC3339Time {
    /// Seconds since the Unix epoch, UTC (`clock_gettime(CLOCK_REALTIME)`; no file access).
    public static func now() -> Int64 {
        nowNanoseconds() / 1_000_000_000
    }

    /// Nanoseconds since the Unix epoch.
    public static func nowNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// `2026-11-25T10:00:00Z`.
    public static func format(secondsSinceEpoch: Int64) -> String {
        Timestamp(seconds: secondsSinceEpoch).rfc3339
    }

    /// Parses RFC 3339 `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` into nanoseconds since the epoch.
    /// The controller writes UTC with up to 9 fraction digits (protojson); offsets are accepted too.
    public static func parseNanoseconds(_ text: String) -> Int64? {
        guard let t = try? Timestamp(rfc3339: text) else { return nil }
        return t.seconds * 1_000_000_000 + Int64(t.nanos)
    }
}
