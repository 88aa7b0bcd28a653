import AgentConfig
import DNSCodec
import Logging
import NIOCore

/// The server's brain, confined to one event loop: it reads each query, answers aliases from the views,
/// serves the cache, hands misses to the `Forwarder`, and writes every answer into a pool of reused output
/// buffers (one per answer in the current batch; after the batch's flush the kernel has copied them, so
/// they are uniquely ours again and `clear()` costs no allocation). Handlers call `process` and
/// `endOfBatch`.
final class DNSEngine {
    let loop: EventLoop
    let logger: Logger
    var configuration: DNSServerConfiguration
    var delegate: DNSServerDelegate?
    var counters = DNSCounters()
    var aliases = AliasIndex()
    /// A `Posix.releaseFreeMemory` is scheduled (after a big view).
    var trimScheduled = false
    /// The scheduled trim also drops code pages (`StartupPages`, after a user's first view).
    var trimDropsCode = false
    var fallbackUIDs: Set<UInt32> = []
    var cache: ResponseCache
    private(set) var forwarder: Forwarder!
    let ownerLookup = SocketOwnerLookup()
    /// The name of the query being handled (and of a pending query while its answer is written).
    let name = DNSNameBuffer()
    var random = RandomPool()
    var ttlOffsets: [Int] = []
    var tcpConnectionCount = 0
    private var buffers: [ByteBuffer] = []
    private var nextBuffer = 0
    private var endOfBatchScheduled = false
    let allocator = ByteBufferAllocator()
    private var dirty: [BatchFlushable] = []
    /// Initial size of a pooled answer buffer (most answers fit; larger ones grow it once).
    private static let bufferCapacity = 1024
    /// Answers per batch served from the pool; a longer batch (deep TCP pipelining) allocates the rest.
    private static let maxPooledBuffers = 128

    init(loop: EventLoop, configuration: DNSServerConfiguration, delegate: DNSServerDelegate?, logger: Logger) {
        self.loop = loop
        self.configuration = configuration
        self.delegate = delegate
        self.logger = logger
        self.cache = ResponseCache(capacity: configuration.cacheSize)
        self.ttlOffsets.reserveCapacity(64)
        self.forwarder = Forwarder(engine: self)
    }

    static func uptimeNow() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

    // MARK: batches

    /// Something was written on `target`; flush it when the current batch ends.
    func markDirty(_ target: BatchFlushable) {
        guard !target.flushScheduled else { return }
        target.flushScheduled = true
        dirty.append(target)
    }

    /// `endOfBatch` once the event loop has handled every socket that was ready in this turn (NIO runs tasks
    /// after a turn's I/O). For the upstream sockets: answers that arrive on several of them in one turn then
    /// leave for the clients in one sendmmsg, not one per socket (it was 0.28 sendmmsg calls per forwarded
    /// query, issue 8).
    func endOfBatchAfterThisTurn() {
        guard !endOfBatchScheduled else { return }
        endOfBatchScheduled = true
        let confined = LoopConfined(self)
        loop.execute {
            confined.value.endOfBatchScheduled = false
            confined.value.endOfBatch()
        }
    }

    /// Flushes every sink and upstream socket written to since the last call, then recycles the output
    /// buffer (free when the kernel took every datagram, which is the normal case).
    func endOfBatch() {
        if !dirty.isEmpty {
            var index = 0
            while index < dirty.count {  // flushing may queue more (rare): take them too
                let target = dirty[index]
                target.flushScheduled = false
                target.flushNow()
                index += 1
            }
            dirty.removeAll(keepingCapacity: true)
        }
        nextBuffer = 0
    }

    // MARK: queries

