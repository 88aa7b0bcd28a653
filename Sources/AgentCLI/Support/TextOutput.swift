#if canImport(Glibc)
    import Glibc
#endif

/// Where a command writes: standard output or error in the binary, a buffer in tests.
public protocol TextOutput: AnyObject {
    func write(_ text: String)
}

/// Writes to a file descriptor, retrying short writes and EINTR; a closed pipe ends the output
/// quietly (`boundary-agent status | head -1`).
public final class FileDescriptorOutput: TextOutput {
    let fd: CInt

    public init(fd: CInt) {
        self.fd = fd
    }

    public func write(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += n
        }
    }
}

/// Collects what a command writes (tests).
public final class BufferOutput: TextOutput {
    public private(set) var text = ""

    public init() {}

    public func write(_ text: String) {
        self.text += text
    }
}
