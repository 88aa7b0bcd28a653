// libFuzzer target: the CLI's reader of the agent's answers (the AgentCLI module):
// the HTTP/1.1 response parser (fed whole and in small reads: same outcome), then the local API
// response decoders on the body. A hostile local listener (anyone can bind 127.0.0.1:9300 when the
// agent is down) must not crash or hang the CLI.
import AgentAPI
import JSON
@testable import AgentCLI

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz-cli-http invariant: \(message())") }
}

private func parse(_ bytes: [UInt8], step: Int, limit: Int) -> String {
    var parser = HTTPResponseParser(maximumBodyBytes: limit)
    var offset = 0
    do {
        while offset < bytes.count {
            let end = min(bytes.count, offset + step)
            try parser.append(bytes[offset..<end])
            offset = end
            if let response = try parser.response(atEOF: false) {
                return "response \(response.status) \(response.body.count) (not EOF)"
            }
        }
        guard let response = try parser.response(atEOF: true) else { return "nil at EOF" }
        return "response \(response.status) \(response.body.count)"
    } catch {
        return "error"
    }
}

/// One input; traps (fatalError) when an invariant breaks.
public func fuzzCLIHTTP(_ data: UnsafePointer<UInt8>, _ size: Int) {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let limit = 1024
    var parser = HTTPResponseParser(maximumBodyBytes: limit)
    var response: LocalHTTPResponse?
    do {
        try parser.append(bytes)
        response = try parser.response(atEOF: true)
        check(response != nil, "a complete input at EOF gave no response and no error")
    } catch {}
    if let response {
        check(response.body.count <= limit, "body over the limit")
        check((100...599).contains(response.status), "status \(response.status)")
        // The whole answer in one read, or in small ones: a response completes at the same point.
        let small = parse(bytes, step: 7, limit: limit)
        check(small.hasPrefix("response \(response.status) \(response.body.count)"), "small reads: \(small)")
        if let json = try? JSONParser().parse(response.body) {
            _ = try? StatusResponse(json: json)
            _ = try? SessionsResponse(json: json)
            _ = try? ExplainResponse(json: json)
            _ = try? PauseResponse(json: json)
            _ = try? APIError(status: response.status, json: json)
        }
    }
}

#if FUZZ_ENTRY
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzEntry(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
        fuzzCLIHTTP(data, size)
        return 0
    }
#endif
