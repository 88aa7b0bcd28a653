// libFuzzer target: the session authorization token (base58 text → protobuf
// SessionAuthorizationData, boundary-protocol.md §2), the proxy handshake messages (§3.3) and auth
// token strings (the BoundaryWire module). What decodes re-encodes and decodes equal;
// base58 is canonical both ways.
@testable import BoundaryWire

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz-session-token invariant: \(message())") }
}

/// One input; traps (fatalError) when an invariant breaks.
public func fuzzSessionToken(_ data: UnsafePointer<UInt8>, _ size: Int) {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // Raw protobuf.
    if let decoded = try? SessionAuthorizationData(protobuf: bytes) {
        let again = try? SessionAuthorizationData(protobuf: decoded.protobuf)
        check(again == decoded, "SessionAuthorizationData round trip")
        _ = try? decoded.checkUsable()
        let text = decoded.authorizationToken
        // An all-default message encodes to nothing, and an empty token is refused by design.
        if !text.isEmpty {
            check((try? SessionAuthorizationData(authorizationToken: text)) == decoded, "token text round trip")
        }
    }
    if let handshake = try? ClientHandshake(protobuf: bytes) {
        check((try? ClientHandshake(protobuf: handshake.serialized)) == handshake, "ClientHandshake round trip")
    }
    if let result = try? HandshakeResult(protobuf: bytes) {
        check((try? HandshakeResult(protobuf: result.serialized)) == result, "HandshakeResult round trip")
    }
    // Base58 both ways.
    // Encoding is quadratic (we only encode our own, short data): keep the check to short inputs.
    if size <= 1024 {
        let encoded = Base58.encode(bytes)
        check((try? Base58.decode(encoded)) == bytes, "base58 encode → decode")
    }
    let text = String(decoding: bytes, as: UTF8.self)
    if let decoded = try? Base58.decode(text) {
        check(Base58.encode(decoded) == text, "base58 decode → encode is not canonical for \(text)")
    }
    // The token as the controller sends it, and auth token strings as users paste them.
    _ = try? SessionAuthorizationData(authorizationToken: text)
    if let token = try? AuthTokenString(text) {
        check(token.value == text && text.hasPrefix(token.publicID), "auth token parts")
    }
}

#if FUZZ_ENTRY
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzEntry(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
        fuzzSessionToken(data, size)
        return 0
    }
#endif
