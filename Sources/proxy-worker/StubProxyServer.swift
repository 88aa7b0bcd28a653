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
        for fd in [s.proxy4, s.proxy6, s.apiUnix] + (s.apiTCP.map { [$0] } ?? []) {
            channels.append(
                try ServerBootstrap(group: context.group)
                    .childChannelInitializer { child in
                        logger.debug(
                            "accepted and closed", metadata: ["peer": "\(child.remoteAddress.map { "\($0)" } ?? "?")"])
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