    /// Handles one message from a client. `message`'s readable bytes are exactly the DNS message.
    func process(_ message: ByteBuffer, origin: QueryOrigin) {
        counters.queries &+= 1
        switch DNSQueryParser.parse(message, name: name) {
        case .drop:
            counters.dropped &+= 1
        case .notImplemented(let id, let flags):
            emit(to: origin, udpLimit: DNSLimits.classicUDPPayload) { out in
                DNSResponseWriter.writeHeaderOnlyResponse(into: &out, id: id, queryFlags: flags, rcode: .notImplemented)
            }
        case .formatError(let id, let flags, let reason):
            counters.formatErrors &+= 1
            logger.trace("malformed query", metadata: ["reason": "\(reason)"])
            emit(to: origin, udpLimit: DNSLimits.classicUDPPayload) { out in
                DNSResponseWriter.writeHeaderOnlyResponse(into: &out, id: id, queryFlags: flags, rcode: .formatError)
            }
        case .badVersion(let id, let flags):
            emit(to: origin, udpLimit: DNSLimits.classicUDPPayload) { out in
                DNSResponseWriter.writeBadVersionResponse(into: &out, id: id, queryFlags: flags)
            }
        case .query(let info):
            answer(info, message: message, origin: origin)
        }
    }

    /// A UDP query that filled its room in the receive buffer (`DNSServer.queryDatagramRoom`), so its end
    /// may be missing: answered TC with its question, which sends the client to TCP (RFC 7766 §5), where
    /// no size cuts it. Without a readable question it is dropped like any unreadable message.
    func processCutQuery(_ message: ByteBuffer, origin: QueryOrigin) {
        counters.queries &+= 1
        switch message.withUnsafeReadableBytes({ DNSQueryParser.parseQuestion($0, name: name) }) {
        case .query(let info):
            counters.truncatedAnswers &+= 1
            emit(to: origin, udpLimit: DNSLimits.classicUDPPayload) { out in
                DNSResponseWriter.writeEmptyResponse(
                    into: &out, query: info, name: name, rcode: .noError, truncated: true)
            }
        case .drop, .formatError, .notImplemented, .badVersion:
            counters.dropped &+= 1
        }
    }

    private func answer(_ info: DNSQueryInfo, message: ByteBuffer, origin: QueryOrigin) {
        if info.questionClass == .in || info.questionClass == .any {
            let hash = name.caseInsensitiveHash
            if let index = aliases.find(name, hash: hash), answerAlias(index, info: info, origin: origin) {
                return
            }
        }
        if !fallbackUIDs.isEmpty, let uid = origin.sink.ownerUID(remote: origin.remote, now: Self.uptimeNow()),
            fallbackUIDs.contains(uid)
        {
            forwarder.askBroker(info: info, message: message, origin: origin, uid: uid)
            return
        }
        if info.questionType == .axfr || info.questionType == .ixfr {
            // Zone transfers are not something a stub forwarder relays.
            emit(to: origin, info: info) { out in
                DNSResponseWriter.writeEmptyResponse(into: &out, query: info, name: self.name, rcode: .refused)
            }
            return
        }
        // One clock read for the cache and the forward (a miss used to read it five times).
        let now = Self.uptimeNow()
        if serveFromCache(info, origin: origin, now: now) { return }
        forwarder.forward(info: info, message: message, origin: origin, now: now)
    }

    /// Answers from the alias views when the querier may see this alias; false when it may not (the
    /// query then goes on like any other name).
    private func answerAlias(_ index: Int32, info: DNSQueryInfo, origin: QueryOrigin) -> Bool {
        let now = Self.uptimeNow()
        let uid = origin.sink.ownerUID(remote: origin.remote, now: now)
        let owner: Int
        let reportKey: UInt64
        let reportUID: UInt32
        if let uid, !configuration.unionUIDs.contains(uid) {
            guard let position = aliases.owner(of: index, uid: uid) else { return false }
            owner = position
            reportKey = AliasIndex.ownerKey(position)
            reportUID = uid
        } else {
            // The union: every owner has the same deterministic address.
            guard let position = aliases.anyOwner(of: index) else { return false }
            owner = position
            reportKey = AliasIndex.unionKey(index)
            reportUID = DNSServer.unknownUID
        }
        let (ipv4, ipv6) = aliases.addresses(ofOwner: owner)
        emit(to: origin, info: info) { out in
            DNSResponseWriter.writeAliasAnswer(
                into: &out, query: info, name: self.name, ipv4: ipv4, ipv6: ipv6,
                ttl: self.configuration.aliasTTL)
        }
        counters.aliasAnswers &+= 1
        reportAlias(index, key: reportKey, uid: reportUID, now: now)
        return true
    }

