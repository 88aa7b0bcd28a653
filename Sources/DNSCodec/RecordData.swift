import AgentConfig

/// The data of one resource record. Types we do not know keep their RDATA as opaque bytes (RFC 3597 §5).
public enum RecordData: Hashable, Sendable {
    case a(IPv4Address)
    case aaaa(IPv6Address)
    case ns(DNSName)
    case cname(DNSName)
    case ptr(DNSName)
    case soa(SOAData)
    case mx(preference: UInt16, exchange: DNSName)
    /// One or more character-strings, each at most 255 bytes (RFC 1035 §3.3.14).
    case txt([[UInt8]])
    /// RFC 2782.
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName)
    /// Any other type, kept byte for byte; the record's `type` says which.
    case unknown([UInt8])

    /// The TYPE that goes with this data, nil for `.unknown`.
    public var knownType: DNSType? {
        switch self {
        case .a: return .a
        case .aaaa: return .aaaa
        case .ns: return .ns
        case .cname: return .cname
        case .ptr: return .ptr
        case .soa: return .soa
        case .mx: return .mx
        case .txt: return .txt
        case .srv: return .srv
        case .unknown: return nil
        }
    }
}

/// SOA RDATA (RFC 1035 §3.3.13). `minimum` is the negative-caching TTL (RFC 2308 §4).
public struct SOAData: Hashable, Sendable {
    public var primaryServer: DNSName
    public var responsibleMailbox: DNSName
    public var serial: UInt32
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32
    public var minimum: UInt32

    public init(
        primaryServer: DNSName, responsibleMailbox: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32,
        expire: UInt32, minimum: UInt32
    ) {
        self.primaryServer = primaryServer
        self.responsibleMailbox = responsibleMailbox
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }
}

/// A resource record other than OPT (which is `DNSMessage.edns`).
public struct ResourceRecord: Hashable, Sendable {
    public var name: DNSName
    public var type: DNSType
    public var recordClass: DNSClass
    public var ttl: UInt32
    public var data: RecordData

    /// A record of a known type; the TYPE comes from the data.
    public init(name: DNSName, recordClass: DNSClass = .in, ttl: UInt32, data: RecordData) {
        // Opaque data has no TYPE of its own: passing it here is the caller's bug, not input.
        guard let type = data.knownType else { preconditionFailure("opaque RDATA needs an explicit type") }
        self.name = name
        self.type = type
        self.recordClass = recordClass
        self.ttl = ttl
        self.data = data
    }

    /// Any record, with its TYPE given; `.unknown` data is written as is.
    public init(name: DNSName, type: DNSType, recordClass: DNSClass = .in, ttl: UInt32, data: RecordData) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
        self.ttl = ttl
        self.data = data
    }
}

/// A question (RFC 1035 §4.1.2).
public struct DNSQuestion: Hashable, Sendable {
    public var name: DNSName
    public var type: DNSType
    public var questionClass: DNSClass

    public init(name: DNSName, type: DNSType, questionClass: DNSClass = .in) {
        self.name = name
        self.type = type
        self.questionClass = questionClass
    }
}

/// One EDNS option, unknown codes included, passed through untouched (RFC 6891 §6.1.2).
public struct EDNSOption: Hashable, Sendable {
    public var code: UInt16
    public var data: [UInt8]

    public init(code: UInt16, data: [UInt8]) {
        self.code = code
        self.data = data
    }
}

/// The OPT pseudo-record's fields (RFC 6891 §6.1.3).
public struct EDNS: Hashable, Sendable {
    /// The requestor's UDP payload size; values below 512 are treated as 512 (RFC 6891 §6.2.5).
    public var udpPayloadSize: UInt16
    /// The upper eight bits of the 12-bit RCODE.
    public var extendedResponseCodeHigh: UInt8
    public var version: UInt8
    /// The 16 flag bits; bit 15 is DO (RFC 3225), the rest must be zero but are kept.
    public var flags: UInt16
    public var options: [EDNSOption]

    public static let dnssecOKFlag: UInt16 = 0x8000

    public init(
        udpPayloadSize: UInt16 = DNSLimits.advertisedUDPPayload, extendedResponseCodeHigh: UInt8 = 0,
        version: UInt8 = 0, flags: UInt16 = 0, options: [EDNSOption] = []
    ) {
        self.udpPayloadSize = udpPayloadSize
        self.extendedResponseCodeHigh = extendedResponseCodeHigh
        self.version = version
        self.flags = flags
        self.options = options
    }

    public var dnssecOK: Bool {
        get { flags & EDNS.dnssecOKFlag != 0 }
        set { if newValue { flags |= EDNS.dnssecOKFlag } else { flags &= ~EDNS.dnssecOKFlag } }
    }
}
