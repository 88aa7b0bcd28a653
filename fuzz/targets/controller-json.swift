// libFuzzer target: every controller response decoder (boundary-protocol.md §1) in the
// BoundaryWire module, over the JSON module. A body the controller (or anything posing
// as it) sends is parsed once and handed to each resource decoder and the error body decoder; what
// decodes is written back as protojson and decodes equal.
@testable import BoundaryWire
@testable import JSON

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz-controller-json invariant: \(message())") }
}

private func roundTrip<T: ProtoJSONCodable & Equatable>(_ type: T.Type, _ value: JSONValue) {
    guard let decoded = try? T(protoJSON: value) else { return }
    do {
        let again = try T(protoJSONBytes: decoded.protoJSONBytes)
        check(again == decoded, "\(T.self) changed in a round trip")
    } catch {
        check(false, "\(T.self) written by us does not decode: \(error)")
    }
}

/// One input; traps (fatalError) when an invariant breaks.
public func fuzzControllerJSON(_ data: UnsafePointer<UInt8>, _ size: Int) {
    guard let value = try? JSONParser().parse(UnsafeRawBufferPointer(start: data, count: size)) else { return }
    roundTrip(AuthToken.self, value)
    roundTrip(AuthenticateResponse.self, value)
    // The dev controller's side: it writes `attributes` back even when the request had none.
    _ = try? PasswordAuthenticateRequest(protoJSON: value)
    roundTrip(ResolvableAlias.self, value)
    roundTrip(ResolvableAliasListPage.self, value)
    roundTrip(SessionAuthorization.self, value)
    roundTrip(Session.self, value)
    roundTrip(SessionCredential.self, value)
    roundTrip(ScopeInfo.self, value)
    roundTrip(APIErrorBody.self, value)
    if let body = try? APIErrorBody(protoJSON: value) { _ = body.description }
    if let authorization = try? SessionAuthorization(protoJSON: value) {
        _ = try? SessionAuthorizationData(authorizationToken: authorization.authorizationToken)
    }
}

#if FUZZ_ENTRY
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzEntry(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
        fuzzControllerJSON(data, size)
        return 0
    }
#endif
