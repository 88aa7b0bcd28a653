import AgentConfig
import DNSCodec
import Logging
import NIOCore
import NIOPosix

/// Sends cache misses to the upstreams and brings answers back: a random ID on a randomly chosen
/// connected socket per query, answers accepted only from that socket (source checked by the kernel)
/// with the same ID and question (RFC 5452 §9.1), TC → the same question over TCP, failover to the next
/// upstream on timeout/refusal/SERVFAIL, the whole exchange bounded by `dns_request_timeout`, SERVFAIL when
/// nothing worked. Also runs the broker round trip for fallback users.
final class Forwarder {
    unowned let engine: DNSEngine
    private(set) var upstreams: [UpstreamResolver] = []
    /// UDP queries in flight, by socket serial << 16 | ID.
    private var inFlight = UInt64Table<PendingForward>()
    private var sockets: [UInt32: UpstreamSocket] = [:]
    private var brokerWaiting: [UInt64: PendingForward] = [:]
    /// Everything outstanding, for the timeout sweep.
    private var active: [PendingForward] = []
    /// Pending forwards per sender, for those made at or above `maxPendingForwardsPerUser` pending.
    private var perSender: [UInt32: Int] = [:]
    /// Finished records kept for reuse (see `PendingForward`), at most `maxSpares`.
    private var spares: [PendingForward] = []
    static let maxSpares = 512
    private var nextSerial: UInt32 = 1
    private var nextRequestID: UInt64 = 1
    fileprivate var sweepTask: Scheduled<Void>?
    /// How often deadlines are checked while anything is outstanding.
    static let sweepInterval = TimeAmount.milliseconds(25)
    /// Answers read per recvmmsg on an upstream socket.
    static let upstreamVectorReadCount = 8
    /// The room each answer gets in a vector read (see `DNSServer.vectorReadAllocator`; NIO's default left
    /// 256 bytes an answer, and every longer one failed as malformed, then SERVFAIL). An answer that fills
    /// its room is asked for again over TCP (`receiveUDP`). A client's EDNS size passes upstream unchanged,
    /// so answers above 4 KiB are rare and work, over TCP.
    static let answerDatagramRoom = 4096
    /// How long a failed upstream is passed over in favour of the next one.
    static let downPeriod: UInt64 = 5_000_000_000

    init(engine: DNSEngine) {
        self.engine = engine
    }

    var pendingCount: Int { active.count }

    // MARK: configuration

    /// Replaces the upstream list; queries in flight finish on the old sockets.
    func setUpstreams(_ addresses: [SocketAddress]) {
        let old = upstreams
        upstreams = addresses.map { address in
            old.first { $0.address == address } ?? UpstreamResolver(address: address)
        }
        for server in old where !upstreams.contains(where: { $0 === server }) {
            server.closed = true
            for pending in server.waiting { fail(pending, reason: "upstream removed") }
            server.waiting.removeAll()
            for socket in server.sockets { retire(socket) }
            server.sockets.removeAll()
        }
        for server in upstreams { fillPool(server) }
    }

    func closeAll() {
        for server in upstreams {
            server.closed = true
            for socket in server.sockets { socket.channel.close(promise: nil) }
        }
        for pending in active { pending.tcpChannel?.close(promise: nil) }
        sweepTask?.cancel()
    }

    // MARK: entry points

    /// Forwards a cache miss. `engine.name` holds the question.
    func forward(info: DNSQueryInfo, message: ByteBuffer, origin: QueryOrigin, now: UInt64) {
        guard let pending = makePending(info: info, message: message, origin: origin, now: now) else { return }
        startAttempt(pending, upstream: preferredUpstream(now: now), now: now)
    }

    /// A fallback user's unknown name: ask the broker first, for at most half the request timeout.
    func askBroker(info: DNSQueryInfo, message: ByteBuffer, origin: QueryOrigin, uid: UInt32) {
        guard let pending = makePending(info: info, message: message, origin: origin) else { return }
        pending.stage = .broker
        pending.recyclable = false
        pending.uid = uid
        pending.requestID = nextRequestID
        nextRequestID &+= 1
        let now = DNSEngine.uptimeNow()
        pending.attemptDeadline = now + (pending.deadline - now) / 2
        brokerWaiting[pending.requestID] = pending
        engine.counters.fallbackRequests &+= 1
        var text = engine.name.name.description
        if text.count > 1 { text.removeLast() }
        engine.delegate?.resolveRequest(requestID: pending.requestID, uid: uid, name: text.lowercased())
    }

