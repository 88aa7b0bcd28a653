/// The primitive, allocation-free walks over a message's bytes that every reader here builds on. Offsets
/// are relative to the start of the message (RFC 1035 §4.1.4: compression pointers count from there).
public enum DNSWire {
    /// Reads the (possibly compressed) name at `offset`. When `out` is non-nil, its uncompressed wire form
    /// (at most 255 bytes) is written there, original case kept. Returns the offset just past the name where
    /// it started (after the first pointer, if any) and the uncompressed length.
    ///
    /// Strict bounds (RFC 1035 §2.3.4, §4.1.4): labels ≤ 63, the 0x40/0x80 label types refused, the name
    /// ≤ 255, and every pointer must go strictly backwards from the start of the labels it interrupts and
    /// must not point into the header, which rules out loops and forward pointers.
    @inlinable
    public static func readName(
        _ message: UnsafeRawBufferPointer, at offset: Int, into out: UnsafeMutablePointer<UInt8>?
    ) throws(DNSCodecError) -> (end: Int, length: Int) {
        var position = offset
        var segmentStart = offset
        var end = -1
        var length = 0
        while true {
            guard position < message.count else { throw .truncated(field: "name") }
            let byte = message[position]
            switch byte & 0xC0 {
            case 0x00:
                let labelLength = Int(byte)
                if labelLength == 0 {
                    // Room for the root byte is reserved by the label check below.
                    out?[length] = 0
                    length += 1
                    if end < 0 { end = position + 1 }
                    return (end, length)
                }
                guard position + 1 + labelLength <= message.count else { throw .truncated(field: "label") }
                // The name plus the root byte that must still follow.
                guard length + 1 + labelLength + 1 <= DNSLimits.maxNameLength else { throw .nameTooLong }
                if let out {
                    out[length] = byte
                    (out + length + 1).update(
                        from: message.baseAddress!.advanced(by: position + 1).assumingMemoryBound(to: UInt8.self),
                        count: labelLength)
                }
                length += 1 + labelLength
                position += 1 + labelLength
            case 0xC0:
                guard position + 1 < message.count else { throw .truncated(field: "compression pointer") }
                let target = Int(byte & 0x3F) << 8 | Int(message[position + 1])
                guard target >= DNSLimits.headerLength, target < segmentStart else {
                    throw .invalidPointer(offset: position)
                }
                if end < 0 { end = position + 2 }
                position = target
                segmentStart = target
            default:
                throw .invalidLabel(length: byte)
            }
        }
    }

    /// Steps over the name at `offset` without following pointers (the scanner does not need its text);
    /// checks that the labels fit and that a pointer is whole. Returns the offset past the name.
    @inlinable
    public static func skipName(_ message: UnsafeRawBufferPointer, at offset: Int) throws(DNSCodecError) -> Int {
        var position = offset
        var length = 0
        while true {
            guard position < message.count else { throw .truncated(field: "name") }
            let byte = message[position]
            switch byte & 0xC0 {
            case 0x00:
                if byte == 0 { return position + 1 }
                let labelLength = Int(byte)
                guard position + 1 + labelLength <= message.count else { throw .truncated(field: "label") }
                length += 1 + labelLength
                guard length < DNSLimits.maxNameLength else { throw .nameTooLong }
                position += 1 + labelLength
            case 0xC0:
                guard position + 1 < message.count else { throw .truncated(field: "compression pointer") }
                let target = Int(byte & 0x3F) << 8 | Int(message[position + 1])
                guard target >= DNSLimits.headerLength, target < position else {
                    throw .invalidPointer(offset: position)
                }
                return position + 2
            default:
                throw .invalidLabel(length: byte)
            }
        }
    }

    @inlinable
    public static func uint16(_ message: UnsafeRawBufferPointer, at offset: Int) -> UInt16 {
        UInt16(message[offset]) << 8 | UInt16(message[offset + 1])
    }

    @inlinable
    public static func uint32(_ message: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        UInt32(message[offset]) << 24 | UInt32(message[offset + 1]) << 16 | UInt32(message[offset + 2]) << 8
            | UInt32(message[offset + 3])
    }

    /// Hashes a name's uncompressed wire bytes as if lowercased, with a per-process random seed (Swift's
    /// Hasher is SipHash-1-3), so remote input cannot aim collisions at the alias or cache tables.
    @inlinable
    public static func caseInsensitiveHash(_ name: UnsafePointer<UInt8>, count: Int) -> Int {
        var hasher = Hasher()
        var index = 0
        // Eight bytes at a time; lowercase by setting 0x20 on A...Z bytes only.
        while index + 8 <= count {
            var word: UInt64 = 0
            for k in 0..<8 { word |= UInt64(DNSName.asciiLowercase(name[index + k])) << UInt64(8 * k) }
            hasher.combine(word)
            index += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while index < count {
            tail |= UInt64(DNSName.asciiLowercase(name[index])) << shift
            shift += 8
            index += 1
        }
        hasher.combine(tail)
        hasher.combine(count)
        return hasher.finalize()
    }

    /// ASCII case-insensitive equality of two uncompressed names of `count` bytes.
    @inlinable
    public static func caseInsensitiveEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, count: Int) -> Bool {
        for index in 0..<count where DNSName.asciiLowercase(a[index]) != DNSName.asciiLowercase(b[index]) {
            return false
        }
        return true
    }
}
