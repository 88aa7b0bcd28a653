// libFuzzer target: the DNS codec (the DNSCodec module).
// Every input goes through the three readers the agent runs on untrusted bytes: the serving hot
// path (`DNSQueryParser`, then the response writer on what it accepted), the full model reader
// (`DNSMessage.read`, then write → read must give the same message) and the upstream answer scanner
// (`DNSResponseScanner`). Differential check: a message the strict full reader accepts as a standard
// one-question query must be accepted by the hot-path parser with the same id, name, type and class.
import AgentConfig
import NIOCore
@testable import DNSCodec

nonisolated(unsafe) private let queryName = DNSNameBuffer()
nonisolated(unsafe) private let scanName: DNSNameBuffer = {
    let buffer = DNSNameBuffer()
    if let name = try? DNSName("host.example.com") { buffer.set(name) }
    return buffer
}()
nonisolated(unsafe) private var output = ByteBuffer()
nonisolated(unsafe) private var ttlOffsets: [Int] = []

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz-dns invariant: \(message())") }
}

/// One input; traps (fatalError) when an invariant breaks.
public func fuzzDNS(_ data: UnsafePointer<UInt8>, _ size: Int) {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)

    // 1. The hot path, and our answer to whatever it decided: always a message we can read back.
    let parsed = DNSQueryParser.parse(bytes, name: queryName)
    output.clear()
    switch parsed {
    case .query(let info):
        check(queryName.count >= 1 && queryName.count <= 255, "name length \(queryName.count)")
        DNSResponseWriter.writeAliasAnswer(
            into: &output, query: info, name: queryName, ipv4: IPv4Address(100, 64, 0, 7),
            ipv6: IPv6Address(high: 0xfd5b_c1a6_e7a0_0000, low: 7), ttl: 5)
        readBack(info, name: queryName)
        output.clear()
        DNSResponseWriter.writeEmptyResponse(
            into: &output, query: info, name: queryName, rcode: .serverFailure, truncated: true)
        readBack(info, name: queryName)
    case .formatError(let id, let flags, _):
        DNSResponseWriter.writeHeaderOnlyResponse(into: &output, id: id, queryFlags: flags, rcode: .formatError)
        check((try? DNSMessage.read(from: output)) != nil, "FORMERR answer unreadable")
    case .notImplemented(let id, let flags):
        DNSResponseWriter.writeHeaderOnlyResponse(into: &output, id: id, queryFlags: flags, rcode: .notImplemented)
        check((try? DNSMessage.read(from: output)) != nil, "NOTIMP answer unreadable")
    case .badVersion(let id, let flags):
        DNSResponseWriter.writeBadVersionResponse(into: &output, id: id, queryFlags: flags)
        check((try? DNSMessage.read(from: output)) != nil, "BADVERS answer unreadable")
    case .drop:
        break
    }

    // 2. The full model: what it reads, it writes back, and reads again as the same message.
    if let message = try? DNSMessage.read(bytes) {
        for compress in [false, true] {
            output.clear()
            do {
                try message.write(to: &output, compress: compress)
                let again = try DNSMessage.read(from: output)
                check(again == message, "write/read round trip changed the message (compress \(compress))")
            } catch {
                // Compression never makes a message longer, so only the uncompressed form may
                // overflow 65535 bytes; nothing else may fail.
                check(!compress, "a message read could not be written back compressed: \(error)")
            }
        }
        let header = message.header
        if !header.isResponse, header.opcode == .query, message.questions.count == 1 {
            switch parsed {
            case .query(let info):
                check(info.id == header.id, "id differs")
                check(info.questionType == message.questions[0].type, "type differs")
                check(info.questionClass == message.questions[0].questionClass, "class differs")
                check(
                    Array(UnsafeBufferPointer(start: queryName.storage, count: queryName.count))
                        == message.questions[0].name.wire, "name bytes differ")
            case .badVersion:
                check(message.edns.map { $0.version != 0 } ?? false, "BADVERS without an EDNS version")
            case .formatError(_, _, .invalidOPT(let reason)) where reason == "owner name is not the root":
                // Stricter on purpose: RFC 6891 §6.1.2 says the OPT NAME is 0; the full reader also
                // takes a compression pointer to the root (fuzz/corpus/dns/opt-owner-pointer-to-root).
                check(message.edns != nil, "OPT owner refused without an OPT")
            default:
                check(false, "the full reader accepts a query the hot path refuses: \(parsed)")
            }
        }
    }

    // 3. The upstream answer scanner, against a fixed question.
    ttlOffsets.removeAll(keepingCapacity: true)
    if let summary = try? withUnsafeMutablePointer(
        to: &ttlOffsets,
        { offsets in
            try DNSResponseScanner.scan(bytes, name: scanName, type: .a, questionClass: .in, ttlOffsets: offsets)
        })
    {
        for offset in ttlOffsets { check(offset >= 12 && offset + 4 <= size, "TTL offset \(offset) outside") }
        if let range = summary.optRange { check(range.upperBound <= size, "OPT range outside") }
    }

    // 4. Presentation text → name → text.
    if size <= 1024, let text = String(validating: UnsafeBufferPointer(start: data, count: size), as: UTF8.self),
        let name = try? DNSName(text)
    {
        check(name.wire.count <= 255, "name over 255 bytes")
        let again = try? DNSName(name.description)
        check(again?.wire == name.wire, "presentation round trip: \(text) → \(name.description)")
    }
    return
}

/// Our answer for `info` must parse as a response to exactly that question.
private func readBack(_ info: DNSQueryInfo, name: DNSNameBuffer) {
    do {
        let answer = try DNSMessage.read(from: output)
        check(answer.header.id == info.id && answer.header.isResponse, "answer header")
        check(answer.questions.count == 1, "answer question count")
        check(answer.questions[0].type == info.questionType, "answer question type")
        try output.withUnsafeReadableBytes { raw in
            _ = try DNSResponseScanner.scan(
                raw, name: name, type: info.questionType, questionClass: info.questionClass, ttlOffsets: nil)
        }
    } catch {
        check(false, "our own answer does not parse: \(error)")
    }
}

#if FUZZ_ENTRY
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzEntry(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
        fuzzDNS(data, size)
        return 0
    }
#endif
