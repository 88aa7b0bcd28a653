import BoundaryWire
import NIOCore

/// One proxied connection through a worker, after a successful handshake: the WebSocket channel,
/// in byte-stream mode, held still until `splice(with:)` joins it to a local TCP channel.
public final class DataPlaneConnection: Sendable {
    /// The worker connection (TLS + WebSocket); reads and writes `ByteBuffer` payload bytes.
    public let channel: Channel
    public let handshakeResult: HandshakeResult
    /// The worker address that was used.
    public let endpoint: WorkerEndpoint
    /// How the stream ended (clean EOF, a worker refusal such as 3000, expiry, a lost connection)
    /// and how many bytes went each way. Succeeds once the worker channel has closed; never fails.
    public let outcome: EventLoopFuture<DataPlaneOutcome>

    init(
        channel: Channel, handshakeResult: HandshakeResult, endpoint: WorkerEndpoint,
        outcome: EventLoopFuture<DataPlaneOutcome>
    ) {
        self.channel = channel
        self.handshakeResult = handshakeResult
        self.endpoint = endpoint
        self.outcome = outcome
    }

    /// Relays bytes between `local` (an accepted TCP channel, best created with autoRead off so
    /// nothing is read before this) and the worker, with backpressure both ways, until either side
    /// closes; then both are closed. Sets `local`'s read buffers to whole-frame sizes and turns its
    /// autoRead on. `local` must be on this connection's event loop. When the worker connection
    /// has already gone, `local` is closed and the future fails.
    public func splice(with local: Channel) -> EventLoopFuture<Void> {
        let eventLoop = channel.eventLoop
        guard local.eventLoop === eventLoop else {
            return eventLoop.makeFailedFuture(DataPlaneError.eventLoopMismatch)
        }
        if eventLoop.inEventLoop {
            return eventLoop.makeCompletedFuture { try spliceOnLoop(with: local) }
        }
        return eventLoop.submit { [self] in try spliceOnLoop(with: local) }
    }

    /// Closes the worker connection (close frame 1000, then TCP). A spliced local channel follows.
    public func close() {
        channel.close(promise: nil)
    }

    private func spliceOnLoop(with local: Channel) throws {
        let remote = channel.pipeline.syncOperations
        guard channel.isActive, local.isActive,
            let handshake = try? remote.handler(type: DataPlaneHandshakeHandler.self)
        else {
            local.close(promise: nil)
            throw DataPlaneError.notSpliceable
        }
        let (localGlue, remoteGlue) = GlueHandler.matchedPair()
        try local.pipeline.syncOperations.addHandler(localGlue)
        try remote.addHandler(remoteGlue)
        if let options = local.syncOptions {
            try options.setOption(ChannelOptions.recvAllocator, value: DataPlaneRecvAllocator())
            try options.setOption(ChannelOptions.autoRead, value: true)
        }
        // Set up: relayed bytes are flushed as they come, not at the end of the tick.
        if let coalescer = try? remote.handler(type: SetupFlushCoalescer.self) {
            remote.removeHandler(coalescer, promise: nil)
        }
        // Releases what the target sent before the splice (an SSH banner) into the glue.
        remote.removeHandler(handshake, promise: nil)
    }
}
