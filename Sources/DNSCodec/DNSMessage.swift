import AgentConfig
import NIOCore

/// A whole DNS message as values (RFC 1035 §4.1). This is the general, allocating model used for
/// upstream answers in tests, the corpus and tooling; the serving hot path uses `DNSQueryParser` and
/// `DNSResponseWriter` instead. The OPT pseudo-record is lifted out into `edns` (RFC 6891 §6.1.1).
public struct DNSMessage: Hashable, Sendable {
    /// Counts are recomputed on write from the arrays below.
    public var header: DNSHeader
    public var questions: [DNSQuestion]
    public var answers: [ResourceRecord]
    public var authorities: [ResourceRecord]
    public var additionals: [ResourceRecord]
    public var edns: EDNS?

    public init(
        header: DNSHeader = DNSHeader(), questions: [DNSQuestion] = [], answers: [ResourceRecord] = [],
        authorities: [ResourceRecord] = [], additionals: [ResourceRecord] = [], edns: EDNS? = nil
    ) {
        self.header = header
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
        self.edns = edns
    }

    /// The full 12-bit RCODE: the header's four bits plus the OPT's upper eight (RFC 6891 §6.1.3).
    public var responseCode: DNSResponseCode {
        get {
            DNSResponseCode(
                rawValue: UInt16(edns?.extendedResponseCodeHigh ?? 0) << 4 | UInt16(header.responseCodeLow))
        }
        set {
            header.responseCodeLow = UInt8(newValue.rawValue & 0x0F)
            let high = UInt8(newValue.rawValue >> 4)
            if edns != nil {
                edns!.extendedResponseCodeHigh = high
            } else if high != 0 {
                edns = EDNS(extendedResponseCodeHigh: high)
            }
        }
    }

    // MARK: reading

