#if canImport(Glibc)
    import Glibc
#endif

/// Everything PrivSep throws. A failed syscall names the call and the errno, so a log line such as
/// `setresuid: Operation not permitted (errno 1)` says what broke without a stack trace.
public enum PrivSepError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call failed: the call's name and its errno.
    case syscall(String, Int32)
    /// A received message carried more payload or more fds than the buffer allowed.
    case truncatedMessage(length: Int, limit: Int)
    /// The kernel cut the control data (MSG_CTRUNC) or sent more fds than allowed.
    case truncatedControlData
    /// The peer closed the connection.
    case endOfFile
    /// No such user in the password database.
    case unknownUser(String)
    /// A check after the privilege drop failed (the drop did not take).
    case dropVerification(String)
    /// A syscall name in a sandbox profile that libseccomp does not know on this architecture.
    case unknownSyscall(String)
    /// An address in text form that is not an IPv4 or IPv6 literal.
    case invalidAddress(String)

    public var description: String {
        switch self {
        case .syscall(let call, let err):
            return "\(call): \(PrivSepError.errnoText(err)) (errno \(err))"
        case .truncatedMessage(let length, let limit):
            return "message of \(length) bytes exceeds the limit of \(limit)"
        case .truncatedControlData:
            return "control data truncated (too many file descriptors)"
        case .endOfFile:
            return "peer closed the connection"
        case .unknownUser(let name):
            return "no such user: \(name)"
        case .dropVerification(let what):
            return "privilege drop did not take: \(what)"
        case .unknownSyscall(let name):
            return "libseccomp does not know syscall \(name)"
        case .invalidAddress(let text):
            return "not an IP address: \(text)"
        }
    }

    /// The errno of a `.syscall` error, else nil.
    public var errno: Int32? {
        if case .syscall(_, let e) = self { return e }
        return nil
    }

    static func errnoText(_ err: Int32) -> String {
        guard let s = strerror(err) else { return "error" }
        return String(cString: s)
    }
}
