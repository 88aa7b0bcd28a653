/// What the dev worker reads from a TLS ClientHello before choosing the session's certificate:
/// the SNI host name (RFC 6066 §3) and the offered ALPN protocols (RFC 7301 §3.1). NIOSSL's SNI
/// callback cannot see ALPN, so the worker parses the hello itself (swift-notes §7).
struct WorkerClientHello: Equatable {
    var serverName: String?
    var alpn: [String]

    /// Largest ClientHello we wait for (post-quantum key shares make them ~1.5 KiB; browsers stay under 16 KiB).
    static let maximumLength = 64 * 1024

    enum ParseError: Error, Equatable, CustomStringConvertible {
        case notTLSHandshake
        case notClientHello
        case tooLong
        case malformed(String)

        var description: String {
            switch self {
            case .notTLSHandshake: return "not a TLS handshake record"
            case .notClientHello: return "first handshake message is not a ClientHello"
            case .tooLong: return "ClientHello longer than \(WorkerClientHello.maximumLength) bytes"
            case .malformed(let what): return "malformed ClientHello: \(what)"
            }
        }
    }

    /// Parses the records at the start of `bytes` (record type 22, RFC 8446 §5.1; the hello may be
    /// fragmented across records). nil when more bytes are needed.
    static func parse(_ bytes: [UInt8]) throws(ParseError) -> WorkerClientHello? {
        var handshake: [UInt8] = []
        var offset = 0
        var needed: Int? = nil
        while needed == nil || handshake.count < needed! {
            guard bytes.count - offset >= 5 else { return nil }
            guard bytes[offset] == 22 else { throw .notTLSHandshake }
            let length = Int(bytes[offset + 3]) << 8 | Int(bytes[offset + 4])
            guard length > 0, length <= 1 << 14 else { throw .malformed("record length \(length)") }
            guard bytes.count - offset - 5 >= length else { return nil }
            handshake += bytes[(offset + 5)..<(offset + 5 + length)]
            offset += 5 + length
            if needed == nil && handshake.count >= 4 {
                guard handshake[0] == 1 else { throw .notClientHello }
                needed = 4 + (Int(handshake[1]) << 16 | Int(handshake[2]) << 8 | Int(handshake[3]))
                guard needed! <= maximumLength else { throw .tooLong }
            }
        }
        return try parseBody(handshake[4..<needed!])
    }

    private static func parseBody(_ body: ArraySlice<UInt8>) throws(ParseError) -> WorkerClientHello {
        var r = Reader(bytes: body)
        _ = try r.take(2, "legacy_version")
        _ = try r.take(32, "random")
        _ = try r.vector(lengthBytes: 1, "legacy_session_id")
        _ = try r.vector(lengthBytes: 2, "cipher_suites")
        _ = try r.vector(lengthBytes: 1, "legacy_compression_methods")
        var hello = WorkerClientHello(serverName: nil, alpn: [])
        if r.atEnd { return hello }  // no extensions at all (TLS 1.2 and older may omit them)
        var extensions = Reader(bytes: try r.vector(lengthBytes: 2, "extensions"))
        while !extensions.atEnd {
            let type = try extensions.uint16("extension type")
            var data = Reader(bytes: try extensions.vector(lengthBytes: 2, "extension data"))
            switch type {
            case 0:  // server_name
                var list = Reader(bytes: try data.vector(lengthBytes: 2, "server_name_list"))
                while !list.atEnd {
                    let nameType = try list.take(1, "name_type")[list.lastStart]
                    let name = try list.vector(lengthBytes: 2, "host_name")
                    if nameType == 0 && hello.serverName == nil {
                        hello.serverName = String(decoding: name, as: UTF8.self)
                    }
                }
            case 16:  // application_layer_protocol_negotiation
                var list = Reader(bytes: try data.vector(lengthBytes: 2, "protocol_name_list"))
                while !list.atEnd {
                    hello.alpn.append(String(decoding: try list.vector(lengthBytes: 1, "protocol_name"), as: UTF8.self))
                }
            default:
                continue
            }
        }
        return hello
    }

    /// Bounds-checked cursor: every length is checked against what is left before slicing.
    private struct Reader {
        let bytes: ArraySlice<UInt8>
        var offset: Int
        var lastStart: Int

        init(bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            self.offset = bytes.startIndex
            self.lastStart = bytes.startIndex
        }

        var atEnd: Bool { offset >= bytes.endIndex }

        mutating func take(_ n: Int, _ what: String) throws(ParseError) -> ArraySlice<UInt8> {
            guard bytes.endIndex - offset >= n else { throw .malformed("\(what) truncated") }
            lastStart = offset
            offset += n
            return bytes[lastStart..<offset]
        }

        mutating func uint16(_ what: String) throws(ParseError) -> Int {
            let b = try take(2, what)
            return Int(b[b.startIndex]) << 8 | Int(b[b.startIndex + 1])
        }

        mutating func vector(lengthBytes: Int, _ what: String) throws(ParseError) -> ArraySlice<UInt8> {
            let lengthField = try take(lengthBytes, what)
            let length = lengthField.reduce(0) { $0 << 8 | Int($1) }
            return try take(length, what)
        }
    }
}
