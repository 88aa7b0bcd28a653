import NIOCore

/// What the hot path needs from a query, read without allocating: the question's name goes into a
/// `DNSNameBuffer`, everything else into this value.
public struct DNSQueryInfo: Sendable {
    public var id: UInt16
    public var flags: UInt16
    public var questionType: DNSType
    public var questionClass: DNSClass
    /// Offset just past the question (type and class included).
    public var questionEnd: Int
    /// The query's OPT, if any (its options are not copied; forwarding passes the bytes on as they are).
    public var edns: EDNSInfo?

    public var recursionDesired: Bool { flags & DNSHeader.Flag.recursionDesired != 0 }
    public var checkingDisabled: Bool { flags & DNSHeader.Flag.checkingDisabled != 0 }
    public var dnssecOK: Bool { edns?.dnssecOK ?? false }

    /// The largest UDP answer this client accepts: 512 without EDNS, else its OPT size (at least 512).
    public var udpLimit: Int {
        guard let edns else { return DNSLimits.classicUDPPayload }
        return max(DNSLimits.classicUDPPayload, Int(edns.udpPayloadSize))
    }
}

/// The OPT fields of a query (RFC 6891 §6.1.3).
public struct EDNSInfo: Sendable, Equatable {
    public var udpPayloadSize: UInt16
    public var version: UInt8
    public var flags: UInt16
    public var optionsLength: Int
    public var dnssecOK: Bool { flags & EDNS.dnssecOKFlag != 0 }
}

/// The outcome of reading a query.
public enum DNSQueryParseResult: Sendable {
    /// A well-formed standard query with one question.
    case query(DNSQueryInfo)
    /// A header could be read but the rest is malformed: answer FORMERR (RFC 1035 §4.1.1).
    case formatError(id: UInt16, flags: UInt16, reason: DNSCodecError)
    /// An OPCODE we do not serve: answer NOTIMP.
    case notImplemented(id: UInt16, flags: UInt16)
    /// An EDNS version we do not speak: answer BADVERS with our OPT (RFC 6891 §6.1.3).
    case badVersion(id: UInt16, flags: UInt16)
    /// Not even a header, or a response (QR set: answering responses invites loops): drop silently.
    case drop
}

/// Reads a query strictly, for serving: exactly one question, every record after it walked and bounds
/// checked, at most one OPT and only in the additional section with the root as owner, nothing after the
/// last record. Never allocates.
public enum DNSQueryParser {
    public static func parse(_ buffer: ByteBuffer, name: DNSNameBuffer) -> DNSQueryParseResult {
        buffer.withUnsafeReadableBytes { parse($0, name: name) }
    }

    public static func parse(_ message: UnsafeRawBufferPointer, name: DNSNameBuffer) -> DNSQueryParseResult {
        parse(message, name: name, questionOnly: false)
    }

    /// Reads the header and the question only, with the same checks, and nothing after them (`edns` is nil):
    /// for a UDP query that filled the server's receive buffer and may have been cut there, which is answered
    /// TC from its question so the client asks again over TCP.
    public static func parseQuestion(_ message: UnsafeRawBufferPointer, name: DNSNameBuffer) -> DNSQueryParseResult {
        parse(message, name: name, questionOnly: true)
    }

