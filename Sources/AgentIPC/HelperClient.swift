import PrivSep
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The workers' side of the helper's request table (after OpenSSH's monitor_wrap.c): each request
/// is a plain call that packs the message, sends it, and waits for the `requestResult` with the
/// same id. The worker's IPC reader hands every `requestResult` to `deliver(_:)`.
///
/// The blocking calls must not run on the IPC reader thread (it delivers the answer) and should not
/// run on an event loop; the `completion:` forms never block and call back on the reader thread.
/// A worker may only send what its row allows (`WorkerRole.permittedRequests`): anything else would
/// make the helper kill it, so it fails here instead, without sending.
public final class HelperClient: Sendable {
    public typealias Completion = @Sendable (Result<String, IPCError>) -> Void

    public let role: WorkerRole
    let sendFrame: @Sendable (Frame) throws -> Void
    let state = Mutex(State())

    struct State {
        var nextID: UInt32 = 1
        var waiting: [UInt32: Completion] = [:]
        var closed = false
    }

    /// `send` puts a frame on the worker → helper link (e.g. `IPCLink.send` or AgentCore's sender).
    public init(role: WorkerRole, send: @escaping @Sendable (Frame) throws -> Void) {
        self.role = role
        self.sendFrame = send
    }

    // MARK: - Requests

    /// Pause the agent (system resolver restored, "paused" kept across restarts). Proxy worker only.
    public func pause(reason: String, completion: @escaping Completion) {
        request(.pause, completion) { .pause(id: $0, reason: HelperClient.clip(reason, IPCLimits.maxReason)) }
    }

    public func resume(completion: @escaping Completion) {
        request(.resume, completion) { .resume(id: $0) }
    }

    public func restoreResolver(completion: @escaping Completion) {
        request(.restoreResolver, completion) { .restoreResolver(id: $0) }
    }

    /// The helper's status JSON (system changes, worker restarts).
    public func status(completion: @escaping Completion) {
        request(.status, completion) { .status(id: $0) }
    }

    public func pause(reason: String) throws { _ = try wait { pause(reason: reason, completion: $0) } }
    public func resume() throws { _ = try wait { resume(completion: $0) } }
    public func restoreResolver() throws { _ = try wait { restoreResolver(completion: $0) } }
    public func status() throws -> String { try wait { status(completion: $0) } }

    /// Records an error for `status` (no answer). Long texts are cut to the limit.
    public func reportError(_ text: String) throws {
        let clipped = HelperClient.clip(text, IPCLimits.maxErrorText)
        switch role {
        case .dns: try sendFrame(DNSToHelper.reportError(clipped).frame())
        case .proxy: try sendFrame(ProxyToHelper.reportError(clipped).frame())
        }
    }

    /// Tells the helper the worker is serving (once; a second one is fatal).
    public func ready() throws {
        switch role {
        case .dns: try sendFrame(DNSToHelper.ready.frame())
        case .proxy: try sendFrame(ProxyToHelper.ready.frame())
        }
    }

    // MARK: - Answers

    /// Completes the request `result.id`. Returns false for an id nobody waits for (a helper bug or
    /// a late answer); the caller logs it.
    @discardableResult
    public func deliver(_ result: RequestResult) -> Bool {
        let completion = state.withLock { $0.waiting.removeValue(forKey: result.id) }
        guard let completion else { return false }
        completion(result.succeeded ? .success(result.message) : .failure(.requestFailed(result.message)))
        return true
    }

    /// The link is gone: fails every waiting request and all later ones.
    public func close() {
        let waiting = state.withLock { s -> [Completion] in
            s.closed = true
            defer { s.waiting = [:] }
            return Array(s.waiting.values)
        }
        for completion in waiting { completion(.failure(.closed)) }
    }

    // MARK: - Plumbing

    func request(_ kind: MessageKind, _ completion: @escaping Completion, _ make: (UInt32) -> ProxyToHelper) {
        guard role.permittedRequests.contains(kind) else {
            completion(.failure(.notPermitted(kind, sender: role.rawValue)))
            return
        }
        let id: UInt32? = state.withLock { s in
            guard !s.closed else { return nil }
            let id = s.nextID
            s.nextID = s.nextID == UInt32.max ? 1 : s.nextID + 1
            s.waiting[id] = completion
            return id
        }
        guard let id else {
            completion(.failure(.closed))
            return
        }
        do {
            try sendFrame(make(id).frame())
        } catch {
            let pending = state.withLock { $0.waiting.removeValue(forKey: id) }
            pending?(.failure(error as? IPCError ?? .closed))
        }
    }

    func wait(_ start: (@escaping Completion) -> Void) throws -> String {
        let box = Mutex<Result<String, IPCError>?>(nil)
        let semaphore = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
        sem_init(semaphore, 0, 0)
        defer {
            sem_destroy(semaphore)
            semaphore.deallocate()
        }
        let sem = SemaphoreRef(semaphore)
        start { result in
            box.withLock { $0 = result }
            sem_post(sem.pointer)
        }
        while sem_wait(semaphore) != 0 {}  // EINTR only
        guard let result = box.withLock({ $0 }) else { throw IPCError.closed }
        return try result.get()
    }

    /// A UTF-8 prefix of `text` of at most `limit` bytes, cut on a character boundary.
    static func clip(_ text: String, _ limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var out = ""
        for ch in text {
            if out.utf8.count + ch.utf8.count > limit { break }
            out.append(ch)
        }
        return out
    }
}

/// Lets the semaphore pointer cross into the @Sendable completion; the semaphore outlives it
/// because `wait` does not return before `sem_post`.
struct SemaphoreRef: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<sem_t>
    init(_ pointer: UnsafeMutablePointer<sem_t>) { self.pointer = pointer }
}
