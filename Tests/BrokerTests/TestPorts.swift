import Broker
import Logging
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// The controller as seen when it cannot be reached: every call fails with a network failure, the
/// way the real client reports a refused connection. Tests that need a controller that answers use
/// the dev controller; this one serves tests of what the broker does without one.
struct UnreachableController: ControllerPort {
    typealias Grant = String
    let loop: EventLoop

    func fail<T>() -> EventLoopFuture<T> {
        loop.makeFailedFuture(ControllerFailure.network("connection refused (127.0.0.1:1)"))
    }
    func readAuthToken(controller: String, token: String, tokenID: String) -> EventLoopFuture<AuthTokenInfo> {
        fail()
    }
    func listResolvableAliases(controller: String, token: String, userID: String, listToken: String?)
        -> EventLoopFuture<AliasListing>
    { fail() }
    func authorizeSession(controller: String, token: String, alias: String) -> EventLoopFuture<
        AuthorizedGrant<String>
    > { fail() }
    func cancelSession(controller: String, token: String, sessionID: String) -> EventLoopFuture<Void> { fail() }
}

/// A data plane with no worker behind it: every connection fails to set up.
struct NoWorkerDataPlane: DataPlanePort {
    typealias Grant = String
    func carry(client: Channel, grant: String, tofuToken: String) -> EventLoopFuture<CarriedConnection> {
        client.eventLoop.makeFailedFuture(ConnectionSetupFailureError(.other("connection refused")))
    }
    func cancel(grant: String, tofuToken: String, on eventLoop: EventLoop) -> EventLoopFuture<Void> {
        eventLoop.makeFailedFuture(ConnectionSetupFailureError(.other("connection refused")))
    }
}

/// Records what the broker tells the DNS worker (the receiving end of the real IPC link, as
/// plain values).
final class RecordingDNSWorker: DNSWorkerPort, @unchecked Sendable {
    var views: [UInt32: [ViewEntry]] = [:]
    var fallbackUsers: [UInt32] = []
    var results: [(UInt64, UInt32, String, AliasAddresses?)] = []
    var flushes = 0

    func setView(uid: UInt32, entries: [ViewEntry]) { views[uid] = entries }
    func setFallbackUsers(_ uids: [UInt32]) { fallbackUsers = uids }
    func resolveResult(requestID: UInt64, uid: UInt32, name: String, addresses: AliasAddresses?) {
        results.append((requestID, uid, name, addresses))
    }
    func flushCache() { flushes += 1 }
}

/// Records what the broker asks of the helper.
final class RecordingHelper: HelperPort, @unchecked Sendable {
    let loop: EventLoop
    var pauses: [String] = []
    var resumes = 0
    var errors: [String] = []
    var state = HelperState(paused: false, resolverOverwritten: false)

    init(loop: EventLoop) { self.loop = loop }

    func pause(reason: String) -> EventLoopFuture<Void> {
        pauses.append(reason)
        return loop.makeSucceededVoidFuture()
    }
    func resume() -> EventLoopFuture<Void> {
        resumes += 1
        return loop.makeSucceededVoidFuture()
    }
    func reportError(_ text: String) { errors.append(text) }
    func status() -> EventLoopFuture<HelperState> { loop.makeSucceededFuture(state) }
}

extension Logger {
    static let test: Logger = {
        var logger = Logger(label: "broker-test")
        logger.logLevel = ProcessInfoLevel.level
        return logger
    }()
}

enum ProcessInfoLevel {
    /// `BROKER_TEST_LOG=trace` shows the broker's log while debugging a test.
    static var level: Logger.Level {
        guard let value = getenv("BROKER_TEST_LOG") else { return .critical }
        return Logger.Level(rawValue: String(cString: value)) ?? .critical
    }
}
