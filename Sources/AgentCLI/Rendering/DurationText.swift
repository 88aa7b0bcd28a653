import BoundaryWire

/// Durations as Go's `time.Duration.String()` writes whole seconds, which is what the official
/// `boundary client-agent status` prints for the token's remaining lifetime: "167h58m9s",
/// "58m9s", "9s", "1h0m0s", "0s", "-5s".
public enum DurationText {
    public static func format(seconds: Int64) -> String {
        if seconds == 0 { return "0s" }
        let negative = seconds < 0
        // magnitude avoids overflow for Int64.min.
        let total = seconds.magnitude
        let hours = total / 3600
        let minutes = (total % 3600) / 60
        let secs = total % 60
        var text = negative ? "-" : ""
        if hours > 0 {
            text += "\(hours)h\(minutes)m\(secs)s"
        } else if minutes > 0 {
            text += "\(minutes)m\(secs)s"
        } else {
            text += "\(secs)s"
        }
        return text
    }

    /// Seconds from `now` until `end`, rounded half away from zero as Go's `Round(time.Second)`.
    public static func secondsUntil(_ end: Timestamp, now: Timestamp) -> Int64 {
        let (wholeDifference, overflow) = end.seconds.subtractingReportingOverflow(now.seconds)
        if overflow { return end.seconds > now.seconds ? Int64.max : Int64.min }
        var nanos = wholeDifference.multipliedReportingOverflow(by: 1_000_000_000)
        if nanos.overflow { return wholeDifference }
        nanos.partialValue += Int64(end.nanos) - Int64(now.nanos)
        let n = nanos.partialValue
        let rounded = n >= 0 ? (n + 500_000_000) / 1_000_000_000 : (n - 500_000_000) / 1_000_000_000
        return rounded
    }

    /// The time left until an RFC 3339 instant: "167h58m9s", "expired 5s ago", or the text as
    /// sent when it does not parse.
    public static func remaining(until rfc3339: String, now: Timestamp) -> String {
        guard let end = try? Timestamp(rfc3339: rfc3339) else { return rfc3339 }
        let seconds = secondsUntil(end, now: now)
        if seconds > 0 { return format(seconds: seconds) }
        if seconds == 0 { return "expires now" }
        return "expired \(format(seconds: -seconds)) ago"
    }
}