    /// The broker's answer to `askBroker`.
    func resolveResult(requestID: UInt64, uid: UInt32, name: String, ipv4: IPv4Address?, ipv6: IPv6Address?) {
        guard let pending = brokerWaiting[requestID], pending.uid == uid else { return }
        brokerWaiting.removeValue(forKey: requestID)
        pending.loadName(into: engine.name)
        if ipv4 != nil || ipv6 != nil {
            engine.answerResolved(
                info: pending.info, origin: pending.origin, uid: uid, alias: name, ipv4: ipv4, ipv6: ipv6)
            complete(pending)
        } else {
            afterBroker(pending)
        }
    }

    private func afterBroker(_ pending: PendingForward) {
        if engine.serveFromCache(pending.info, origin: pending.origin) {
            complete(pending)
            return
        }
        pending.attemptDeadline = pending.deadline
        startAttempt(pending, upstream: preferredUpstream())
    }

    private func makePending(
        info: DNSQueryInfo, message: ByteBuffer, origin: QueryOrigin, now: UInt64 = DNSEngine.uptimeNow()
    ) -> PendingForward? {
        guard active.count < engine.configuration.maxPendingForwards else {
            serverFailure(info: info, origin: origin)
            return nil
        }
        // Below the per-user share nobody can be over it: no owner lookup on the common path. Above it,
        // each new forward counts against its sender, so one user cannot take every slot (fair share).
        var sender: UInt32?
        let share = engine.configuration.maxPendingForwardsPerUser
        if active.count >= share {
            let uid = origin.sink.ownerUID(remote: origin.remote, now: now) ?? DNSServer.unknownUID
            guard perSender[uid, default: 0] < share else {
                engine.counters.perUserRefusals &+= 1
                serverFailure(info: info, origin: origin)
                return nil
            }
            perSender[uid, default: 0] += 1
            sender = uid
        }
        let timeout = UInt64(max(0, engine.configuration.requestTimeout.nanoseconds))
        // A copy of its own: the message is a slice of NIO's receive buffer, which must not stay pinned (and
        // patching the ID into a shared slice would copy anyway).
        let pending: PendingForward
        if let spare = spares.popLast() {
            spare.reuse(
                message: message, info: info, nameLength: engine.name.count, origin: origin, deadline: now + timeout)
            pending = spare
        } else {
            var query = engine.allocator.buffer(capacity: max(message.readableBytes, 512))
            query.writeImmutableBuffer(message)
            pending = PendingForward(
                query: query, info: info, nameLength: engine.name.count, origin: origin, deadline: now + timeout)
        }
        pending.counted = sender
        pending.slot = active.count
        active.append(pending)
        origin.sink.pendingStarted()
        scheduleSweep()
        return pending
    }

    // MARK: attempts

    private func preferredUpstream(now: UInt64 = DNSEngine.uptimeNow()) -> Int {
        var best = 0
        for (index, server) in upstreams.enumerated() {
            if server.downUntil <= now { return index }
            if server.downUntil < upstreams[best].downUntil { best = index }
        }
        return best
    }

    private func startAttempt(_ pending: PendingForward, upstream index: Int, now: UInt64 = DNSEngine.uptimeNow()) {
        guard !upstreams.isEmpty else {
            fail(pending, reason: "no upstream servers")
            return
        }
        // Every upstream twice at most: refusals fail over instantly, so this also ends a round of them.
        guard pending.attempts < 2 * upstreams.count, now < pending.deadline else {
            fail(pending, reason: "every upstream failed")
            return
        }
        pending.attempts += 1
        pending.upstreamIndex = index
        let attempt = UInt64(engine.configuration.attemptTimeout.nanoseconds)
        pending.attemptDeadline = min(pending.deadline, now + attempt)
        engine.counters.forwarded &+= pending.attempts == 1 ? 1 : 0
        let server = upstreams[index]
        guard let socket = pickSocket(server) else {
            pending.stage = .waitingForSocket
            server.waiting.append(pending)
            return
        }
        send(pending, on: socket, now: now)
    }

    private func send(_ pending: PendingForward, on socket: UpstreamSocket, now: UInt64) {
        var id = engine.random.next16()
        while inFlight.contains(Self.key(socket.serial, id)) { id = engine.random.next16() }
        pending.upstreamID = id
        pending.socket = socket
        pending.stage = .udp
        inFlight.insert(pending, for: Self.key(socket.serial, id))
        pending.query.setInteger(id, at: pending.query.readerIndex)
        socket.channel.write(pending.query, promise: nil)
        engine.markDirty(socket)
        socket.uses += 1
        socket.outstanding += 1
        let maxAge = UInt64(max(0, engine.configuration.upstreamSocketMaxAge.nanoseconds))
        // `now` may predate a socket opened during this attempt: compare without subtracting.
        if socket.uses >= engine.configuration.upstreamSocketUses || now >= socket.openedAt &+ maxAge {
            retire(socket)
            fillPool(socket.server)
        }
    }

