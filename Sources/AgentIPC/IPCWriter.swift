import AgentConfig

/// Builds a message payload: big-endian integers, length-prefixed strings and lists. Only our own
/// code writes payloads, so writing never fails; the limits are enforced when the frame is checked.
public struct IPCWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 64) {
        bytes.reserveCapacity(capacity)
    }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }

    public mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }

    public mutating func u16(_ v: UInt16) {
        bytes.append(UInt8(v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    public mutating func u32(_ v: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(shift)))
        }
    }

    public mutating func u64(_ v: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(shift)))
        }
    }

    /// UTF-8 with a 32-bit length.
    public mutating func string(_ s: String) {
        let utf8 = s.utf8
        u32(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    public mutating func ipv4(_ a: IPv4Address) { u32(a.value) }

    public mutating func ipv6(_ a: IPv6Address) {
        u64(a.high)
        u64(a.low)
    }

    /// A family byte (4 or 6) and the address.
    public mutating func ipAddress(_ a: IPAddress) {
        switch a {
        case .v4(let v4):
            u8(4)
            ipv4(v4)
        case .v6(let v6):
            u8(6)
            ipv6(v6)
        }
    }
}
