import NIOCore

/// The client half of the RFC 6455 §4 opening handshake on `/v1/proxy`: the request bytes and a
/// strict check of the worker's response head (boundary-protocol.md §3.2). Channel-free, so the
/// checks are tested byte for byte.
struct WebSocketUpgradeRequest {
    static let path = "/v1/proxy"
    static let subprotocol = "boundary-tcp-proxy-v1"
    /// §1.3: appended to the key before hashing.
    static let acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    /// A response head longer than this is refused (the worker's is ~200 bytes).
    static let maximumResponseHeadLength = 8 * 1024

    /// `Sec-WebSocket-Key`: base64 of 16 random bytes (§4.1).
    let key: String
    /// The worker address exactly as `worker_info` has it (`Host` header of the reference client).
    let host: String

    init(host: String) {
        // Two 64-bit draws (two getrandom calls), not sixteen one-byte ones: this runs per connection.
        var rng = SystemRandomNumberGenerator()
        var nonce: [UInt8] = []
        nonce.reserveCapacity(16)
        for _ in 0..<2 {
            let word = rng.next()
            for shift in stride(from: 0, to: 64, by: 8) {
                nonce.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        self.init(host: host, key: Self.base64(nonce))
    }

    init(host: String, key: String) {
        self.host = host
        self.key = key
    }

    /// No `Sec-WebSocket-Extensions`: compression is never offered.
    func write(into buffer: inout ByteBuffer) {
        buffer.writeString(
            "GET \(Self.path) HTTP/1.1\r\n"
                + "Host: \(host)\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: \(key)\r\n"
                + "Sec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Protocol: \(Self.subprotocol)\r\n"
                + "\r\n")
    }

    var expectedAccept: String {
        Self.base64(SHA1.hash(Array((key + Self.acceptGUID).utf8)))
    }

    /// Looks for a complete response head at the start of `buffer`. Returns false when more bytes
    /// are needed; on success the head is consumed and what follows (WebSocket frames) stays in `buffer`.
    func parseResponse(_ buffer: inout ByteBuffer) throws(DataPlaneError) -> Bool {
        let view = buffer.readableBytesView
        guard let end = Self.endOfHead(view) else {
            guard view.count <= Self.maximumResponseHeadLength else {
                throw .invalidUpgradeResponse("response head longer than \(Self.maximumResponseHeadLength) bytes")
            }
            return false
        }
        let head = Array(view[view.startIndex..<end])
        buffer.moveReaderIndex(forwardBy: end - view.startIndex + 4)
        try check(head: head)
        return true
    }

    /// Index of the `\r\n\r\n` ending the head, if present.
    private static func endOfHead(_ view: ByteBufferView) -> Int? {
        var i = view.startIndex
        let limit = view.endIndex - 3
        while i < limit {
            if view[i] == 0x0D && view[i + 1] == 0x0A && view[i + 2] == 0x0D && view[i + 3] == 0x0A { return i }
            i += 1
        }
        return nil
    }

    private func check(head: [UInt8]) throws(DataPlaneError) {
        let lines = head.split(separator: 0x0A, omittingEmptySubsequences: false).map { line -> ArraySlice<UInt8> in
            line.last == 0x0D ? line.dropLast() : line
        }
        // Status line: `HTTP/1.1 101 Switching Protocols` (the reason phrase is free text).
        let status = Array(lines[0])
        guard status.count >= 12, status.starts(with: Array("HTTP/1.1 ".utf8)),
            status.count == 12 || status[12] == 0x20,
            let code = Int(String(decoding: status[9..<12], as: UTF8.self))
        else {
            throw .invalidUpgradeResponse("bad status line \"\(String(decoding: status.prefix(80), as: UTF8.self))\"")
        }
        guard code == 101 else { throw .upgradeRefused(status: code) }

        var upgrade: [String] = []
        var connection: [String] = []
        var accept: [String] = []
        var protocols: [String] = []
        var extensions: [String] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                line.first != 0x20, line.first != 0x09
            else {
                throw .invalidUpgradeResponse("malformed header line")
            }
            let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
            let value = Self.trimmed(line[(colon + 1)...])
            switch name {
            case "upgrade": upgrade.append(value)
            case "connection": connection.append(value)
            case "sec-websocket-accept": accept.append(value)
            case "sec-websocket-protocol": protocols.append(value)
            case "sec-websocket-extensions": extensions.append(value)
            default: continue
            }
        }
        // §4.1, client steps 2–6, in order.
        guard upgrade.count == 1, upgrade[0].lowercased() == "websocket" else {
            throw .invalidUpgradeResponse("Upgrade header is not \"websocket\"")
        }
        let connectionTokens = connection.flatMap { $0.split(separator: ",") }.map {
            Self.trimmed(Array($0.utf8)[...]).lowercased()
        }
        guard connectionTokens.contains("upgrade") else {
            throw .invalidUpgradeResponse("Connection header lacks \"Upgrade\"")
        }
        guard accept.count == 1, accept[0] == expectedAccept else {
            throw .invalidUpgradeResponse("Sec-WebSocket-Accept does not match the key")
        }
        guard extensions.isEmpty else {
            throw .invalidUpgradeResponse(
                "worker enabled extensions we did not offer: \(extensions.joined(separator: ", "))")
        }
        guard protocols.count == 1, protocols[0] == Self.subprotocol else {
            throw .subprotocolMismatch(protocols.isEmpty ? nil : protocols.joined(separator: ", "))
        }
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> String {
        var b = bytes
        while let f = b.first, f == 0x20 || f == 0x09 { b = b.dropFirst() }
        while let l = b.last, l == 0x20 || l == 0x09 { b = b.dropLast() }
        return String(decoding: b, as: UTF8.self)
    }

    /// Standard base64 with padding (RFC 4648 §4), for the 16-byte key and the 20-byte digest.
    static func base64(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let n = min(3, bytes.count - i)
            var v = UInt32(bytes[i]) << 16
            if n > 1 { v |= UInt32(bytes[i + 1]) << 8 }
            if n > 2 { v |= UInt32(bytes[i + 2]) }
            out.append(table[Int(v >> 18 & 63)])
            out.append(table[Int(v >> 12 & 63)])
            out.append(n > 1 ? table[Int(v >> 6 & 63)] : UInt8(ascii: "="))
            out.append(n > 2 ? table[Int(v & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
