import PrivSep

/// One message as it travels: its kind, its payload, and the fds attached to it. On the wire a
/// frame is one or more SEQPACKET messages, each `kind (u16) | flags (u16) | length (u32) | bytes`;
/// flag bit 0 means "more fragments follow". Fds ride on the first fragment only.
public struct Frame: Sendable {
    public var kind: MessageKind
    public var payload: [UInt8]
    public var fds: [Int32]

    public init(kind: MessageKind, payload: [UInt8] = [], fds: [Int32] = []) {
        self.kind = kind
        self.payload = payload
        self.fds = fds
    }

    static let moreFragments: UInt16 = 1

    /// The SEQPACKET messages for this frame, each with its header.
    public func fragments(maximumPayload: Int = IPCLimits.fragmentPayload) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var start = 0
        repeat {
            let end = min(payload.count, start + maximumPayload)
            var w = IPCWriter(capacity: IPCLimits.headerSize + end - start)
            w.u16(kind.rawValue)
            w.u16(end < payload.count ? Frame.moreFragments : 0)
            w.u32(UInt32(end - start))
            var bytes = w.bytes
            bytes.append(contentsOf: payload[start..<end])
            out.append(bytes)
            start = end
        } while start < payload.count
        return out
    }

    /// Checks the frame against `direction` (kind carried, length within the kind's limit, exactly
    /// the kind's fd count) and hands a reader over the payload to `decode`, which must read every
    /// byte. On any failure every attached fd is closed before the error propagates, so a refused
    /// message leaks nothing.
    public func decode<T>(_ direction: Direction, _ decode: (inout IPCReader) throws -> T) throws -> T {
        do {
            guard direction.kinds.contains(kind) else { throw IPCError.unexpectedKind(kind, direction) }
            guard payload.count <= kind.maxLength else {
                throw IPCError.oversized(kind, length: payload.count, limit: kind.maxLength)
            }
            guard fds.count == kind.fdCount else {
                throw IPCError.wrongFDCount(kind, expected: kind.fdCount, got: fds.count)
            }
            var reader = IPCReader(payload, kind: kind)
            let value = try decode(&reader)
            try reader.finish()
            return value
        } catch {
            closeFDs()
            throw error
        }
    }

    public func closeFDs() {
        for fd in fds { Posix.closeQuietly(fd) }
    }
}

/// Joins fragments back into frames, enforcing the limits as it goes: a header that lies about its
/// length, an unknown kind, a kind the direction does not carry, a kind change mid-frame, fds on a
/// continuation, or a total past the kind's limit are all errors, raised before more is buffered.
public struct FrameAssembler: Sendable {
    public let direction: Direction
    var pending: Frame? = nil

    public init(direction: Direction) {
        self.direction = direction
    }

    /// Adds one received SEQPACKET message; returns a frame when it is complete. Throws (and closes
    /// any fds received so far) on a protocol violation; the link is then unusable.
    public mutating func add(_ message: ReceivedMessage) throws -> Frame? {
        do {
            return try accept(message)
        } catch {
            message.closeFDs()
            pending?.closeFDs()
            pending = nil
            throw error
        }
    }

    mutating func accept(_ message: ReceivedMessage) throws -> Frame? {
        let bytes = message.bytes
        guard bytes.count >= IPCLimits.headerSize else {
            throw IPCError.malformedFrame("\(bytes.count) bytes is shorter than a header")
        }
        let rawKind = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        let flags = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        let length = Int(bytes[4]) << 24 | Int(bytes[5]) << 16 | Int(bytes[6]) << 8 | Int(bytes[7])
        guard let kind = MessageKind(rawValue: rawKind) else { throw IPCError.unknownKind(rawKind) }
        guard direction.kinds.contains(kind) else { throw IPCError.unexpectedKind(kind, direction) }
        guard flags & ~Frame.moreFragments == 0 else { throw IPCError.malformedFrame("unknown flags \(flags)") }
        guard length == bytes.count - IPCLimits.headerSize else {
            throw IPCError.malformedFrame("header says \(length) bytes, \(bytes.count - IPCLimits.headerSize) arrived")
        }
        let more = flags & Frame.moreFragments != 0
        if var frame = pending {
            guard frame.kind == kind else { throw IPCError.badFragment("\(kind) inside \(frame.kind)") }
            guard message.fds.isEmpty else { throw IPCError.badFragment("fds on a continuation of \(kind)") }
            guard frame.payload.count + length <= kind.maxLength else {
                throw IPCError.oversized(kind, length: frame.payload.count + length, limit: kind.maxLength)
            }
            // `frame` must hold the only reference to the payload so far, or every fragment's append
            // copies it whole: a 3 MB setView (100,000 aliases) in 16 KiB fragments copied ~300 MB.
            pending = nil
            frame.payload.append(contentsOf: bytes[IPCLimits.headerSize...])
            if more {
                pending = frame
                return nil
            }
            pending = nil
            return frame
        }
        guard length <= kind.maxLength else { throw IPCError.oversized(kind, length: length, limit: kind.maxLength) }
        guard message.fds.count <= kind.fdCount else {
            throw IPCError.wrongFDCount(kind, expected: kind.fdCount, got: message.fds.count)
        }
        let frame = Frame(kind: kind, payload: Array(bytes[IPCLimits.headerSize...]), fds: message.fds)
        if more {
            // A kind that fits one fragment never continues (the helper relies on it).
            guard kind.maxLength > IPCLimits.fragmentPayload, length == IPCLimits.fragmentPayload else {
                throw IPCError.badFragment("\(kind) continues after \(length) bytes")
            }
            pending = frame
            return nil
        }
        return frame
    }
}

/// A typed message of one direction.
public protocol IPCMessage: Sendable {
    static var direction: Direction { get }
    var kind: MessageKind { get }
    /// The frame to send; it carries (but does not own) any fds of the message.
    func frame() -> Frame
    /// Decodes `frame`, taking ownership of its fds; throws (with the fds closed) when the frame is
    /// not a valid message of this direction.
    init(frame: Frame) throws
}

extension IPCMessage {
    public var kind: MessageKind { frame().kind }
}
