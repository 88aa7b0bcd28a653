/// A cursor over a whole message's bytes for the full (allocating) model reader; every read is bounds
/// checked and throws `DNSCodecError.truncated` naming the field.
struct WireReader {
    let message: UnsafeRawBufferPointer
    var position: Int

    init(_ message: UnsafeRawBufferPointer, position: Int = 0) {
        self.message = message
        self.position = position
    }

    var remaining: Int { message.count - position }

    mutating func readUInt8(_ field: String) throws(DNSCodecError) -> UInt8 {
        guard remaining >= 1 else { throw .truncated(field: field) }
        defer { position += 1 }
        return message[position]
    }

    mutating func readUInt16(_ field: String) throws(DNSCodecError) -> UInt16 {
        guard remaining >= 2 else { throw .truncated(field: field) }
        defer { position += 2 }
        return DNSWire.uint16(message, at: position)
    }

    mutating func readUInt32(_ field: String) throws(DNSCodecError) -> UInt32 {
        guard remaining >= 4 else { throw .truncated(field: field) }
        defer { position += 4 }
        return DNSWire.uint32(message, at: position)
    }

    mutating func readBytes(_ count: Int, _ field: String) throws(DNSCodecError) -> [UInt8] {
        guard count >= 0, remaining >= count else { throw .truncated(field: field) }
        defer { position += count }
        return Array(UnsafeRawBufferPointer(rebasing: message[position..<(position + count)]))
    }

    mutating func readName() throws(DNSCodecError) -> DNSName {
        let start = position
        let result: Result<(Int, [UInt8]), DNSCodecError> = withUnsafeTemporaryAllocation(
            of: UInt8.self, capacity: DNSLimits.maxNameLength
        ) { scratch in
            do throws(DNSCodecError) {
                let (end, length) = try DNSWire.readName(message, at: start, into: scratch.baseAddress!)
                return .success((end, Array(scratch[0..<length])))
            } catch {
                return .failure(error)
            }
        }
        let (end, wire) = try result.get()
        position = end
        return DNSName(uncheckedWire: wire)
    }
}
