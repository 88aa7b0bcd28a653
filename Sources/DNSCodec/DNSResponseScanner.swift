/// What the forwarder needs to know about an upstream's answer before relaying or caching it, read in one
/// allocation-free walk (except for the optional TTL offset list).
public struct DNSResponseSummary: Sendable {
    public var id: UInt16
    public var flags: UInt16
    /// The full RCODE, the OPT's upper bits included.
    public var responseCode: DNSResponseCode
    public var answerCount: Int
    /// The smallest TTL of every record except OPT (RFC 2181 §5.2 / §8: values over 2^31-1 count as 0);
    /// nil when there are no records.
    public var minimumTTL: UInt32?
    /// For NXDOMAIN/NODATA: min(SOA TTL, SOA MINIMUM) of the first SOA in authority (RFC 2308 §5).
    public var negativeTTL: UInt32?
    /// Where the OPT record sits, if any.
    public var optRange: Range<Int>?
    /// Whether the OPT is the message's last record (then it can be cut off by truncating the bytes).
    public var optIsLast: Bool
    /// The question name at offset 12 is written without compression (its case can be patched in place).
    public var questionIsPlain: Bool
    /// A TSIG or SIG(0) record is present: the answer is bound to one transaction, never cache it.
    public var hasTransactionSignature: Bool

    public var isTruncated: Bool { flags & DNSHeader.Flag.truncated != 0 }
}

public enum DNSResponseScanner {
    static let tsigType: UInt16 = 250
    static let sigType: UInt16 = 24

    /// Walks an upstream response. Throws when it is malformed, is not a response, or its question is not
    /// exactly `name`/`type`/`questionClass` (case-insensitive; RFC 5452 §9.1 acceptance rules: the caller
    /// has already matched the source address and ID). Offsets of every TTL field except OPT's are appended
    /// to `ttlOffsets` when it is non-nil.
    public static func scan(
        _ message: UnsafeRawBufferPointer, name: DNSNameBuffer, type: DNSType, questionClass: DNSClass,
        ttlOffsets: UnsafeMutablePointer<[Int]>?
    ) throws(DNSCodecError) -> DNSResponseSummary {
        guard message.count >= DNSLimits.headerLength else { throw .truncated(field: "header") }
        let flags = DNSWire.uint16(message, at: 2)
        guard flags & DNSHeader.Flag.response != 0 else { throw .invalidRecordData(type: 0) }
        guard DNSWire.uint16(message, at: 4) == 1 else { throw .truncated(field: "response qdcount must be 1") }
        let answerCount = Int(DNSWire.uint16(message, at: 6))
        let authorityCount = Int(DNSWire.uint16(message, at: 8))
        let additionalCount = Int(DNSWire.uint16(message, at: 10))
        // Compare the question without copying: read it into a stack buffer.
        let (questionEnd, plain): (Int, Bool) = try withUnsafeTemporaryAllocation(
            of: UInt8.self, capacity: DNSLimits.maxNameLength
        ) { scratch throws(DNSCodecError) -> (Int, Bool) in
            let (end, length) = try DNSWire.readName(message, at: DNSLimits.headerLength, into: scratch.baseAddress!)
            guard length == name.count,
                DNSWire.caseInsensitiveEqual(scratch.baseAddress!, name.storage, count: length)
            else { throw DNSCodecError.invalidName("response question does not match the query") }
            return (end, end - DNSLimits.headerLength == length)
        }
        guard questionEnd + 4 <= message.count else { throw .truncated(field: "question") }
        guard DNSWire.uint16(message, at: questionEnd) == type.rawValue,
            DNSWire.uint16(message, at: questionEnd + 2) == questionClass.rawValue
        else { throw .invalidName("response question type or class does not match the query") }

        var summary = DNSResponseSummary(
            id: DNSWire.uint16(message, at: 0), flags: flags,
            responseCode: DNSResponseCode(rawValue: flags & 0x000F), answerCount: answerCount, minimumTTL: nil,
            negativeTTL: nil, optRange: nil, optIsLast: false, questionIsPlain: plain, hasTransactionSignature: false)
        var position = questionEnd + 4
        let total = answerCount + authorityCount + additionalCount
        for index in 0..<total {
            let start = position
            let record = try DNSQueryParser.skipRecord(message, at: position)
            position = record.end
            let ttlOffset = record.rdataStart - 6
            if record.type == DNSType.opt.rawValue {
                guard index >= answerCount + authorityCount, summary.optRange == nil else {
                    throw .invalidOPT("OPT out of place or repeated")
                }
                summary.optRange = start..<record.end
                summary.optIsLast = index == total - 1
                summary.responseCode = DNSResponseCode(
                    rawValue: UInt16(record.ttl >> 24) << 4 | summary.responseCode.rawValue)
                continue
            }
            if record.type == tsigType || (record.type == sigType && index >= answerCount + authorityCount) {
                summary.hasTransactionSignature = true
            }
            let ttl = record.ttl > DNSLimits.maxTTL ? 0 : record.ttl
            summary.minimumTTL = min(summary.minimumTTL ?? ttl, ttl)
            ttlOffsets?.pointee.append(ttlOffset)
            if record.type == DNSType.soa.rawValue, summary.negativeTTL == nil, index >= answerCount,
                index < answerCount + authorityCount, record.end - record.rdataStart >= 22
            {
                // MINIMUM is the last four bytes of SOA RDATA, after two names we need not decode.
                let minimum = DNSWire.uint32(message, at: record.end - 4)
                summary.negativeTTL = min(ttl, minimum > DNSLimits.maxTTL ? 0 : minimum)
            }
        }
        guard position == message.count else { throw .trailingBytes(count: message.count - position) }
        return summary
    }
}
