import NIOCore

/// The 12-byte message header (RFC 1035 §4.1.1). `flags` is kept whole so that bits we do not name
/// (Z, AD, CD) survive a read/write round trip; the accessors name the ones we use.
public struct DNSHeader: Hashable, Sendable {
    public var id: UInt16
    public var flags: UInt16
    public var questionCount: UInt16
    public var answerCount: UInt16
    public var authorityCount: UInt16
    public var additionalCount: UInt16

    public init(
        id: UInt16 = 0, flags: UInt16 = 0, questionCount: UInt16 = 0, answerCount: UInt16 = 0,
        authorityCount: UInt16 = 0, additionalCount: UInt16 = 0
    ) {
        self.id = id
        self.flags = flags
        self.questionCount = questionCount
        self.answerCount = answerCount
        self.authorityCount = authorityCount
        self.additionalCount = additionalCount
    }

    /// Bit masks of the flags word.
    public enum Flag {
        public static let response: UInt16 = 0x8000  // QR
        public static let authoritative: UInt16 = 0x0400  // AA
        public static let truncated: UInt16 = 0x0200  // TC
        public static let recursionDesired: UInt16 = 0x0100  // RD
        public static let recursionAvailable: UInt16 = 0x0080  // RA
        public static let zero: UInt16 = 0x0040  // Z, must be zero (RFC 1035)
        public static let authenticData: UInt16 = 0x0020  // AD (RFC 4035 §3.2.3)
        public static let checkingDisabled: UInt16 = 0x0010  // CD (RFC 4035 §3.2.2)
        static let opcodeShift: UInt16 = 11
        static let opcodeMask: UInt16 = 0x7800
        static let rcodeMask: UInt16 = 0x000F
    }

    public var isResponse: Bool {
        get { flags & Flag.response != 0 }
        set { set(Flag.response, newValue) }
    }
    public var isAuthoritative: Bool {
        get { flags & Flag.authoritative != 0 }
        set { set(Flag.authoritative, newValue) }
    }
    public var isTruncated: Bool {
        get { flags & Flag.truncated != 0 }
        set { set(Flag.truncated, newValue) }
    }
    public var recursionDesired: Bool {
        get { flags & Flag.recursionDesired != 0 }
        set { set(Flag.recursionDesired, newValue) }
    }
    public var recursionAvailable: Bool {
        get { flags & Flag.recursionAvailable != 0 }
        set { set(Flag.recursionAvailable, newValue) }
    }
    public var checkingDisabled: Bool {
        get { flags & Flag.checkingDisabled != 0 }
        set { set(Flag.checkingDisabled, newValue) }
    }
    public var opcode: DNSOpcode {
        get { DNSOpcode(rawValue: UInt8((flags & Flag.opcodeMask) >> Flag.opcodeShift)) }
        set { flags = (flags & ~Flag.opcodeMask) | (UInt16(newValue.rawValue) << Flag.opcodeShift) }
    }
    /// The low four bits only; the EDNS upper bits live in `EDNS.extendedResponseCodeHigh`.
    public var responseCodeLow: UInt8 {
        get { UInt8(flags & Flag.rcodeMask) }
        set { flags = (flags & ~Flag.rcodeMask) | UInt16(newValue & 0x0F) }
    }

    private mutating func set(_ bit: UInt16, _ on: Bool) {
        if on { flags |= bit } else { flags &= ~bit }
    }

    /// Reads 12 bytes at the reader index; nil (nothing consumed) when fewer are readable.
    public static func read(from buffer: inout ByteBuffer) -> DNSHeader? {
        guard buffer.readableBytes >= DNSLimits.headerLength,
            let id = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
            let flags = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt16.self),
            let qd = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt16.self),
            let an = buffer.getInteger(at: buffer.readerIndex + 6, as: UInt16.self),
            let ns = buffer.getInteger(at: buffer.readerIndex + 8, as: UInt16.self),
            let ar = buffer.getInteger(at: buffer.readerIndex + 10, as: UInt16.self)
        else { return nil }
        buffer.moveReaderIndex(forwardBy: DNSLimits.headerLength)
        return DNSHeader(
            id: id, flags: flags, questionCount: qd, answerCount: an, authorityCount: ns, additionalCount: ar)
    }

    public func write(to buffer: inout ByteBuffer) {
        buffer.writeMultipleIntegers(id, flags, questionCount, answerCount, authorityCount, additionalCount)
    }
}
