import AgentAPI
import AgentConfig
import AgentCore
import AgentIPC
import AgentVersion
import JSON
import Logging
import NIOCore

/// The proxy worker's service as AgentCore drives it (`WorkerMain.runProxy`): the broker on the
/// passed listeners, the helper and DNS worker links mapped onto it. `Sources/proxy-worker/Bootstrap.swift`
/// calls `BrokerService.prepare` before the sandbox and `BrokerService.start` after it.
public final class BrokerService: ProxyWorkerService {
    public let worker: ProxyWorker
    let logger: Logger

    init(worker: ProxyWorker, logger: Logger) {
        self.worker = worker
        self.logger = logger
    }

    /// Before the sandbox: see `ProxyWorker.prepare`. `statusJournalFD` is the file the helper keeps
    /// in /run for the status errors and warnings.
    public static func prepare(_ config: AgentConfiguration, statusJournalFD: CInt?, _ logger: Logger) throws
        -> ProxyWorker.Prepared
    {
        try ProxyWorker.prepare(configuration: config, statusJournalFD: statusJournalFD, logger: logger)
    }

    /// After the sandbox: builds the broker and serves `context.proxySockets`.
    public static func start(_ context: WorkerContext, _ prepared: ProxyWorker.Prepared) throws -> BrokerService {
        let worker = try ProxyWorker(
            prepared: prepared, configuration: context.config, version: AgentVersion.semver, group: context.group,
            helper: HelperAdapter(client: context.helper, loop: context.group.next()), logger: context.logger)
        let s = context.proxySockets
        try worker.start(
            ProxyWorker.Listeners(proxyV4: s.proxy4, proxyV6: s.proxy6, apiUnix: s.apiUnix, apiTCP: s.apiTCP)
        ).wait()
        context.logger.info("serving", metadata: ["version": "\(AgentVersion.semver)"])
        return BrokerService(worker: worker, logger: context.logger)
    }

    public func reload(_ reload: WorkerReload) {
        worker.reload(configuration: reload.config)
    }

    public func peerLinkReplaced(_ link: BrokerPeerLink) {
        let worker = self.worker
        let logger = self.logger
        do {
            try link.start(on: worker.core.loop) { message in
                switch message {
                case .aliasQueried(let uid, let alias):
                    worker.aliasQueried(uid: uid, alias: alias)
                case .resolveRequest(let requestID, let uid, let name):
                    worker.resolveRequest(requestID: requestID, uid: uid, name: name)
                case .counters(let c):
                    worker.dnsCounters(
                        DNSStatus(
                            queries: c.queries, aliasAnswers: c.aliasAnswers, forwarded: c.forwarded,
                            cacheHits: c.cacheHits, serverFailures: c.serverFailures,
                            rejectedAnswers: c.mismatchedAnswers, upstreamFailures: c.failuresByUpstream))
                }
            }
            worker.dnsWorkerConnected(PeerLinkDNSPort(link: link))
            logger.debug("dns worker link attached")
        } catch {
            logger.error("dns worker link: \(error)")
        }
    }

    public func shutdown(done: @escaping @Sendable () -> Void) {
        worker.shutdown().whenComplete { _ in done() }
    }
}

/// broker → DNS worker messages on the peer link.
struct PeerLinkDNSPort: DNSWorkerPort {
    let link: BrokerPeerLink

    func setView(uid: UInt32, entries: [ViewEntry]) {
        link.send(
            .setView(
                uid: uid,
                entries: entries.map {
                    AliasEntry(
                        alias: $0.alias, ipv4: IPv4Address(value: $0.addresses.v4),
                        ipv6: IPv6Address(
                            high: UInt64(truncatingIfNeeded: $0.addresses.v6 >> 64),
                            low: UInt64(truncatingIfNeeded: $0.addresses.v6)))
                }))
    }

    func setFallbackUsers(_ uids: [UInt32]) {
        link.send(.setFallbackUsers(uids))
    }

    func resolveResult(requestID: UInt64, uid: UInt32, name: String, addresses: AliasAddresses?) {
        link.send(
            .resolveResult(
                requestID: requestID, uid: uid, name: name,
                ipv4: addresses.map { IPv4Address(value: $0.v4) },
                ipv6: addresses.map {
                    IPv6Address(high: UInt64(truncatingIfNeeded: $0.v6 >> 64), low: UInt64(truncatingIfNeeded: $0.v6))
                }))
    }

    func flushCache() {
        link.send(.flushCache)
    }
}

/// worker → helper requests through `AgentIPC.HelperClient` (answers arrive on the IPC reader
/// thread; promises may be completed from any thread).
struct HelperAdapter: HelperPort {
    let client: HelperClient
    let loop: EventLoop

    func pause(reason: String) -> EventLoopFuture<Void> {
        let promise = loop.makePromise(of: Void.self)
        client.pause(reason: reason) { result in promise.completeWith(result.map { _ in }.mapError { $0 }) }
        return promise.futureResult
    }

    func resume() -> EventLoopFuture<Void> {
        let promise = loop.makePromise(of: Void.self)
        client.resume { result in promise.completeWith(result.map { _ in }.mapError { $0 }) }
        return promise.futureResult
    }

    func reportError(_ text: String) {
        try? client.reportError(text)
    }

    /// The helper's events (newest first, `{"time","message"}`) that the proxy worker reported.
    static func reportedErrors(_ events: JSONValue?) -> [HelperState.ReportedError] {
        let prefix = "proxy worker: "
        return (events?.arrayValue ?? []).reversed().compactMap { event in
            guard let message = event["message"]?.stringValue, message.hasPrefix(prefix),
                let time = event["time"]?.stringValue.flatMap(RFC3339Time.parseNanoseconds)
            else { return nil }
            return HelperState.ReportedError(time: time / 1_000_000_000, text: String(message.dropFirst(prefix.count)))
        }
    }

    func status() -> EventLoopFuture<HelperState> {
        let promise = loop.makePromise(of: HelperState.self)
        client.status { result in
            promise.completeWith(
                result.mapError { $0 as Error }.flatMap { text in
                    Result {
                        let json = try JSONValue(parsing: text)
                        return HelperState(
                            paused: json["paused"]?.boolValue ?? false,
                            resolverOverwritten: json["resolverOverwritten"]?.boolValue ?? false,
                            reportedErrors: HelperAdapter.reportedErrors(json["events"]),
                            warnings: json["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? [])
                    }
                })
        }
        return promise.futureResult
    }
}