    @inline(__always)
    private static func parse(
        _ message: UnsafeRawBufferPointer, name: DNSNameBuffer, questionOnly: Bool
    ) -> DNSQueryParseResult {
        guard message.count >= DNSLimits.headerLength, message.count <= DNSLimits.maxMessageLength else {
            return .drop
        }
        let id = DNSWire.uint16(message, at: 0)
        let flags = DNSWire.uint16(message, at: 2)
        guard flags & DNSHeader.Flag.response == 0 else { return .drop }
        guard (flags & DNSHeader.Flag.opcodeMask) >> DNSHeader.Flag.opcodeShift == UInt16(DNSOpcode.query.rawValue)
        else { return .notImplemented(id: id, flags: flags) }
        let questionCount = DNSWire.uint16(message, at: 4)
        let recordCount =
            Int(DNSWire.uint16(message, at: 6)) + Int(DNSWire.uint16(message, at: 8))
        let additionalCount = Int(DNSWire.uint16(message, at: 10))
        guard questionCount == 1 else {
            return .formatError(id: id, flags: flags, reason: .truncated(field: "qdcount must be 1"))
        }
        do throws(DNSCodecError) {
            let (nameEnd, nameLength) = try DNSWire.readName(
                message, at: DNSLimits.headerLength, into: name.storage)
            name.count = nameLength
            guard nameEnd + 4 <= message.count else { throw DNSCodecError.truncated(field: "question") }
            var info = DNSQueryInfo(
                id: id, flags: flags, questionType: DNSType(rawValue: DNSWire.uint16(message, at: nameEnd)),
                questionClass: DNSClass(rawValue: DNSWire.uint16(message, at: nameEnd + 2)),
                questionEnd: nameEnd + 4, edns: nil)
            if questionOnly { return .query(info) }
            var position = info.questionEnd
            for _ in 0..<recordCount {
                let record = try skipRecord(message, at: position)
                // RFC 6891 §6.1.1: OPT belongs in the additional section only.
                guard record.type != DNSType.opt.rawValue else {
                    throw DNSCodecError.invalidOPT("OPT outside the additional section")
                }
                position = record.end
            }
            for _ in 0..<additionalCount {
                let record = try skipRecord(message, at: position)
                if record.type == DNSType.opt.rawValue {
                    guard info.edns == nil else { throw DNSCodecError.invalidOPT("more than one OPT record") }
                    guard record.nameLength == 1 else { throw DNSCodecError.invalidOPT("owner name is not the root") }
                    try checkOptions(message, from: record.rdataStart, to: record.end)
                    let ttl = record.ttl
                    info.edns = EDNSInfo(
                        udpPayloadSize: record.rclass, version: UInt8(truncatingIfNeeded: ttl >> 16),
                        flags: UInt16(truncatingIfNeeded: ttl), optionsLength: record.end - record.rdataStart)
                }
                position = record.end
            }
            guard position == message.count else { throw DNSCodecError.trailingBytes(count: message.count - position) }
            if let edns = info.edns, edns.version != 0 { return .badVersion(id: id, flags: flags) }
            return .query(info)
        } catch {
            return .formatError(id: id, flags: flags, reason: error)
        }
    }

    struct SkippedRecord {
        var type: UInt16
        var rclass: UInt16
        var ttl: UInt32
        var nameLength: Int
        var rdataStart: Int
        var end: Int
    }

    /// Steps over one resource record, checking that its fixed fields and RDATA fit.
    static func skipRecord(_ message: UnsafeRawBufferPointer, at offset: Int) throws(DNSCodecError) -> SkippedRecord {
        let nameEnd = try DNSWire.skipName(message, at: offset)
        guard nameEnd + 10 <= message.count else { throw .truncated(field: "record header") }
        let rdLength = Int(DNSWire.uint16(message, at: nameEnd + 8))
        let rdataStart = nameEnd + 10
        guard rdataStart + rdLength <= message.count else { throw .truncated(field: "rdata") }
        return SkippedRecord(
            type: DNSWire.uint16(message, at: nameEnd), rclass: DNSWire.uint16(message, at: nameEnd + 2),
            ttl: DNSWire.uint32(message, at: nameEnd + 4), nameLength: nameEnd - offset, rdataStart: rdataStart,
            end: rdataStart + rdLength)
    }

    /// RFC 6891 §6.1.2: options are {code, length, data} and must fill RDLENGTH exactly.
    static func checkOptions(_ message: UnsafeRawBufferPointer, from start: Int, to end: Int) throws(DNSCodecError) {
        var position = start
        while position < end {
            guard end - position >= 4 else { throw .invalidOPT("option header overruns RDLENGTH") }
            let length = Int(DNSWire.uint16(message, at: position + 2))
            position += 4
            guard end - position >= length else { throw .invalidOPT("option overruns RDLENGTH") }
            position += length
        }
    }
}
