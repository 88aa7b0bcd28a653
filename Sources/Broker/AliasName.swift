/// Alias values as the broker keys them: DNS names compare case-insensitively (RFC 4343) and a
/// fully qualified name may carry a trailing dot, so `SSH.Boundary.Dev.` and `ssh.boundary.dev`
/// are one alias with one address, one view entry and one session.
public enum AliasName {
    /// RFC 1035 §2.3.4: a name is at most 255 octets on the wire, 253 characters as text.
    public static let maximumLength = 253
    /// RFC 1035 §2.3.4: a label is at most 63 octets.
    public static let maximumLabelLength = 63

    /// Lowercases ASCII letters (other bytes are kept as they are) and removes one trailing dot.
    public static func normalize(_ name: some StringProtocol) -> String {
        var bytes = Array(name.utf8)
        if bytes.last == UInt8(ascii: ".") { bytes.removeLast() }
        for i in bytes.indices where bytes[i] >= UInt8(ascii: "A") && bytes[i] <= UInt8(ascii: "Z") {
            bytes[i] += 32
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether `normalized` may be sent to the controller as an alias value in the 403 fallback
    /// (`POST /v1/targets/{value}:authorize-session`). Only host names qualify: letters, digits and
    /// hyphens in non-empty labels, no leading or trailing hyphen, at least two labels. A value
    /// with `_` would be taken as a target id or name, never as an alias (boundary-protocol.md
    /// §1.6), so it is refused here rather than sent.
    public static func isFallbackCandidate(_ normalized: String) -> Bool {
        let bytes = Array(normalized.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumLength else { return false }
        var labels = 0
        var labelLength = 0
        var previous: UInt8 = UInt8(ascii: ".")
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "."):
                guard labelLength > 0, previous != UInt8(ascii: "-") else { return false }
                labels += 1
                labelLength = 0
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                labelLength += 1
            case UInt8(ascii: "-"):
                guard labelLength > 0 else { return false }
                labelLength += 1
            default:
                return false
            }
            guard labelLength <= maximumLabelLength else { return false }
            previous = byte
        }
        guard labelLength > 0, previous != UInt8(ascii: "-") else { return false }
        return labels + 1 >= 2
    }
}
