import AgentCore
import AgentIPC
import Logging
import NIOCore

/// What the helper and the DNS worker say to the broker, mapped onto the server.
final class HelperLink: ProxyWorkerService {
    let server: StubProxyServer
    let logger: Logger

    init(server: StubProxyServer, logger: Logger) {
        self.server = server
        self.logger = logger
    }

    func reload(_ reload: WorkerReload) {
        logger.debug("reload", metadata: ["changed": "\(reload.changedKeys)"])
    }

    func peerLinkReplaced(_ link: BrokerPeerLink) {
        let logger = self.logger
        do {
            // The stub has no views to push; it drains what the DNS worker reports.
            try link.start(on: server.group.next()) { message in
                logger.debug("from dns worker: \(message.kind)")
            }
            logger.debug("dns worker link attached")
        } catch {
            logger.error("dns worker link: \(error)")
        }
    }

    func shutdown(done: @escaping @Sendable () -> Void) {
        server.close().whenComplete { _ in done() }
    }
}
