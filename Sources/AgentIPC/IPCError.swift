import PrivSep

/// Everything AgentIPC throws. On the helper side any of these ends the worker that caused it
/// (STYLE.md §1: a wrong length, a second fd or a missing fd is fatal).
public enum IPCError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer than 8 bytes, or a header whose length does not match what arrived.
    case malformedFrame(String)
    /// A kind number we do not know at all.
    case unknownKind(UInt16)
    /// A known kind that this link does not carry in this direction.
    case unexpectedKind(MessageKind, Direction)
    /// A payload longer than the kind's limit.
    case oversized(MessageKind, length: Int, limit: Int)
    /// The payload ended before a field was complete.
    case truncated(MessageKind, field: String)
    /// Bytes left over after the last field.
    case trailingBytes(MessageKind, count: Int)
    /// A field with an impossible value (a bad family byte, a bool that is 7, invalid UTF-8...).
    case invalidField(MessageKind, field: String)
    /// The wrong number of fds for the kind.
    case wrongFDCount(MessageKind, expected: Int, got: Int)
    /// A worker sent a request its row in the helper's table does not allow.
    case notPermitted(MessageKind, sender: String)
    /// A `once` request, or an fd slot, a second time.
    case repeated(MessageKind)
    /// A message that makes no sense in the current state (e.g. reloadEnd without reloadBegin).
    case outOfOrder(MessageKind, String)
    /// A fragment sequence that is broken (a different kind mid-way, fds on a continuation).
    case badFragment(String)
    /// The socket failed or closed.
    case transport(PrivSepError)
    /// The helper answered a request with a failure.
    case requestFailed(String)
    /// The link is closed; no answer will come.
    case closed

    public var description: String {
        switch self {
        case .malformedFrame(let why): return "malformed frame: \(why)"
        case .unknownKind(let raw): return "unknown message kind \(raw)"
        case .unexpectedKind(let kind, let direction): return "\(kind) is not a \(direction) message"
        case .oversized(let kind, let length, let limit): return "\(kind): \(length) bytes, limit \(limit)"
        case .truncated(let kind, let field): return "\(kind): payload ends inside \(field)"
        case .trailingBytes(let kind, let count): return "\(kind): \(count) trailing bytes"
        case .invalidField(let kind, let field): return "\(kind): invalid \(field)"
        case .wrongFDCount(let kind, let expected, let got): return "\(kind): \(got) fds attached, expected \(expected)"
        case .notPermitted(let kind, let sender): return "\(kind) is not permitted from the \(sender) worker"
        case .repeated(let kind): return "\(kind) sent twice"
        case .outOfOrder(let kind, let why): return "\(kind) out of order: \(why)"
        case .badFragment(let why): return "bad fragment: \(why)"
        case .transport(let error): return "\(error)"
        case .requestFailed(let message): return "helper refused: \(message)"
        case .closed: return "IPC link closed"
        }
    }
}
