import AgentIPC
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Sends frames on an `IPCLink` from a thread of its own, so an event loop that sends never blocks
/// on a full socket buffer (a large `setView`, a slow peer). Frames go out in the order queued.
/// When a send fails the link is dead: `onFailure` runs once and later frames are dropped.
public final class IPCSender: Sendable {
    public let link: IPCLink
    let queue = Mutex(Queue())
    let wakeup: SemaphoreBox
    let onFailure: @Sendable (IPCError) -> Void

    struct Queue {
        var frames: [Frame] = []
        var stopped = false
    }

    /// Starts the sending thread.
    public init(link: IPCLink, onFailure: @escaping @Sendable (IPCError) -> Void) throws {
        self.link = link
        self.onFailure = onFailure
        self.wakeup = SemaphoreBox()
        try PThread.start { [self] in run() }
    }

    /// Queues `message`; never blocks.
    public func send(_ message: some IPCMessage) {
        send(message.frame())
    }

    public func send(_ frame: Frame) {
        send(frames: CollectionOfOne(frame))
    }

    /// Queues `frames` in order, waking the sending thread once for all of them.
    public func send(frames: some Collection<Frame>) {
        guard !frames.isEmpty else { return }
        let accepted = queue.withLock { q -> Bool in
            guard !q.stopped else { return false }
            q.frames.append(contentsOf: frames)
            return true
        }
        if accepted { wakeup.post() }
    }

    /// Drops what is queued and ends the thread (after the frame in flight, if any).
    public func stop() {
        queue.withLock { $0.stopped = true }
        wakeup.post()
    }

    func run() {
        while true {
            wakeup.wait()
            let batch = queue.withLock { q -> [Frame]? in
                if q.stopped { return nil }
                defer { q.frames = [] }
                return q.frames
            }
            guard let batch else { return }
            for frame in batch {
                do {
                    try link.send(frame)
                } catch {
                    queue.withLock {
                        $0.stopped = true
                        $0.frames = []
                    }
                    onFailure(error as? IPCError ?? .closed)
                    return
                }
            }
        }
    }
}

/// A counting semaphore (sem_t) on the heap, shared between threads.
final class SemaphoreBox: @unchecked Sendable {
    // sem_t is only touched through sem_* calls, which are thread-safe.
    let pointer: UnsafeMutablePointer<sem_t>

    init() {
        pointer = .allocate(capacity: 1)
        sem_init(pointer, 0, 0)
    }

    deinit {
        sem_destroy(pointer)
        pointer.deallocate()
    }

    func post() { sem_post(pointer) }

    func wait() {
        while sem_wait(pointer) != 0 {}  // EINTR only
    }
}
