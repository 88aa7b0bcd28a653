import AgentCore
import Logging
import NIOCore
import NIOPosix

/// The skeleton's broker (issue 2): accepts on every passed listener and closes the connection, to
/// prove the listeners, the redirect and the sandbox. The Broker library does the real work.
final class StubProxyServer: Sendable {
    let group: EventLoopGroup
    let channels: [Channel]

    init(group: EventLoopGroup, channels: [Channel]) {
        self.group = group
        self.channels = channels
    }

    static func start(_ context: WorkerContext) throws -> StubProxyServer {
        let s = context.proxySockets
        let logger = context.logger
        var channels: [Channel] = []
        // The redirected listeners: who connected, and where to (the kernel's view, as the broker
        // will use it), then close.
        for fd in [s.proxy4, s.proxy6] {
            channels.append(
                try ServerBootstrap(group: context.group)
                    .childChannelInitializer { child in
                        ChannelPeer.originalDestination(child).map { destination -> Void in
                            let uid = (try? ChannelPeer.tcpOwnerUID(child, server: destination)) ?? nil
                            logger.info(
                                "redirected connection accepted and closed",
                                metadata: [
                                    "original": "\(destination)", "uid": "\(uid.map(String.init) ?? "unknown")",
                                ])
                        }.always { _ in child.close(promise: nil) }
                    }
                    .withBoundSocket(fd).wait())
        }
        for fd in [s.apiUnix] + (s.apiTCP.map { [$0] } ?? []) {
            channels.append(
                try ServerBootstrap(group: context.group)
                    .childChannelInitializer { child in
                        logger.debug("API connection accepted and closed")
                        return child.close()
                    }
                    .withBoundSocket(fd).wait())
        }
        logger.info(
            "serving (stub: accept and close)", metadata: ["listeners": "\(channels.compactMap(\.localAddress))"])
        return StubProxyServer(group: context.group, channels: channels)
    }

    func close() -> EventLoopFuture<Void> {
        EventLoopFuture.andAllComplete(channels.map { $0.close() }, on: group.next())
    }
}
