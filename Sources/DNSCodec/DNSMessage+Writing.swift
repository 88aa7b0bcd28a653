import NIOCore

extension DNSMessage {
    /// Appends the message to `buffer`, counts taken from the arrays and the OPT written last in the
    /// additional section. Names are compressed (RFC 1035 §4.1.4) in owner names and in the RDATA of the
    /// types RFC 3597 §4 allows (NS, CNAME, PTR, SOA, MX); SRV targets never (RFC 2782).
    public func write(to buffer: inout ByteBuffer, compress: Bool = true) throws(DNSCodecError) {
        let start = buffer.writerIndex
        var compressor = DNSNameCompressor(messageStart: start, enabled: compress)
        var header = self.header
        guard questions.count <= Int(UInt16.max), answers.count <= Int(UInt16.max),
            authorities.count <= Int(UInt16.max), additionals.count + (edns == nil ? 0 : 1) <= Int(UInt16.max)
        else { throw .messageTooLarge }
        header.questionCount = UInt16(questions.count)
        header.answerCount = UInt16(answers.count)
        header.authorityCount = UInt16(authorities.count)
        header.additionalCount = UInt16(additionals.count + (edns == nil ? 0 : 1))
        header.write(to: &buffer)
        for question in questions {
            compressor.write(question.name, to: &buffer)
            buffer.writeMultipleIntegers(question.type.rawValue, question.questionClass.rawValue)
        }
        for record in answers { try Self.write(record, to: &buffer, compressor: &compressor) }
        for record in authorities { try Self.write(record, to: &buffer, compressor: &compressor) }
        for record in additionals { try Self.write(record, to: &buffer, compressor: &compressor) }
        if let edns {
            buffer.writeInteger(UInt8(0))  // root owner
            let ttl = UInt32(edns.extendedResponseCodeHigh) << 24 | UInt32(edns.version) << 16 | UInt32(edns.flags)
            buffer.writeMultipleIntegers(DNSType.opt.rawValue, edns.udpPayloadSize, ttl)
            let lengthIndex = buffer.writerIndex
            buffer.writeInteger(UInt16(0))
            for option in edns.options {
                guard option.data.count <= Int(UInt16.max) else { throw .messageTooLarge }
                buffer.writeMultipleIntegers(option.code, UInt16(option.data.count))
                buffer.writeBytes(option.data)
            }
            try Self.patchLength(&buffer, at: lengthIndex)
        }
        guard buffer.writerIndex - start <= DNSLimits.maxMessageLength else { throw .messageTooLarge }
    }

    private static func patchLength(_ buffer: inout ByteBuffer, at index: Int) throws(DNSCodecError) {
        let length = buffer.writerIndex - index - 2
        guard length <= Int(UInt16.max) else { throw .messageTooLarge }
        buffer.setInteger(UInt16(length), at: index)
    }

    private static func write(
        _ record: ResourceRecord, to buffer: inout ByteBuffer, compressor: inout DNSNameCompressor
    ) throws(DNSCodecError) {
        compressor.write(record.name, to: &buffer)
        buffer.writeMultipleIntegers(record.type.rawValue, record.recordClass.rawValue, record.ttl)
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(UInt16(0))
        switch record.data {
        case .a(let address):
            buffer.writeInteger(address.value)
        case .aaaa(let address):
            buffer.writeMultipleIntegers(address.high, address.low)
        case .ns(let name), .cname(let name), .ptr(let name):
            compressor.write(name, to: &buffer)
        case .mx(let preference, let exchange):
            buffer.writeInteger(preference)
            compressor.write(exchange, to: &buffer)
        case .srv(let priority, let weight, let port, let target):
            buffer.writeMultipleIntegers(priority, weight, port)
            buffer.writeBytes(target.wire)
        case .soa(let soa):
            compressor.write(soa.primaryServer, to: &buffer)
            compressor.write(soa.responsibleMailbox, to: &buffer)
            buffer.writeMultipleIntegers(soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum)
        case .txt(let strings):
            for string in strings {
                guard string.count <= Int(UInt8.max) else { throw .invalidRecordData(type: record.type.rawValue) }
                buffer.writeInteger(UInt8(string.count))
                buffer.writeBytes(string)
            }
        case .unknown(let bytes):
            buffer.writeBytes(bytes)
        }
        try patchLength(&buffer, at: lengthIndex)
    }
}

/// Remembers where each name suffix was written so later names can point at it (RFC 1035 §4.1.4).
/// Keys are lowercased suffixes; pointers only reach the first 16 KiB (14-bit offsets).
struct DNSNameCompressor {
    private let messageStart: Int
    private let enabled: Bool
    private var offsets: [DNSName: Int] = [:]
    private static let maxPointerOffset = 0x3FFF

    init(messageStart: Int, enabled: Bool) {
        self.messageStart = messageStart
        self.enabled = enabled
    }

    mutating func write(_ name: DNSName, to buffer: inout ByteBuffer) {
        guard enabled else {
            buffer.writeBytes(name.wire)
            return
        }
        let wire = name.wire
        var index = 0
        while wire[index] != 0 {
            let suffix = DNSName(uncheckedWire: Array(wire[index...]))
            if let offset = offsets[suffix] {
                buffer.writeInteger(UInt16(0xC000 | offset))
                return
            }
            let here = buffer.writerIndex - messageStart
            if here <= Self.maxPointerOffset { offsets[suffix] = here }
            let length = Int(wire[index])
            buffer.writeBytes(wire[index...(index + length)])
            index += 1 + length
        }
        buffer.writeInteger(UInt8(0))
    }
}
