// libFuzzer target: the data plane's readers of worker bytes (the BoundaryAPI module):
// the WebSocket upgrade response check and the incremental RFC 6455 frame parser. The first input
// byte seeds how the rest is cut into reads; the parser must report the same events (payload bytes
// joined) however the bytes are cut, and the upgrade check must decide the same way.
import NIOCore
@testable import BoundaryAPI

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz-websocket invariant: \(message())") }
}

private enum Outcome: Equatable {
    case events([String], payload: [UInt8], error: String?)
}

/// Runs the frame parser over `bytes` cut into reads of the given sizes (cycled).
private func frames(_ bytes: [UInt8], cuts: [Int]) -> Outcome {
    var parser = WebSocketFrameParser()
    var events: [String] = []
    var payload: [UInt8] = []
    var offset = 0
    var cut = 0
    while offset < bytes.count {
        let length = min(max(1, cuts[cut % cuts.count]), bytes.count - offset)
        cut += 1
        var buffer = ByteBuffer(bytes: bytes[offset..<(offset + length)])
        offset += length
        do {
            while let event = try parser.next(from: &buffer) {
                switch event {
                case .payload(let slice):
                    check(slice.readableBytes > 0, "empty payload event")
                    payload.append(contentsOf: slice.readableBytesView)
                case .messageEnd: events.append("end@\(payload.count)")
                case .close(let code, let reason): events.append("close \(String(describing: code)) \(reason)")
                case .ping(let data): events.append("ping \(Array(data.readableBytesView))")
                case .pong: events.append("pong")
                }
            }
        } catch {
            return .events(events, payload: payload, error: "\(error)")
        }
        check(buffer.readableBytes == 0, "parser left \(buffer.readableBytes) bytes unread")
    }
    return .events(events, payload: payload, error: nil)
}

/// How many leading bytes the upgrade check is fed one at a time.
private let stepwiseLimit = 256

/// One input; traps (fatalError) when an invariant breaks.
public func fuzzWebSocket(_ data: UnsafePointer<UInt8>, _ size: Int) {
    guard size >= 1 else { return }
    let seed = Int(data[0])
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))

    let whole = frames(bytes, cuts: [bytes.count])
    let small = frames(bytes, cuts: [1 + seed % 7, 1, 2 + seed % 3, 11])
    check(whole == small, "frame parser depends on how reads are cut:\n\(whole)\n\(small)")

    // The upgrade response: all at once versus a byte at a time, then the frames after the head.
    let request = WebSocketUpgradeRequest(host: "127.0.0.1:9202", key: "dGhlIHNhbXBsZSBub25jZQ==")
    var all = ByteBuffer(bytes: bytes)
    let once: String
    do {
        once = try request.parseResponse(&all) ? "done, \(all.readableBytes) left" : "more"
    } catch {
        once = "error \(error)"
    }
    var growing = ByteBuffer()
    var stepwise = "more"
    // A byte at a time rescans the head each time (bounded by its 8 KiB cap): quadratic, so only the
    // first 256 bytes (a longer prefix made this target 20 times slower than the others).
    for byte in bytes.prefix(stepwiseLimit) {
        growing.writeInteger(byte)
        do {
            if try request.parseResponse(&growing) {
                stepwise = "done"
                break
            }
        } catch {
            stepwise = "error \(error)"
            break
        }
    }
    if stepwise == "done" { check(once.hasPrefix("done"), "upgrade: whole \(once), stepwise done") }
    if once.hasPrefix("done"), bytes.count <= stepwiseLimit {
        check(stepwise == "done", "upgrade: whole \(once), stepwise \(stepwise)")
        _ = frames(Array(all.readableBytesView), cuts: [3])
    }
}

#if FUZZ_ENTRY
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzEntry(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
        fuzzWebSocket(data, size)
        return 0
    }
#endif
