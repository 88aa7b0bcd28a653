import NIOCore

/// Read-buffer sizes for the local TCP side of a splice. Like NIO's adaptive allocator (start small,
/// double when a read fills the buffer, shrink after small reads) but capped at exactly one
/// WebSocket frame's payload, so a bulk read becomes one 32 KiB frame (two full TLS records) and
/// never a full frame plus a few-byte tail frame.
public struct DataPlaneRecvAllocator: RecvByteBufferAllocator {
    static let minimum = 2048
    static let maximum = WebSocketFrameWriter.maximumPayload

    private var size = 2048
    private var smallReads = 0

    public init() {}

    public func buffer(allocator: ByteBufferAllocator) -> ByteBuffer {
        // The allocator rounds capacities up to a power of two, and a read fills all writable
        // bytes; skip the surplus so exactly `size` bytes can be read.
        var buffer = allocator.buffer(capacity: size)
        let surplus = buffer.writableBytes - size
        if surplus > 0 {
            buffer.moveWriterIndex(forwardBy: surplus)
            buffer.moveReaderIndex(forwardBy: surplus)
        }
        return buffer
    }

    public func nextBufferSize() -> Int? { size }

    public mutating func record(actualReadBytes: Int) -> Bool {
        if actualReadBytes >= size && size < Self.maximum {
            size = min(size * 2, Self.maximum)
            smallReads = 0
            return true
        }
        if actualReadBytes <= size / 4 && size > Self.minimum {
            smallReads += 1
            if smallReads >= 2 {
                size = max(size / 2, Self.minimum)
                smallReads = 0
            }
        } else {
            smallReads = 0
        }
        return false
    }
}
