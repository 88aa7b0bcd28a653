// libFuzzer target: the strict JSON parser and writer (the JSON module). Whatever
// parses is written back and parses again as the same value (compact and indented forms).
@testable import JSON

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz-json invariant: \(message())") }
}

/// Equal, except that a number may come back as the other numeric case with the same value
/// (the writer prints an integral double without a fraction, which then parses as an integer).
private func equivalent(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return Double(x) == y
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { equivalent($0, $1) }
    case (.object(let x), .object(let y)):
        return x.count == y.count && x.allSatisfy { key, value in y[key].map { equivalent(value, $0) } ?? false }
    default: return a == b
    }
}

/// One input; traps (fatalError) when an invariant breaks.
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    for depth in [JSONParser.defaultMaximumDepth, 3] {
        guard let value = try? JSONParser(maximumDepth: depth).parse(bytes) else { continue }
        let written = JSONWriter().bytes(value)
        do {
            let again = try JSONParser(maximumDepth: depth).parse(written)
            check(equivalent(again, value), "round trip changed the value: \(String(decoding: written, as: UTF8.self))")
        } catch {
            check(false, "our own output does not parse (\(error)): \(String(decoding: written, as: UTF8.self))")
        }
        let text = JSONWriter().string(value)
        let reparsed = try? JSONParser(maximumDepth: depth).parse(text)
        check(reparsed.map { equivalent($0, value) } ?? false, "string form differs")
    }
}

#if FUZZ_ENTRY
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzEntry(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
        fuzzJSON(data, size)
        return 0
    }
#endif