    /// The upstream gave up on this attempt: note it and try the next upstream (or fail).
    private func attemptFailed(_ pending: PendingForward, reason: String) {
        guard pending.stage != .done else { return }
        let failedIndex = pending.upstreamIndex
        detach(pending)
        let server = upstreams.indices.contains(failedIndex) ? upstreams[failedIndex] : nil
        if let server {
            engine.counters.upstreamFailures[server.label, default: 0] &+= 1
            server.downUntil = DNSEngine.uptimeNow() + Self.downPeriod
            engine.logger.debug(
                "upstream attempt failed", metadata: ["peer": "\(server.label)", "reason": "\(reason)"])
        }
        let next = upstreams.isEmpty ? 0 : (failedIndex + 1) % upstreams.count
        startAttempt(pending, upstream: next)
    }

    /// Takes the pending query off whatever it was waiting on (socket, TCP channel, broker).
    private func detach(_ pending: PendingForward) {
        if let socket = pending.socket {
            // Cleared first: closing the socket below reports its remaining queries synchronously.
            pending.socket = nil
            if inFlight[Self.key(socket.serial, pending.upstreamID)] === pending {
                inFlight.remove(Self.key(socket.serial, pending.upstreamID))
            }
            socket.outstanding -= 1
            if socket.retired && socket.outstanding == 0 { socket.channel.close(promise: nil) }
        }
        if let channel = pending.tcpChannel {
            pending.tcpChannel = nil
            channel.close(promise: nil)
        }
        if pending.stage == .broker { brokerWaiting.removeValue(forKey: pending.requestID) }
        if pending.stage == .waitingForSocket, upstreams.indices.contains(pending.upstreamIndex) {
            upstreams[pending.upstreamIndex].waiting.removeAll { $0 === pending }
        }
    }

    private func fail(_ pending: PendingForward, reason: String) {
        guard pending.stage != .done else { return }
        detach(pending)
        pending.loadName(into: engine.name)
        serverFailure(info: pending.info, origin: pending.origin)
        complete(pending)
    }

    private func serverFailure(info: DNSQueryInfo, origin: QueryOrigin) {
        engine.counters.serverFailures &+= 1
        engine.emit(to: origin, info: info) { out in
            DNSResponseWriter.writeEmptyResponse(into: &out, query: info, name: engine.name, rcode: .serverFailure)
        }
    }

    private func complete(_ pending: PendingForward) {
        guard pending.stage != .done else { return }
        pending.stage = .done
        let slot = pending.slot
        if slot >= 0 && slot < active.count && active[slot] === pending {
            let last = active.removeLast()
            if slot < active.count {
                active[slot] = last
                last.slot = slot
            }
        }
        pending.slot = -1
        if let sender = pending.counted {
            let left = perSender[sender, default: 1] - 1
            perSender[sender] = left > 0 ? left : nil
            pending.counted = nil
        }
        pending.origin.sink.pendingFinished()
        if pending.recyclable && spares.count < Self.maxSpares {
            pending.release()
            spares.append(pending)
        }
    }

    // MARK: answers

    /// An answer that filled its room (`answerDatagramRoom`) may have been cut: from the socket and with the
    /// ID this attempt waits for, it is retried over TCP like a TC answer (a forged one costs only that
    /// retry: the TCP answer is checked like any other).
    func receiveUDP(serial: UInt32, message: ByteBuffer) {
        guard message.readableBytes >= DNSLimits.headerLength,
            let id = message.getInteger(at: message.readerIndex, as: UInt16.self),
            let pending = inFlight[Self.key(serial, id)]
        else {
            engine.counters.mismatchedAnswers &+= 1  // late, duplicate or forged
            return
        }
        if message.readableBytes >= Self.answerDatagramRoom {
            if pending.stage == .udp { retryOverTCP(pending) } else { engine.counters.mismatchedAnswers &+= 1 }
            return
        }
        handleAnswer(pending, message: message, overTCP: false)
    }

    func receiveTCP(_ pending: PendingForward, channel: Channel, message: ByteBuffer) {
        guard pending.stage == .tcp, pending.tcpChannel === channel else { return }
        guard message.getInteger(at: message.readerIndex, as: UInt16.self) == pending.upstreamID
        else {
            attemptFailed(pending, reason: "TCP answer with a wrong ID")
            return
        }
        handleAnswer(pending, message: message, overTCP: true)
    }

