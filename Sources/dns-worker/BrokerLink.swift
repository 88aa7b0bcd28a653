import AgentCore
import AgentIPC
import DNSService
import Logging
import NIOCore

/// The DNS worker's end of the dns ↔ broker link: `BrokerToDNS` messages become `DNSServer` calls,
/// and the server's `DNSServerDelegate` calls (and the counters) become `DNSToBroker` messages.
///
/// A restarted broker starts with no tokens, so a new link first wipes what the previous broker
/// pushed (`DNSServer.resetViews`); the new broker then pushes what it knows. Messages still arriving
/// on a replaced link are dropped.
final class BrokerLink: DNSServerDelegate, @unchecked Sendable {
    // @unchecked: `server`, `link`, `lastCounters` and `attached` are read and written only on `loop`, the DNS
    // server's one event loop, where the delegate calls arrive and where every method hops.
    let loop: EventLoop
    let logger: Logger
    private var server: DNSServer?
    private var link: DNSPeerLink?
    private var lastCounters: AgentIPC.DNSCounters?
    /// Whether a broker link was attached before (so views may be stale).
    private var attached = false
    /// `aliasQueried` reports of this loop turn, sent together after it (`sendQueuedReports`).
    private var queuedReports: [DNSToBroker] = []

    /// `loop` must be the loop the server runs on (start it with `group: loop`).
    init(loop: EventLoop, logger: Logger) {
        self.loop = loop
        self.logger = logger
    }

    /// Once, right after the server started (it needs this object as its delegate first).
    func serve(_ server: DNSServer) {
        precondition(server.eventLoop === loop, "the server runs on the loop this link is confined to")
        loop.execute { self.server = server }
    }

    /// The helper handed over a link to a (re)started broker.
    func attach(_ new: DNSPeerLink) {
        loop.execute { self.attachOnLoop(new) }
    }

    private func attachOnLoop(_ new: DNSPeerLink) {
        // Whatever views we hold came from an earlier broker (the old link may already have ended
        // with end of file): gone with it.
        link?.close()
        if attached { server?.resetViews() }
        attached = true
        link = new
        lastCounters = nil
        do {
            try new.start(
                on: loop,
                { message in
                    guard self.link === new else { return }  // late words of a broker that is gone
                    self.apply(message)
                },
                onClose: { _ in
                    if self.link === new { self.link = nil }
                })
            logger.debug("broker link attached")
        } catch {
            logger.error("broker link: \(error)")
            link = nil
        }
    }

    /// Shutdown: stop talking to the broker.
    func detach() {
        loop.execute {
            self.link?.close()
            self.link = nil
        }
    }

    private func apply(_ message: BrokerToDNS) {
        guard let server else { return }
        switch message {
        case .setView(let uid, let entries):
            server.setView(uid: uid, entries: entries.map(DNSService.AliasEntry.init))
        case .setFallbackUsers(let uids):
            server.setFallbackUsers(uids)
        case .resolveResult(let requestID, let uid, let name, let ipv4, let ipv6):
            server.resolveResult(requestID: requestID, uid: uid, name: name, ipv4: ipv4, ipv6: ipv6)
        case .flushCache:
            server.flushCache()
        }
    }

    /// The counters, sent when they changed since the last report on this link.
    func report(_ counters: DNSService.DNSCounters) {
        loop.preconditionInEventLoop()
        let wire = AgentIPC.DNSCounters(counters)
        guard let link, wire != lastCounters else { return }
        lastCounters = wire
        link.send(.counters(wire))
    }

    // MARK: DNSServerDelegate (on the server's loop)

    /// Queued, and sent once this loop turn is over: by then the turn's answers have left (flushed at
    /// the end of each read, or by the server's end-of-turn task, queued before this one), and one
    /// wakeup of the sending thread carries every report of the turn. Sent one by one, a report's
    /// wakeup could preempt the worker between a query and its answer: at 10,000 alias queries a
    /// second, one in ten is a report.
    func aliasQueried(uid: UInt32, alias: String) {
        guard link != nil else { return }
        queuedReports.append(.aliasQueried(uid: uid, alias: alias))
        if queuedReports.count == 1 { loop.execute { self.sendQueuedReports() } }
    }

    private func sendQueuedReports() {
        defer { queuedReports.removeAll(keepingCapacity: queuedReports.count <= 1024) }
        link?.send(queuedReports)
    }

    func resolveRequest(requestID: UInt64, uid: UInt32, name: String) {
        link?.send(.resolveRequest(requestID: requestID, uid: uid, name: name))
    }
}
