import NIOCore

/// An incremental RFC 6455 §5.2 frame parser for the client end of a Boundary proxy WebSocket.
///
/// Unlike a message decoder it never waits for a whole frame: payload bytes of binary messages come
/// out as slices of the input buffer as soon as they arrive, so the data phase forwards the worker's
/// bytes with no copy and no size limit (the worker's NetConn sends messages of any size). Control
/// frames (≤125 bytes by §5.5) are gathered whole. Read-or-nil: `next(from:)` returns nil when it
/// needs more input, having consumed everything it was given.
struct WebSocketFrameParser {
    enum Event: Equatable {
        /// Bytes of a binary (or continuation) frame, in order.
        case payload(ByteBuffer)
        /// The final frame of a binary message ended.
        case messageEnd
        /// A close frame; `code` is nil when the frame had no status (1005 "no status received").
        case close(code: UInt16?, reason: String)
        case ping(ByteBuffer)
        case pong
    }

    /// What the peer did wrong, and the close code we answer with (§7.4.1).
    enum ParseError: Error, Equatable, CustomStringConvertible {
        case reservedBitsSet
        case maskedFrameFromServer
        case unknownOpcode(UInt8)
        case textMessage
        case fragmentedControlFrame
        case controlFrameTooLong(Int)
        case unexpectedContinuation
        case unfinishedMessage
        case lengthTooLarge
        case invalidClosePayload
        case invalidCloseCode(UInt16)
        case invalidCloseReason

        var closeCode: UInt16 {
            switch self {
            case .textMessage: return 1003  // unsupported data: the proxy speaks binary only
            case .invalidCloseReason: return 1007  // not UTF-8
            default: return 1002  // protocol error
            }
        }

        var description: String {
            switch self {
            case .reservedBitsSet: return "reserved header bits set without a negotiated extension"
            case .maskedFrameFromServer: return "masked frame from the server (RFC 6455 §5.1)"
            case .unknownOpcode(let op): return "unknown opcode \(op)"
            case .textMessage: return "text message on a binary stream"
            case .fragmentedControlFrame: return "fragmented control frame"
            case .controlFrameTooLong(let n): return "control frame of \(n) bytes (limit 125)"
            case .unexpectedContinuation: return "continuation frame outside a message"
            case .unfinishedMessage: return "new message before the previous one finished"
            case .lengthTooLarge: return "64-bit payload length with the top bit set"
            case .invalidClosePayload: return "close frame with a one-byte payload"
            case .invalidCloseCode(let c): return "close frame with invalid status \(c)"
            case .invalidCloseReason: return "close reason is not UTF-8"
            }
        }
    }

    private enum Opcode: UInt8 {
        case continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA
    }

    private enum State {
        case header
        case dataPayload(remaining: UInt64, fin: Bool)
        case controlPayload(opcode: Opcode, remaining: Int)
        case messageEndPending
    }

    /// Longest header a server sends: 2 bytes plus a 64-bit length, no mask.
    private static let maximumHeaderLength = 10
    static let maximumControlPayload = 125

    private var state = State.header
    /// Header bytes split across reads (at most `maximumHeaderLength`).
    private var partialHeader: [UInt8] = []
    /// A control frame's payload split across reads.
    private var control: ByteBuffer = ByteBuffer()
    /// True between the first and the final frame of a fragmented binary message.
    private var inMessage = false

    init() {
        partialHeader.reserveCapacity(Self.maximumHeaderLength)
    }

    mutating func next(from buffer: inout ByteBuffer) throws(ParseError) -> Event? {
        while true {
            switch state {
            case .messageEndPending:
                state = .header
                return .messageEnd

            case .header:
                guard let (fin, opcode, length) = try readHeader(from: &buffer) else { return nil }
                try begin(fin: fin, opcode: opcode, length: length)
            // A zero-length frame ends here; loop to report what that means.

            case .dataPayload(let remaining, let fin):
                if remaining == 0 {
                    state = fin ? .messageEndPending : .header
                    continue
                }
                guard buffer.readableBytes > 0 else { return nil }
                let count = Int(min(remaining, UInt64(buffer.readableBytes)))
                // A slice shares storage with the input: no copy on the way to the local socket.
                let slice = buffer.readSlice(length: count)!
                state = .dataPayload(remaining: remaining - UInt64(count), fin: fin)
                return .payload(slice)

            case .controlPayload(let opcode, let remaining):
                if remaining > 0 {
                    guard buffer.readableBytes > 0 else { return nil }
                    let count = min(remaining, buffer.readableBytes)
                    var slice = buffer.readSlice(length: count)!
                    control.writeBuffer(&slice)
                    state = .controlPayload(opcode: opcode, remaining: remaining - count)
                    if remaining - count > 0 { return nil }
                }
                state = .header
                let payload = control
                control.clear()
                return try controlEvent(opcode: opcode, payload: payload)
            }
        }
    }

