import DNSCodec
import NIOCore

/// Builders shared by the codec tests.
enum TestMessages {
    static func bytes(_ message: DNSMessage, compress: Bool = true) throws -> [UInt8] {
        var buffer = ByteBuffer()
        try message.write(to: &buffer, compress: compress)
        return Array(buffer.readableBytesView)
    }

    static func query(
        _ name: String, _ type: DNSType = .a, id: UInt16 = 0x1234, edns: EDNS? = nil
    ) throws -> [UInt8] {
        var header = DNSHeader(id: id)
        header.recursionDesired = true
        return try bytes(
            DNSMessage(header: header, questions: [DNSQuestion(name: try DNSName(name), type: type)], edns: edns))
    }

    static func read(_ bytes: [UInt8]) throws -> DNSMessage {
        try DNSMessage.read(from: ByteBuffer(bytes: bytes))
    }
}
