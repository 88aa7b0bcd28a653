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
    /// Whether the reader runs, and whether the fd is closed: `close()` may race with the reader's
    /// own exit (end of file), and must never shut down an fd number the kernel has since reused.
    let state = Mutex(LinkState())
    let logger: Logger

    struct LinkState {
        var started = false
        var closed = false
    }

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

    /// Queues `messages` in order, with one wakeup of the sending thread for all of them. (Encoded
    /// here, before the sender's lock is taken.)
    public func send(_ messages: [Outbound]) {
        sender.send(frames: messages.map { $0.frame() })
    }

    /// Starts delivering messages to `handler` on `eventLoop`. `onClose` runs there once when the
    /// link ends (the other worker died, or it sent something malformed, which is logged).
    public func start(
        on eventLoop: EventLoop, _ handler: @escaping @Sendable (Inbound) -> Void,
        onClose: @escaping @Sendable (IPCError) -> Void = { _ in }
    ) throws {
        let first = state.withLock { s -> Bool in
            defer { s.started = true }
            return !s.started && !s.closed
        }
        precondition(first, "a peer link is started once, and not after close")
        let link = self.link
        let logger = self.logger
        let sender = self.sender
        try PThread.start {
            defer {
                sender.stop()
                self.state.withLock { s in
                    s.closed = true
                    link.close()
                }
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
        let link = self.link
        state.withLock { s in
            guard !s.closed else { return }
            if s.started {
                link.shutdown()  // the reader wakes with end of file and closes the fd
            } else {
                s.closed = true
                link.close()
            }
        }
    }
}

/// The DNS worker's end of the link.
public typealias DNSPeerLink = PeerLink<BrokerToDNS, DNSToBroker>
/// The broker's end of the link.
public typealias BrokerPeerLink = PeerLink<DNSToBroker, BrokerToDNS>
