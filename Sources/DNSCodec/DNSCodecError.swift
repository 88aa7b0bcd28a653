/// Everything the codec refuses. Reading never traps on input: every bound is checked and reported here.
public enum DNSCodecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The message ended inside `field`.
    case truncated(field: String)
    /// A label longer than 63 bytes (RFC 1035 §2.3.4), or a reserved label type (0x40, 0x80).
    case invalidLabel(length: UInt8)
    /// A name longer than 255 bytes in wire form (RFC 1035 §2.3.4).
    case nameTooLong
    /// A compression pointer that points at or after itself (loops, forward pointers) or outside the message.
    case invalidPointer(offset: Int)
    /// A record's RDATA does not match its type (wrong length, names overrunning RDLENGTH, ...).
    case invalidRecordData(type: UInt16)
    /// A text name that is not a valid DNS name (empty label, label over 63, name over 255, bad escape).
    case invalidName(String)
    /// An OPT record out of place: more than one, not in the additional section, or owner not the root.
    case invalidOPT(String)
    /// Bytes left after the last record the counts announce.
    case trailingBytes(count: Int)
    /// A message that would not fit the 65,535-byte limit, or a field over its maximum when writing.
    case messageTooLarge

    public var description: String {
        switch self {
        case .truncated(let field): return "DNS message truncated in \(field)"
        case .invalidLabel(let length): return "invalid DNS label (length byte \(length))"
        case .nameTooLong: return "DNS name longer than 255 bytes"
        case .invalidPointer(let offset): return "invalid DNS compression pointer at offset \(offset)"
        case .invalidRecordData(let type): return "invalid RDATA for record type \(type)"
        case .invalidName(let text): return "invalid DNS name \(text)"
        case .invalidOPT(let reason): return "invalid EDNS OPT record: \(reason)"
        case .trailingBytes(let count): return "\(count) bytes after the last DNS record"
        case .messageTooLarge: return "DNS message larger than 65535 bytes"
        }
    }
}
