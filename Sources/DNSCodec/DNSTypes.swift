/// Small wrapper types for the numeric fields of a DNS message, so that unknown values pass through.

/// A resource record TYPE or question QTYPE (RFC 1035 §3.2.2, §3.2.3).
public struct DNSType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = DNSType(rawValue: 1)
    public static let ns = DNSType(rawValue: 2)
    public static let cname = DNSType(rawValue: 5)
    public static let soa = DNSType(rawValue: 6)
    public static let ptr = DNSType(rawValue: 12)
    public static let mx = DNSType(rawValue: 15)
    public static let txt = DNSType(rawValue: 16)
    public static let aaaa = DNSType(rawValue: 28)  // RFC 3596
    public static let srv = DNSType(rawValue: 33)  // RFC 2782
    public static let opt = DNSType(rawValue: 41)  // RFC 6891
    public static let ixfr = DNSType(rawValue: 251)
    public static let axfr = DNSType(rawValue: 252)
    public static let any = DNSType(rawValue: 255)

    public var description: String {
        switch self {
        case .a: return "A"
        case .ns: return "NS"
        case .cname: return "CNAME"
        case .soa: return "SOA"
        case .ptr: return "PTR"
        case .mx: return "MX"
        case .txt: return "TXT"
        case .aaaa: return "AAAA"
        case .srv: return "SRV"
        case .opt: return "OPT"
        case .ixfr: return "IXFR"
        case .axfr: return "AXFR"
        case .any: return "ANY"
        default: return "TYPE\(rawValue)"
        }
    }
}

/// A CLASS or QCLASS (RFC 1035 §3.2.4, §3.2.5).
public struct DNSClass: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let `in` = DNSClass(rawValue: 1)
    public static let chaos = DNSClass(rawValue: 3)
    public static let none = DNSClass(rawValue: 254)
    public static let any = DNSClass(rawValue: 255)

    public var description: String {
        switch self {
        case .in: return "IN"
        case .chaos: return "CH"
        case .any: return "ANY"
        default: return "CLASS\(rawValue)"
        }
    }
}

/// OPCODE (RFC 1035 §4.1.1): four bits.
public struct DNSOpcode: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0x0F }

    public static let query = DNSOpcode(rawValue: 0)
    public static let status = DNSOpcode(rawValue: 2)
    public static let notify = DNSOpcode(rawValue: 4)
    public static let update = DNSOpcode(rawValue: 5)
}

/// RCODE, including the EDNS extended range (RFC 6891 §6.1.3: 12 bits, the upper 8 in the OPT TTL).
public struct DNSResponseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue & 0x0FFF }

    public static let noError = DNSResponseCode(rawValue: 0)
    public static let formatError = DNSResponseCode(rawValue: 1)
    public static let serverFailure = DNSResponseCode(rawValue: 2)
    public static let nameError = DNSResponseCode(rawValue: 3)
    public static let notImplemented = DNSResponseCode(rawValue: 4)
    public static let refused = DNSResponseCode(rawValue: 5)
    public static let badVersion = DNSResponseCode(rawValue: 16)

    public var description: String {
        switch self {
        case .noError: return "NOERROR"
        case .formatError: return "FORMERR"
        case .serverFailure: return "SERVFAIL"
        case .nameError: return "NXDOMAIN"
        case .notImplemented: return "NOTIMP"
        case .refused: return "REFUSED"
        case .badVersion: return "BADVERS"
        default: return "RCODE\(rawValue)"
        }
    }
}

/// Named limits of the wire format, so no bare numbers appear in the parsers.
public enum DNSLimits {
    /// RFC 1035 §2.3.4: a label is at most 63 bytes.
    public static let maxLabelLength = 63
    /// RFC 1035 §2.3.4: a name is at most 255 bytes in wire form, length bytes and root included.
    public static let maxNameLength = 255
    /// RFC 1035 §4.2.1: the UDP limit without EDNS.
    public static let classicUDPPayload = 512
    /// RFC 1035 §4.1.1: the fixed header.
    public static let headerLength = 12
    /// The 16-bit TCP length prefix (RFC 1035 §4.2.2) bounds every message.
    public static let maxMessageLength = 65535
    /// DNS flag day 2020: the EDNS payload size we advertise, avoiding IP fragmentation.
    public static let advertisedUDPPayload: UInt16 = 1232
    /// RFC 2181 §8: TTLs with the top bit set are treated as zero.
    public static let maxTTL: UInt32 = 0x7FFF_FFFF
}