    /// Parses the readable bytes of `buffer` as exactly one message; anything malformed throws.
    public static func read(from buffer: ByteBuffer) throws(DNSCodecError) -> DNSMessage {
        guard buffer.readableBytes <= DNSLimits.maxMessageLength else { throw .messageTooLarge }
        let result: Result<DNSMessage, DNSCodecError> = buffer.withUnsafeReadableBytes { bytes in
            do throws(DNSCodecError) {
                return .success(try read(bytes))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Parses one message from raw bytes.
    public static func read(_ bytes: UnsafeRawBufferPointer) throws(DNSCodecError) -> DNSMessage {
        var reader = WireReader(bytes)
        guard bytes.count >= DNSLimits.headerLength else { throw .truncated(field: "header") }
        let header = DNSHeader(
            id: try reader.readUInt16("id"), flags: try reader.readUInt16("flags"),
            questionCount: try reader.readUInt16("qdcount"), answerCount: try reader.readUInt16("ancount"),
            authorityCount: try reader.readUInt16("nscount"), additionalCount: try reader.readUInt16("arcount"))
        // Each question needs at least 5 bytes and each record 11: refuse counts the length cannot hold
        // before reserving anything for them.
        let minimum =
            Int(header.questionCount) * 5
            + (Int(header.answerCount) + Int(header.authorityCount) + Int(header.additionalCount)) * 11
        guard minimum <= reader.remaining else { throw .truncated(field: "records (counts exceed the length)") }
        var message = DNSMessage(header: header)
        message.questions.reserveCapacity(Int(header.questionCount))
        for _ in 0..<header.questionCount {
            let name = try reader.readName()
            let type = DNSType(rawValue: try reader.readUInt16("qtype"))
            let qclass = DNSClass(rawValue: try reader.readUInt16("qclass"))
            message.questions.append(DNSQuestion(name: name, type: type, questionClass: qclass))
        }
        for _ in 0..<header.answerCount {
            guard let record = try readRecord(&reader, section: "answer", edns: &message.edns) else {
                throw .invalidOPT("OPT in the answer section")
            }
            message.answers.append(record)
        }
        for _ in 0..<header.authorityCount {
            guard let record = try readRecord(&reader, section: "authority", edns: &message.edns) else {
                throw .invalidOPT("OPT in the authority section")
            }
            message.authorities.append(record)
        }
        var sawOPT = false
        for _ in 0..<header.additionalCount {
            let before = message.edns
            if let record = try readRecord(&reader, section: "additional", edns: &message.edns) {
                message.additionals.append(record)
            } else {
                // RFC 6891 §6.1.1: more than one OPT is a FORMERR.
                guard !sawOPT, before == nil else { throw .invalidOPT("more than one OPT record") }
                sawOPT = true
            }
        }
        guard reader.remaining == 0 else { throw .trailingBytes(count: reader.remaining) }
        return message
    }

    /// Reads one record; an OPT is stored into `edns` and nil returned.
    private static func readRecord(
        _ reader: inout WireReader, section: String, edns: inout EDNS?
    ) throws(DNSCodecError) -> ResourceRecord? {
        let name = try reader.readName()
        let type = DNSType(rawValue: try reader.readUInt16("type"))
        let rclass = try reader.readUInt16("class")
        let ttl = try reader.readUInt32("ttl")
        let rdLength = Int(try reader.readUInt16("rdlength"))
        guard reader.remaining >= rdLength else { throw .truncated(field: "rdata") }
        let rdataEnd = reader.position + rdLength
        if type == .opt {
            guard section == "additional" else { return nil }
            guard name.isRoot else { throw .invalidOPT("owner name is not the root") }
            var options: [EDNSOption] = []
            while reader.position < rdataEnd {
                guard rdataEnd - reader.position >= 4 else { throw .invalidOPT("option header overruns RDLENGTH") }
                let code = try reader.readUInt16("option code")
                let length = Int(try reader.readUInt16("option length"))
                guard rdataEnd - reader.position >= length else { throw .invalidOPT("option overruns RDLENGTH") }
                options.append(EDNSOption(code: code, data: try reader.readBytes(length, "option data")))
            }
            edns = EDNS(
                udpPayloadSize: rclass, extendedResponseCodeHigh: UInt8(ttl >> 24),
                version: UInt8(truncatingIfNeeded: ttl >> 16), flags: UInt16(truncatingIfNeeded: ttl),
                options: options)
            return nil
        }
        let data = try readRecordData(&reader, type: type, end: rdataEnd)
        guard reader.position == rdataEnd else { throw .invalidRecordData(type: type.rawValue) }
        return ResourceRecord(name: name, type: type, recordClass: DNSClass(rawValue: rclass), ttl: ttl, data: data)
    }

    private static func readRecordData(
        _ reader: inout WireReader, type: DNSType, end: Int
    ) throws(DNSCodecError) -> RecordData {
        let length = end - reader.position
        // Names inside RDATA must stay inside RDLENGTH.
        func name() throws(DNSCodecError) -> DNSName {
            let value = try reader.readName()
            guard reader.position <= end else { throw .invalidRecordData(type: type.rawValue) }
            return value
        }
        func fixed(_ count: Int) throws(DNSCodecError) {
            guard end - reader.position >= count else { throw .invalidRecordData(type: type.rawValue) }
        }
        switch type {
        case .a:
            guard length == 4 else { throw .invalidRecordData(type: type.rawValue) }
            return .a(IPv4Address(value: try reader.readUInt32("A")))
        case .aaaa:
            guard length == 16 else { throw .invalidRecordData(type: type.rawValue) }
            let high = UInt64(try reader.readUInt32("AAAA")) << 32 | UInt64(try reader.readUInt32("AAAA"))
            let low = UInt64(try reader.readUInt32("AAAA")) << 32 | UInt64(try reader.readUInt32("AAAA"))
            return .aaaa(IPv6Address(high: high, low: low))
        case .ns: return .ns(try name())
        case .cname: return .cname(try name())
        case .ptr: return .ptr(try name())
        case .mx:
            try fixed(2)
            let preference = try reader.readUInt16("MX preference")
            return .mx(preference: preference, exchange: try name())
        case .srv:
            try fixed(6)
            let priority = try reader.readUInt16("SRV priority")
            let weight = try reader.readUInt16("SRV weight")
            let port = try reader.readUInt16("SRV port")
            return .srv(priority: priority, weight: weight, port: port, target: try name())
        case .soa:
            let primary = try name()
            let mailbox = try name()
            try fixed(20)
            return .soa(
                SOAData(
                    primaryServer: primary, responsibleMailbox: mailbox, serial: try reader.readUInt32("serial"),
                    refresh: try reader.readUInt32("refresh"), retry: try reader.readUInt32("retry"),
                    expire: try reader.readUInt32("expire"), minimum: try reader.readUInt32("minimum")))
        case .txt:
            // RFC 1035 §3.3.14: one or more <character-string>s filling RDLENGTH exactly.
            guard length > 0 else { throw .invalidRecordData(type: type.rawValue) }
            var strings: [[UInt8]] = []
            while reader.position < end {
                let count = Int(try reader.readUInt8("TXT length"))
                guard end - reader.position >= count else { throw .invalidRecordData(type: type.rawValue) }
                strings.append(try reader.readBytes(count, "TXT string"))
            }
            return .txt(strings)
        default:
            return .unknown(try reader.readBytes(length, "RDATA"))
        }
    }
}
