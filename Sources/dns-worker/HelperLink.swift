import AgentCore
import DNSService
import NIOCore

/// What the helper says to the DNS worker, mapped onto the server: a reload (SIGHUP, or new system
/// upstreams) becomes `DNSServer.update(configuration:)`, a fresh broker link replaces the old one,
/// shutdown closes the channels. Also sends the counters to the broker every few seconds.
final class HelperLink: DNSWorkerService {
    /// How often the counters go to the broker (only when they changed).
    static let countersInterval: TimeAmount = .seconds(5)

    let server: DNSServer
    let broker: BrokerLink
    let unionUIDs: Set<UInt32>
    let countersTask: RepeatedTask

    init(server: DNSServer, broker: BrokerLink, unionUIDs: Set<UInt32>) {
        self.server = server
        self.broker = broker
        self.unionUIDs = unionUIDs
        countersTask = server.eventLoop.scheduleRepeatedAsyncTask(
            initialDelay: HelperLink.countersInterval, delay: HelperLink.countersInterval
        ) { _ in
            server.counters().map { broker.report($0) }
        }
    }

    func reload(_ reload: WorkerReload) {
        server.update(
            configuration: Bootstrap.serverConfiguration(
                reload.config, systemUpstreams: reload.systemUpstreams, unionUIDs: unionUIDs))
    }

    func peerLinkReplaced(_ link: DNSPeerLink) {
        broker.attach(link)
    }

    func shutdown(done: @escaping @Sendable () -> Void) {
        countersTask.cancel()
        broker.detach()
        server.close().whenComplete { _ in done() }
    }
}