    private func handleAnswer(_ pending: PendingForward, message: ByteBuffer, overTCP: Bool) {
        guard pending.stage == (overTCP ? .tcp : .udp) else { return }
        pending.loadName(into: engine.name)
        engine.ttlOffsets.removeAll(keepingCapacity: true)
        let collectTTLs = engine.cache.capacity > 0
        let scanned: Result<DNSResponseSummary, DNSCodecError> = message.withUnsafeReadableBytes { bytes in
            withUnsafeMutablePointer(to: &engine.ttlOffsets) { offsets in
                do throws(DNSCodecError) {
                    return .success(
                        try DNSResponseScanner.scan(
                            bytes, name: engine.name, type: pending.info.questionType,
                            questionClass: pending.info.questionClass, ttlOffsets: collectTTLs ? offsets : nil))
                } catch {
                    return .failure(error)
                }
            }
        }
        guard case .success(let summary) = scanned else {
            // Not an answer to this question: keep waiting for the real one (until the attempt times out).
            engine.counters.mismatchedAnswers &+= 1
            if overTCP { attemptFailed(pending, reason: "malformed TCP answer") }
            return
        }
        if summary.isTruncated && !overTCP {
            retryOverTCP(pending)
            return
        }
        let rcode = summary.responseCode
        if rcode == .serverFailure || rcode == .refused || rcode == .notImplemented,
            pending.attempts < upstreams.count
        {
            attemptFailed(pending, reason: "answered \(rcode)")
            return
        }
        detach(pending)
        if upstreams.indices.contains(pending.upstreamIndex) { upstreams[pending.upstreamIndex].downUntil = 0 }
        let info = pending.info
        engine.emit(to: pending.origin, info: info) { out in
            let start = out.writerIndex
            out.writeImmutableBuffer(message)
            out.setInteger(info.id, at: start)
        }
        message.withUnsafeReadableBytes { bytes in engine.store(bytes, summary: summary, info: info) }
        complete(pending)
    }

