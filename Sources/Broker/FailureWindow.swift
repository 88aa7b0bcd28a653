import NIOCore

/// Auto-pause bookkeeping: `threshold` controller network failures within `window` trip it
/// (`auto_pause_failures`, `auto_pause_window`; a threshold of 0 never trips). Only failures to
/// reach the controller count (connect refused, timeout, TLS failure), not HTTP errors: a 403 is an
/// answer, and pausing would not help.
public struct FailureWindow: Sendable, Equatable {
    public var threshold: Int
    public var window: TimeAmount
    /// Times of the failures still inside the window, oldest first; never more than `threshold`.
    private var times: [NIODeadline] = []

    public init(threshold: Int, window: TimeAmount) {
        self.threshold = threshold
        self.window = window
    }

    public var recentCount: Int { times.count }

    /// Records one failure; true when this one reaches the threshold (the caller pauses and then
    /// calls `reset`).
    public mutating func record(at now: NIODeadline) -> Bool {
        guard threshold > 0 else { return false }
        times.removeAll { $0 + window <= now }
        times.append(now)
        if times.count > threshold { times.removeFirst(times.count - threshold) }
        return times.count >= threshold
    }

    /// A success does not clear the window: a controller that fails 19 of 20 calls is still down.
    public mutating func reset() { times.removeAll() }
}
