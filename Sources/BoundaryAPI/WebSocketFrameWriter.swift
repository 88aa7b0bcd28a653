import NIOCore

/// Writes masked client frames (RFC 6455 §5.2, §5.3). Each frame is built in one buffer, header
/// first, with the payload masked while it is copied in: that copy *is* the masking pass, so the
/// bytes are touched once, and NIOSSL gets one `SSL_write` per frame (it does not coalesce buffers,
/// so a separate header buffer would cost a tiny TLS record per message).
///
/// The scratch buffer is reused: once NIOSSL has encrypted the previous frame it holds the only
/// reference again, and `clear()` + writing costs no allocation.
struct WebSocketFrameWriter {
    /// Largest payload per data frame. Boundary workers may keep coder/websocket's 32 KiB read
    /// limit (boundary-protocol.md §3.4), and header (2 + 2 length + 4 mask) + payload = 32 KiB is
    /// exactly two full 16 KiB TLS records.
    static let maximumPayload = 32 * 1024 - 8

    enum Opcode: UInt8 {
        case binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA
    }

    private var scratch: ByteBuffer
    private var keys = MaskingKeySource()

    /// Starts small: an idle interactive connection should not pin 32 KiB; the buffer grows to the
    /// largest frame written and stays there.
    init(allocator: ByteBufferAllocator) {
        scratch = allocator.buffer(capacity: 256)
    }

    /// One frame with FIN set. `payload` must be at most `maximumPayload` bytes (callers split).
    mutating func frame(_ opcode: Opcode, payload: ByteBuffer) -> ByteBuffer {
        precondition(payload.readableBytes <= Self.maximumPayload, "caller splits payloads")
        let key = keys.next()
        scratch.clear()
        let count = payload.readableBytes
        scratch.writeInteger(0x80 | opcode.rawValue, as: UInt8.self)
        if count < 126 {
            scratch.writeInteger(0x80 | UInt8(count), as: UInt8.self)
        } else {
            scratch.writeInteger(0x80 | 126, as: UInt8.self)
            scratch.writeInteger(UInt16(count), as: UInt16.self)
        }
        // The key goes on the wire in the byte order `maskCopy` applies it: lowest byte first.
        scratch.writeInteger(key, endianness: .little, as: UInt32.self)
        scratch.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { destination in
            payload.withUnsafeReadableBytes { source in
                Self.maskCopy(from: source, to: destination, key: key)
            }
            return count
        }
        return scratch
    }

    /// A close frame with a status code and a UTF-8 reason (trimmed to the 123 bytes §5.5 allows).
    mutating func closeFrame(code: UInt16, reason: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        var payload = allocator.buffer(capacity: 2 + 123)
        payload.writeInteger(code, as: UInt16.self)
        // Drop whole characters until it fits, so a multi-byte character is never cut in half.
        var text = Substring(reason)
        while text.utf8.count > 123 { text.removeLast() }
        payload.writeString(String(text))
        return frame(.close, payload: payload)
    }

    /// dst[i] = src[i] ^ key[i % 4], many bytes at a time. `key` holds the four key bytes with
    /// the first one in the lowest bits, so on a little-endian machine a word load lines up.
    static func maskCopy(
        from source: UnsafeRawBufferPointer, to destination: UnsafeMutableRawBufferPointer, key: UInt32
    ) {
        let count = source.count
        guard count > 0, let src = source.baseAddress, let dst = destination.baseAddress else { return }
        var i = 0
        #if _endian(little)
            // 32 bytes per step as four 64-bit words, then 8, then single bytes. Every step starts at
            // a multiple of 4, so the key always lines up with byte 0. Plain words, not SIMD32<UInt8>:
            // its `^` compiled to a per-lane loop through the stack here (perf showed it taking 64 %
            // of the broker's CPU on an upload, 0.7 Gbit/s); words let LLVM vectorize the loop.
            let wide = UInt64(key) | UInt64(key) << 32
            while i &+ 32 <= count {
                let a = src.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                let b = src.loadUnaligned(fromByteOffset: i &+ 8, as: UInt64.self)
                let c = src.loadUnaligned(fromByteOffset: i &+ 16, as: UInt64.self)
                let d = src.loadUnaligned(fromByteOffset: i &+ 24, as: UInt64.self)
                dst.storeBytes(of: a ^ wide, toByteOffset: i, as: UInt64.self)
                dst.storeBytes(of: b ^ wide, toByteOffset: i &+ 8, as: UInt64.self)
                dst.storeBytes(of: c ^ wide, toByteOffset: i &+ 16, as: UInt64.self)
                dst.storeBytes(of: d ^ wide, toByteOffset: i &+ 24, as: UInt64.self)
                i &+= 32
            }
            while i &+ 8 <= count {
                let word = src.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                dst.storeBytes(of: word ^ wide, toByteOffset: i, as: UInt64.self)
                i &+= 8
            }
        #endif
        while i < count {
            let k = UInt8(truncatingIfNeeded: key >> (UInt32(i & 3) * 8))
            dst.storeBytes(of: src.load(fromByteOffset: i, as: UInt8.self) ^ k, toByteOffset: i, as: UInt8.self)
            i += 1
        }
    }
}

/// Masking keys from the system CSPRNG (§5.3 wants them unpredictable), two per `getrandom` call.
struct MaskingKeySource {
    private var rng = SystemRandomNumberGenerator()
    private var spare: UInt32? = nil

    mutating func next() -> UInt32 {
        if let key = spare {
            spare = nil
            return key
        }
        let bits = rng.next()
        spare = UInt32(truncatingIfNeeded: bits >> 32)
        return UInt32(truncatingIfNeeded: bits)
    }
}
