import Glibc
import PrivSep

/// sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET (a path, or "@name" for the
/// abstract namespace). Does nothing when not started by systemd.
enum Notify {
    static func send(_ state: String) {
        guard let socketPath = getenv("NOTIFY_SOCKET").map({ String(cString: $0) }), !socketPath.isEmpty,
            socketPath.utf8.count < 108
        else { return }
        guard let fd = try? Posix.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue)) else { return }
        defer { Posix.closeQuietly(fd) }
        var sun = sockaddr_un()
        sun.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(socketPath.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &sun.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let message = Array(state.utf8)
        _ = withUnsafePointer(to: &sun) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { addr in
                message.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), addr, length) }
            }
        }
    }
}
