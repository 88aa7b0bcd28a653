#if canImport(Glibc)
    import Glibc
#endif

/// A plain pthread (no Dispatch, no Foundation `Thread`: both are unavailable once a worker's
/// sandbox is up, swift-notes §2). Detached: it ends when `body` returns.
enum PThread {
    final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    static func start(_ body: @escaping () -> Void) throws {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, nil,
            { arg in
                let box = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
                box.body()
                return nil
            }, box)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw AgentCoreError.bootstrap("pthread_create: errno \(rc)")
        }
        pthread_detach(thread)
    }
}