    private func retryOverTCP(_ pending: PendingForward) {
        detach(pending)
        engine.counters.tcpRetries &+= 1
        pending.stage = .tcp
        pending.recyclable = false
        let server = upstreams[pending.upstreamIndex]
        let now = DNSEngine.uptimeNow()
        let remaining = TimeAmount.nanoseconds(Int64(pending.deadline > now ? pending.deadline - now : 0))
        pending.attemptDeadline = pending.deadline
        let confined = LoopConfined((self, pending))
        ClientBootstrap(group: engine.loop)
            .connectTimeout(remaining)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let (forwarder, pending) = confined.value
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSTCPFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(
                        UpstreamTCPHandler(forwarder: forwarder, pending: pending))
                }
            }
            .connect(to: server.address)
            .whenComplete { result in
                let (forwarder, pending) = confined.value
                switch result {
                case .success(let channel):
                    guard pending.stage == .tcp else {
                        channel.close(promise: nil)
                        return
                    }
                    pending.tcpChannel = channel
                    guard channel.isActive else {
                        forwarder.tcpClosed(pending, channel: channel)
                        forwarder.engine.endOfBatch()
                        return
                    }
                    var framed = channel.allocator.buffer(capacity: pending.query.readableBytes + 2)
                    framed.writeInteger(UInt16(pending.query.readableBytes))
                    framed.writeImmutableBuffer(pending.query)
                    channel.writeAndFlush(framed, promise: nil)
                case .failure(let error):
                    forwarder.attemptFailed(pending, reason: "TCP connect: \(error)")
                    forwarder.engine.endOfBatch()
                }
            }
    }

    func tcpClosed(_ pending: PendingForward, channel: Channel) {
        // Only the connection this attempt is waiting on counts: `detach` clears `tcpChannel` before it
        // closes a finished one, whose channelInactive then arrives here and must change nothing.
        guard pending.stage == .tcp, pending.tcpChannel === channel else { return }
        pending.tcpChannel = nil
        attemptFailed(pending, reason: "TCP connection closed before the answer")
    }

    // MARK: sockets

    private static func key(_ serial: UInt32, _ id: UInt16) -> UInt64 { UInt64(serial) << 16 | UInt64(id) }

    private func pickSocket(_ server: UpstreamResolver) -> UpstreamSocket? {
        fillPool(server)
        guard !server.sockets.isEmpty else { return nil }
        return server.sockets[engine.random.next(below: server.sockets.count)]
    }

    private func retire(_ socket: UpstreamSocket) {
        guard !socket.retired else { return }
        socket.retired = true
        socket.server.sockets.removeAll { $0 === socket }
        if socket.outstanding == 0 { socket.channel.close(promise: nil) }
    }

    /// Opens sockets until the pool has its target size (asynchronously; `waiting` queries go out when
    /// one is ready).
    private func fillPool(_ server: UpstreamResolver) {
        guard !server.closed else { return }
        let target = max(1, engine.configuration.upstreamSocketsPerServer)
        while server.sockets.count + server.opening < target {
            server.opening += 1
            let serial = nextSerial
            nextSerial = nextSerial == UInt32.max ? 1 : nextSerial + 1
            let handler = UpstreamUDPHandler(forwarder: self)
            handler.serial = serial
            let confined = LoopConfined((self, handler, server))
            DatagramBootstrap(group: engine.loop)
                .channelOption(ChannelOptions.datagramVectorReadMessageCount, value: Self.upstreamVectorReadCount)
                // One recvmmsg per wakeup: a second call would mostly return EAGAIN (epoll is level-triggered,
                // so anything left is read on the next loop turn).
                .channelOption(ChannelOptions.maxMessagesPerRead, value: 1)
                .channelOption(
                    ChannelOptions.recvAllocator,
                    value: DNSServer.vectorReadAllocator(
                        datagrams: Self.upstreamVectorReadCount, room: Self.answerDatagramRoom)
                )
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(confined.value.1)
                    }
                }
                .connect(to: server.address)
                .whenComplete { result in
                    let (forwarder, _, server) = confined.value
                    forwarder.socketOpened(server: server, serial: serial, result: result)
                }
        }
    }

    private func socketOpened(server: UpstreamResolver, serial: UInt32, result: Result<Channel, Error>) {
        server.opening -= 1
        switch result {
        case .success(let channel):
            guard !server.closed else {
                channel.close(promise: nil)
                return
            }
            let socket = UpstreamSocket(serial: serial, channel: channel, server: server)
            sockets[serial] = socket
            server.sockets.append(socket)
            let waiting = server.waiting
            server.waiting.removeAll()
            let now = DNSEngine.uptimeNow()
            for pending in waiting where pending.stage == .waitingForSocket {
                if let socket = pickSocket(server) {
                    send(pending, on: socket, now: now)
                } else {
                    server.waiting.append(pending)
                }
            }
        case .failure(let error):
            engine.logger.debug(
                "cannot open upstream socket", metadata: ["peer": "\(server.label)", "error": "\(error)"])
            let waiting = server.waiting
            server.waiting.removeAll()
            for pending in waiting { attemptFailed(pending, reason: "socket to \(server.label): \(error)") }
        }
        engine.endOfBatch()
    }

    func socketFailed(serial: UInt32, reason: String) {
        guard let socket = sockets[serial] else { return }
        retire(socket)
        let victims = active.filter { $0.socket === socket && $0.stage == .udp }
        for pending in victims { attemptFailed(pending, reason: reason) }
        fillPool(socket.server)
    }

    func socketClosed(serial: UInt32) {
        guard let socket = sockets.removeValue(forKey: serial) else { return }
        if !socket.retired {
            socket.retired = true
            socket.server.sockets.removeAll { $0 === socket }
            fillPool(socket.server)
        }
        let victims = active.filter { $0.socket === socket && $0.stage == .udp }
        for pending in victims { attemptFailed(pending, reason: "socket closed") }
    }

    // MARK: deadlines

    private func scheduleSweep() {
        guard sweepTask == nil else { return }
        let confined = LoopConfined(self)
        sweepTask = engine.loop.scheduleTask(in: Self.sweepInterval) {
            confined.value.sweepTask = nil
            confined.value.sweep()
        }
    }

    fileprivate func sweep() {
        let now = DNSEngine.uptimeNow()
        var expired: [PendingForward] = []
        for pending in active where pending.attemptDeadline <= now || pending.deadline <= now {
            expired.append(pending)
        }
        for pending in expired {
            if pending.deadline <= now {
                fail(pending, reason: "timed out")
            } else if pending.stage == .broker {
                brokerWaiting.removeValue(forKey: pending.requestID)
                pending.loadName(into: engine.name)
                pending.stage = .waitingForSocket
                afterBroker(pending)
            } else {
                attemptFailed(pending, reason: "no answer within \(engine.configuration.attemptTimeout)")
            }
        }
        engine.endOfBatch()
        if !active.isEmpty { scheduleSweep() }
    }
}
