import AgentConfig
import NIOCore

/// Builds the server's own answers straight into a reused `ByteBuffer`, without allocating: alias answers,
/// NODATA, errors and truncation markers. The question is echoed from the `DNSNameBuffer` in the query's
/// own case (RFC 4343 §4), uncompressed at offset 12, so answer owners are the pointer 0xC00C.
public enum DNSResponseWriter {
    /// The compression pointer to the question name at offset 12.
    public static let questionNamePointer: UInt16 = 0xC000 | UInt16(DNSLimits.headerLength)
    /// The SOA timers of our synthetic NODATA answers; only `minimum` (the negative TTL) really matters.
    static let soaSerial: UInt32 = 1
    static let soaRefresh: UInt32 = 3600
    static let soaRetry: UInt32 = 600
    static let soaExpire: UInt32 = 86400

    /// Response flags for a query's flags: QR, the query's OPCODE, RD and CD copied (RFC 1035 §4.1.1,
    /// RFC 4035 §3.1.6), RA set (we recurse on the client's behalf), the low RCODE bits.
    @inlinable
    public static func responseFlags(queryFlags: UInt16, authoritative: Bool, rcode: DNSResponseCode) -> UInt16 {
        var flags = DNSHeader.Flag.response | DNSHeader.Flag.recursionAvailable
        flags |= queryFlags & (0x7800 | DNSHeader.Flag.recursionDesired | DNSHeader.Flag.checkingDisabled)
        if authoritative { flags |= DNSHeader.Flag.authoritative }
        flags |= rcode.rawValue & 0x000F
        return flags
    }

    /// An A/AAAA answer for an alias name, or NODATA (NOERROR, no answers, a synthetic SOA in authority so
    /// resolvers cache the absence for `ttl`, RFC 2308 §2.2) when the type has no address. AA is set.
    public static func writeAliasAnswer(
        into buffer: inout ByteBuffer, query: DNSQueryInfo, name: DNSNameBuffer, ipv4: IPv4Address?,
        ipv6: IPv6Address?, ttl: UInt32
    ) {
        let wantsA = query.questionType == .a || query.questionType == .any
        let wantsAAAA = query.questionType == .aaaa || query.questionType == .any
        let answerA = wantsA ? ipv4 : nil
        let answerAAAA = wantsAAAA ? ipv6 : nil
        let answerCount: UInt16 = (answerA == nil ? 0 : 1) + (answerAAAA == nil ? 0 : 1)
        let flags = responseFlags(queryFlags: query.flags, authoritative: true, rcode: .noError)
        writeHeaderAndQuestion(
            into: &buffer, id: query.id, flags: flags, answerCount: answerCount,
            authorityCount: answerCount == 0 ? 1 : 0, additionalCount: query.edns == nil ? 0 : 1, name: name,
            type: query.questionType, questionClass: query.questionClass)
        if let address = answerA {
            buffer.writeMultipleIntegers(
                questionNamePointer, DNSType.a.rawValue, DNSClass.in.rawValue, ttl, UInt16(4), address.value)
        }
        if let address = answerAAAA {
            buffer.writeMultipleIntegers(
                questionNamePointer, DNSType.aaaa.rawValue, DNSClass.in.rawValue, ttl, UInt16(16), address.high,
                address.low)
        }
        if answerCount == 0 {
            // SOA owner and MNAME: the alias itself; RNAME: the root; MINIMUM = the alias TTL.
            buffer.writeMultipleIntegers(
                questionNamePointer, DNSType.soa.rawValue, DNSClass.in.rawValue, ttl, UInt16(2 + 1 + 20),
                questionNamePointer, UInt8(0))
            buffer.writeMultipleIntegers(soaSerial, soaRefresh, soaRetry, soaExpire, ttl)
        }
        if let edns = query.edns { writeOPT(into: &buffer, dnssecOK: edns.dnssecOK) }
    }

    /// An error or empty answer: the header with `rcode`, the question echoed when one was read, our OPT
    /// when the query had one. `truncated` sets TC (the answer did not fit the client's UDP limit).
    public static func writeEmptyResponse(
        into buffer: inout ByteBuffer, query: DNSQueryInfo, name: DNSNameBuffer, rcode: DNSResponseCode,
        truncated: Bool = false, authoritative: Bool = false
    ) {
        var flags = responseFlags(queryFlags: query.flags, authoritative: authoritative, rcode: rcode)
        if truncated { flags |= DNSHeader.Flag.truncated }
        writeHeaderAndQuestion(
            into: &buffer, id: query.id, flags: flags, answerCount: 0, authorityCount: 0,
            additionalCount: query.edns == nil ? 0 : 1, name: name, type: query.questionType,
            questionClass: query.questionClass)
        if let edns = query.edns {
            writeOPT(into: &buffer, dnssecOK: edns.dnssecOK, extendedResponseCodeHigh: UInt8(rcode.rawValue >> 4))
        }
    }

    /// A header-only answer (FORMERR, NOTIMP) to a query whose question could not be trusted.
    public static func writeHeaderOnlyResponse(
        into buffer: inout ByteBuffer, id: UInt16, queryFlags: UInt16, rcode: DNSResponseCode
    ) {
        let flags = responseFlags(queryFlags: queryFlags, authoritative: false, rcode: rcode)
        DNSHeader(id: id, flags: flags).write(to: &buffer)
    }

    /// BADVERS (RFC 6891 §6.1.3): header only plus our OPT carrying the upper RCODE bits and version 0.
    public static func writeBadVersionResponse(into buffer: inout ByteBuffer, id: UInt16, queryFlags: UInt16) {
        let rcode = DNSResponseCode.badVersion
        let flags = responseFlags(queryFlags: queryFlags, authoritative: false, rcode: rcode)
        DNSHeader(id: id, flags: flags, additionalCount: 1).write(to: &buffer)
        writeOPT(into: &buffer, dnssecOK: false, extendedResponseCodeHigh: UInt8(rcode.rawValue >> 4))
    }

    @inlinable
    public static func writeHeaderAndQuestion(
        into buffer: inout ByteBuffer, id: UInt16, flags: UInt16, answerCount: UInt16, authorityCount: UInt16,
        additionalCount: UInt16, name: DNSNameBuffer, type: DNSType, questionClass: DNSClass
    ) {
        buffer.writeMultipleIntegers(id, flags, UInt16(1), answerCount, authorityCount, additionalCount)
        buffer.writeBytes(UnsafeRawBufferPointer(start: name.storage, count: name.count))
        buffer.writeMultipleIntegers(type.rawValue, questionClass.rawValue)
    }

    /// Our OPT record: root owner, our payload size, the DO bit echoed (RFC 3225 §3), no options.
    @inlinable
    public static func writeOPT(
        into buffer: inout ByteBuffer, dnssecOK: Bool, extendedResponseCodeHigh: UInt8 = 0,
        payloadSize: UInt16 = DNSLimits.advertisedUDPPayload
    ) {
        let ttl = UInt32(extendedResponseCodeHigh) << 24 | (dnssecOK ? UInt32(EDNS.dnssecOKFlag) : 0)
        buffer.writeMultipleIntegers(UInt8(0), DNSType.opt.rawValue, payloadSize, ttl, UInt16(0))
    }
}