    /// Parses a header from `buffer`, or stores the part that is there and returns nil.
    private mutating func readHeader(from buffer: inout ByteBuffer) throws(ParseError) -> (Bool, Opcode, UInt64)? {
        if partialHeader.isEmpty, let parsed = try Self.parseHeader(buffer.readableBytesView) {
            buffer.moveReaderIndex(forwardBy: parsed.headerLength)
            return (parsed.fin, parsed.opcode, parsed.length)
        }
        // Slow path: the header straddles reads. Take one byte at a time until it parses.
        while let byte = buffer.readInteger(as: UInt8.self) {
            partialHeader.append(byte)
            if let parsed = try Self.parseHeader(partialHeader[...]) {
                precondition(parsed.headerLength == partialHeader.count, "header parsed as soon as it was complete")
                partialHeader.removeAll(keepingCapacity: true)
                return (parsed.fin, parsed.opcode, parsed.length)
            }
        }
        return nil
    }

    private static func parseHeader<C: Collection>(
        _ bytes: C
    ) throws(ParseError) -> (fin: Bool, opcode: Opcode, length: UInt64, headerLength: Int)? where C.Element == UInt8 {
        var i = bytes.startIndex
        guard i != bytes.endIndex else { return nil }
        let b0 = bytes[i]
        bytes.formIndex(after: &i)
        guard b0 & 0x70 == 0 else { throw ParseError.reservedBitsSet }
        guard let opcode = Opcode(rawValue: b0 & 0x0F) else { throw ParseError.unknownOpcode(b0 & 0x0F) }
        guard i != bytes.endIndex else { return nil }
        let b1 = bytes[i]
        bytes.formIndex(after: &i)
        guard b1 & 0x80 == 0 else { throw ParseError.maskedFrameFromServer }
        let short = b1 & 0x7F
        let extra = short == 126 ? 2 : short == 127 ? 8 : 0
        var length = UInt64(short)
        if extra > 0 {
            length = 0
            for _ in 0..<extra {
                guard i != bytes.endIndex else { return nil }
                length = length << 8 | UInt64(bytes[i])
                bytes.formIndex(after: &i)
            }
            if extra == 8 && length >> 63 != 0 { throw ParseError.lengthTooLarge }
        }
        return (b0 & 0x80 != 0, opcode, length, 2 + extra)
    }

    private mutating func begin(fin: Bool, opcode: Opcode, length: UInt64) throws(ParseError) {
        switch opcode {
        case .binary, .continuation:
            if opcode == .binary && inMessage { throw ParseError.unfinishedMessage }
            if opcode == .continuation && !inMessage { throw ParseError.unexpectedContinuation }
            inMessage = !fin
            state = .dataPayload(remaining: length, fin: fin)
        case .text:
            throw ParseError.textMessage
        case .close, .ping, .pong:
            guard fin else { throw ParseError.fragmentedControlFrame }
            guard length <= UInt64(Self.maximumControlPayload) else {
                throw ParseError.controlFrameTooLong(Int(clamping: length))
            }
            state = .controlPayload(opcode: opcode, remaining: Int(length))
        }
    }

    private func controlEvent(opcode: Opcode, payload: ByteBuffer) throws(ParseError) -> Event {
        switch opcode {
        case .ping: return .ping(payload)
        case .pong: return .pong
        default:
            var p = payload
            guard p.readableBytes > 0 else { return .close(code: nil, reason: "") }
            guard let code = p.readInteger(as: UInt16.self) else { throw ParseError.invalidClosePayload }
            guard Self.isValidReceivedCloseCode(code) else { throw ParseError.invalidCloseCode(code) }
            guard let reason = String(validating: p.readableBytesView, as: UTF8.self) else {
                throw ParseError.invalidCloseReason
            }
            return .close(code: code, reason: reason)
        }
    }

    /// §7.4: 1004–1006 and 1015 must never be sent; 1012–1014 are IANA-registered; 3000–4999 are
    /// for libraries and applications (Boundary uses 3000).
    static func isValidReceivedCloseCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: return true
        default: return false
        }
    }
}
