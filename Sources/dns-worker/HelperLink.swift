import AgentCore
import AgentIPC
import Logging
import NIOCore

/// What the helper and the broker say to the DNS worker, mapped onto the server: a reload swaps the
/// upstreams, a new broker link replaces the old one, shutdown closes the channels.
final class HelperLink: DNSWorkerService {
    let server: StubDNSServer
    let logger: Logger

    init(server: StubDNSServer, logger: Logger) {
        self.server = server
        self.logger = logger
    }

    func reload(_ reload: WorkerReload) {
        server.setUpstreams(
            reload.config.overrideUpstreamDNSServers.isEmpty
                ? reload.systemUpstreams : reload.config.overrideUpstreamDNSServers)
    }

    func peerLinkReplaced(_ link: DNSPeerLink) {
        let logger = self.logger
        do {
            // The stub has no alias views yet; it drains the link so the broker never blocks.
            try link.start(on: server.group.next()) { message in
                logger.debug("from broker: \(message.kind)")
            }
            logger.debug("broker link attached")
        } catch {
            logger.error("broker link: \(error)")
        }
    }

    func shutdown(done: @escaping @Sendable () -> Void) {
        server.close().whenComplete { _ in done() }
    }
}