    private func reportAlias(_ index: Int32, key: UInt64, uid: UInt32, now: UInt64) {
        guard let delegate else { return }
        let interval = UInt64(max(0, configuration.aliasReportInterval.nanoseconds))
        guard aliases.shouldReport(key, now: now, interval: interval) else { return }
        delegate.aliasQueried(uid: uid, alias: aliases.alias(of: index))
    }

    /// Answers with the addresses the broker resolved for a fallback user's question (`name` holds it).
    func answerResolved(
        info: DNSQueryInfo, origin: QueryOrigin, uid: UInt32, alias: String, ipv4: IPv4Address?, ipv6: IPv6Address?
    ) {
        emit(to: origin, info: info) { out in
            DNSResponseWriter.writeAliasAnswer(
                into: &out, query: info, name: self.name, ipv4: ipv4, ipv6: ipv6, ttl: self.configuration.aliasTTL)
        }
        counters.aliasAnswers &+= 1
        delegate?.aliasQueried(uid: uid, alias: alias)
    }

    // MARK: cache

    /// Serves the query (whose name is in `name`) from the cache; false on a miss.
    func serveFromCache(_ info: DNSQueryInfo, origin: QueryOrigin, now: UInt64 = uptimeNow()) -> Bool {
        guard cache.capacity > 0 else { return false }
        let flags = ResponseCache.keyFlags(dnssecOK: info.dnssecOK, checkingDisabled: info.checkingDisabled)
        let hash = ResponseCache.hash(
            name: name, type: info.questionType, questionClass: info.questionClass, flags: flags)
        guard
            let index = cache.lookup(
                name: name, type: info.questionType, questionClass: info.questionClass, flags: flags, hash: hash,
                now: now)
        else { return false }
        let name = self.name
        emit(to: origin, info: info) { out in
            // One pass over raw memory: copy the stored answer, then patch the ID, the flags, the
            // question's case and the aged TTLs in place (each ByteBuffer get/set re-checked bounds).
            cache.withEntry(index) { storedAt, message, ttlOffsets in
                let age = UInt32(min((now - storedAt) / 1_000_000_000, UInt64(DNSLimits.maxTTL)))
                out.writeWithUnsafeMutableBytes(minimumWritableBytes: message.count) { destination in
                    // Stored entries hold a header, this question and in-bounds TTL offsets (`store`).
                    precondition(message.count >= DNSLimits.headerLength + name.count)
                    let base = destination.baseAddress!
                    base.copyMemory(from: message.baseAddress!, byteCount: message.count)
                    base.storeBytes(of: info.id.bigEndian, toByteOffset: 0, as: UInt16.self)
                    // RD and CD are the asker's; the rest (AA, AD, RCODE) the upstream's.
                    let askers = DNSHeader.Flag.recursionDesired | DNSHeader.Flag.checkingDisabled
                    let upstreamFlags = UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
                    let flags = (upstreamFlags & ~askers) | (info.flags & askers)
                    base.storeBytes(of: flags.bigEndian, toByteOffset: 2, as: UInt16.self)
                    (base + DNSLimits.headerLength).copyMemory(from: name.storage, byteCount: name.count)
                    for offset16 in ttlOffsets {
                        let offset = Int(offset16)
                        precondition(offset + 4 <= message.count)  // see above
                        let ttl = UInt32(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                        let aged = ttl > DNSLimits.maxTTL || ttl <= age ? 0 : ttl - age
                        base.storeBytes(of: aged.bigEndian, toByteOffset: offset, as: UInt32.self)
                    }
                    if info.edns != nil {
                        let additional = UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 10, as: UInt16.self))
                        base.storeBytes(of: (additional &+ 1).bigEndian, toByteOffset: 10, as: UInt16.self)
                    }
                    return message.count
                }
            }
            if let edns = info.edns { DNSResponseWriter.writeOPT(into: &out, dnssecOK: edns.dnssecOK) }
        }
        counters.cacheHits &+= 1
        return true
    }

    /// Stores an upstream answer (question in `name`), dropping its OPT, when RFC 2308 allows.
    func store(
        _ message: UnsafeRawBufferPointer, summary: DNSResponseSummary, info: DNSQueryInfo
    ) {
        guard cache.capacity > 0, !summary.isTruncated, !summary.hasTransactionSignature, summary.questionIsPlain,
            summary.optRange == nil || summary.optIsLast, summary.responseCode.rawValue < 16
        else { return }
        let ttl: UInt32
        if summary.responseCode == .noError && summary.answerCount > 0 {
            guard let minimum = summary.minimumTTL else { return }
            ttl = min(minimum, ResponseCache.maxPositiveTTL)
        } else if summary.responseCode == .nameError || summary.responseCode == .noError {
            guard let negative = summary.negativeTTL else { return }  // no SOA: RFC 2308 §5 says do not cache
            ttl = min(negative, ResponseCache.maxNegativeTTL)
        } else {
            return
        }
        guard ttl > 0 else { return }
        // Without its OPT (the last record, checked above): the asker's own goes on at each hit.
        let stored = summary.optRange.map { UnsafeRawBufferPointer(rebasing: message[0..<$0.lowerBound]) } ?? message
        let flags = ResponseCache.keyFlags(dnssecOK: info.dnssecOK, checkingDisabled: info.checkingDisabled)
        let hash = ResponseCache.hash(
            name: name, type: info.questionType, questionClass: info.questionClass, flags: flags)
        cache.insert(
            name: name, type: info.questionType, questionClass: info.questionClass, flags: flags, hash: hash,
            message: stored, dropLastAdditional: summary.optRange != nil, ttlOffsets: ttlOffsets, ttl: ttl,
            now: Self.uptimeNow())
    }

    // MARK: writing answers

    /// Writes one answer to a parsed query and queues it on the origin's sink; a UDP answer over the
    /// client's limit becomes an empty TC answer (RFC 1035 §4.2.1, RFC 6891 §7).
    func emit(to origin: QueryOrigin, info: DNSQueryInfo, _ write: (inout ByteBuffer) -> Void) {
        let sink = origin.sink
        guard sink.isActive else {
            counters.dropped &+= 1
            return
        }
        let tcp = sink.isTCP
        var truncated = false
        let answer = withAnswerBuffer { out in
            if tcp { out.writeInteger(UInt16(0)) }  // the length, filled by `frame`
            write(&out)
            if !tcp && out.readableBytes > info.udpLimit {
                out.clear()
                DNSResponseWriter.writeEmptyResponse(
                    into: &out, query: info, name: name, rcode: .noError, truncated: true)
                truncated = true
            }
            if tcp { Self.frame(&out) }
        }
        if truncated { counters.truncatedAnswers &+= 1 }
        sink.send(answer, to: origin.remote)
        markDirty(sink)
    }

    /// The same for answers to messages whose question could not be read.
    private func emit(to origin: QueryOrigin, udpLimit: Int, _ write: (inout ByteBuffer) -> Void) {
        let sink = origin.sink
        guard sink.isActive else { return }
        let tcp = sink.isTCP
        let answer = withAnswerBuffer { out in
            if tcp { out.writeInteger(UInt16(0)) }
            write(&out)
            if tcp { Self.frame(&out) }
        }
        sink.send(answer, to: origin.remote)
        markDirty(sink)
    }

    /// Fills the 2-byte TCP length in front of the message (RFC 1035 §4.2.2). Our answers are small and an
    /// upstream's is bounded by its own framing, so the length always fits.
    private static func frame(_ out: inout ByteBuffer) {
        out.setInteger(UInt16(truncatingIfNeeded: out.readableBytes - 2), at: out.readerIndex)
    }

    /// Runs `body` on the next pooled buffer, emptied, in place (no copy), and returns a reference to it.
    /// The pool keeps its own reference; once the kernel has taken the bytes at flush time that one is
    /// unique again and the next `clear()` is free.
    private func withAnswerBuffer(_ body: (inout ByteBuffer) -> Void) -> ByteBuffer {
        guard nextBuffer < Self.maxPooledBuffers else {
            var buffer = allocator.buffer(capacity: Self.bufferCapacity)
            body(&buffer)
            return buffer
        }
        if nextBuffer == buffers.count { buffers.append(allocator.buffer(capacity: Self.bufferCapacity)) }
        buffers[nextBuffer].clear()
        body(&buffers[nextBuffer])
        nextBuffer += 1
        return buffers[nextBuffer - 1]
    }
}
