// libFuzzer target: the local API's request handling (the Broker module): raw bytes
// from a local user through NIO's HTTP/1.1 server pipeline (as LocalAPIServer sets it up) into
// LocalAPIHandler, the body size caps, the browser checks and LocalAPIRoute; then the router alone
// on fuzzed method/URI/body. Every request gets an answer or the connection closes; nothing traps.
import AgentAPI
import JSON
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
@testable import Broker

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz-local-api invariant: \(message())") }
}

/// Answers every routed request at once; counts what reached it.
private final class EchoBackend: LocalAPIBackend, @unchecked Sendable {
    let loop: EmbeddedEventLoop
    var routed = 0
    init(loop: EmbeddedEventLoop) { self.loop = loop }
    func handle(_ route: LocalAPIRoute, uid: UInt32) -> EventLoopFuture<JSONValue> {
        check(uid == 4242, "the handler passed uid \(uid), not the socket's")
        routed += 1
        return loop.makeSucceededFuture(.object(["ok": .bool(true)]))
    }
}

private let logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
private let methods: [HTTPMethod] = [.GET, .POST, .DELETE, .PUT, .HEAD, .OPTIONS, .PATCH]

/// One input; traps (fatalError) when an invariant breaks.
public func fuzzLocalAPI(_ data: UnsafePointer<UInt8>, _ size: Int) {
    guard size >= 1 else { return }
    let step = 1 + Int(data[0] % 64)
    let transport: LocalAPIRoute.Transport = data[0] & 0x80 == 0 ? .unix : .tcp
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))

    let loop = EmbeddedEventLoop()
    let backend = EchoBackend(loop: loop)
    let channel = EmbeddedChannel(loop: loop)
    do {
        let sync = channel.pipeline.syncOperations
        try sync.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
        try sync.addHandler(LocalAPIHandler(uid: 4242, transport: transport, backend: backend, logger: logger))
    } catch {
        check(false, "pipeline: \(error)")
    }
    var offset = 0
    while offset < bytes.count, channel.isActive {
        let end = min(bytes.count, offset + step)
        do {
            try channel.writeInbound(channel.allocator.buffer(bytes: bytes[offset..<end]))
        } catch {
            break  // the pipeline refused the bytes; the server closes the connection
        }
        offset = end
        loop.run()
    }
    var answered = 0
    while let out = try? channel.readOutbound(as: ByteBuffer.self) {
        let text = String(decoding: out.readableBytesView, as: UTF8.self)
        if text.hasPrefix("HTTP/1.") { answered += 1 }
    }
    check(answered >= backend.routed, "\(backend.routed) requests routed, \(answered) answered")
    _ = try? channel.finish()

    // The router and the browser checks on their own.
    if let text = String(validating: bytes, as: UTF8.self) {
        let parts = text.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
        let method = methods[Int(data[0]) % methods.count]
        let uri = String(parts[0])
        let body = parts.count > 1 ? Array(parts[1].utf8) : []
        _ = LocalAPIRoute.route(method: method, uri: uri, body: body)
        var headers = HTTPHeaders()
        for line in parts.dropFirst().joined(separator: "\n").split(separator: "\n").prefix(8) {
            // HTTP/1.1 header names are ASCII tokens (NIO's parser never yields anything else).
            if let colon = line.firstIndex(of: ":"), line[..<colon].utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
                headers.add(name: String(line[..<colon]), value: String(line[line.index(after: colon)...]))
            }
        }
        _ = LocalAPIRoute.browserCheck(headers, transport: transport)
    }
}

#if FUZZ_ENTRY
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzEntry(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
        fuzzLocalAPI(data, size)
        return 0
    }
#endif
