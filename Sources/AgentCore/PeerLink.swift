import AgentIPC
import Logging
import NIOCore
import PrivSep
import Synchronization

/// The DNS worker ↔ broker link, seen from one side: `Inbound` is what this side receives
/// (`BrokerToDNS` in the DNS worker, `DNSToBroker` in the broker), `Outbound` what it sends.
///
/// Sending never blocks (a sender thread); received messages are delivered on the event loop given
/// to `start`. When the other worker restarts, the helper hands over a fresh link and the service
/// gets it through `WorkerService.peerLinkReplaced(_:)`; the old one reports `onClose`.
public final class PeerLink<Inbound: IPCMessage, Outbound: IPCMessage>: Sendable {
    let link: IPCLink
    let sender: IPCSender
    let started = Mutex(false)
    let logger: Logger

    init(fd: Int32, logger: Logger) throws {
        precondition(Inbound.direction != Outbound.direction, "a peer link has two directions")
        let link = IPCLink(fd: fd, inbound: Inbound.direction)
        self.link = link
        self.logger = logger
        sender = try IPCSender(link: link) { error in
            logger.debug("peer link send failed", metadata: ["error": "\(error)"])
        }
    }

    /// Queues `message` for the other worker. Dropped silently once the link has failed (the other
    /// worker is gone; a replacement link brings a fresh start).
    public func send(_ message: Outbound) {
        sender.send(message)
    }

    /// Starts delivering messages to `handler` on `eventLoop`. `onClose` runs there once when the
    /// link ends (the other worker died, or it sent something malformed, which is logged).
    public func start(
        on eventLoop: EventLoop, _ handler: @escaping @Sendable (Inbound) -> Void,
        onClose: @escaping @Sendable (IPCError) -> Void = { _ in }
    ) throws {
        let first = started.withLock { s -> Bool in
            defer { s = true }
            return !s
        }
        precondition(first, "a peer link is started once")
        let link = self.link
        let logger = self.logger
        let sender = self.sender
        try PThread.start {
            defer {
                sender.stop()
                link.close()
            }
            while true {
                do {
                    let message = try link.receive(Inbound.self)
                    eventLoop.execute { handler(message) }
                } catch {
                    let ipcError = error as? IPCError ?? .closed
                    if ipcError != .transport(.endOfFile) {
                        logger.error("peer link closed: \(ipcError)")
                    }
                    eventLoop.execute { onClose(ipcError) }
                    return
                }
            }
        }
    }

    /// Ends the link: stops the sender and wakes the reader, which closes the socket and reports
    /// `onClose`. A link never started is closed at once.
    public func close() {
        sender.stop()
        let wasStarted = started.withLock { s -> Bool in
            defer { s = true }
            return s
        }
        if wasStarted { link.shutdown() } else { link.close() }
    }
}

/// The DNS worker's end of the link.
public typealias DNSPeerLink = PeerLink<BrokerToDNS, DNSToBroker>
/// The broker's end of the link.
public typealias BrokerPeerLink = PeerLink<DNSToBroker, BrokerToDNS>
