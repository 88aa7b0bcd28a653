import NIOCore
import NIOWebSocket
import XCTest

@testable import DevController

/// The dev worker's word-wise unmask must give exactly NIO's `unmaskedData`.
final class WorkerUnmaskTests: XCTestCase {
    func testUnmaskedPayloadMatchesNIO() {
        let keys: [WebSocketMaskingKey?] = [
            WebSocketMaskingKey([0x37, 0xFA, 0x21, 0x3D]), WebSocketMaskingKey([0, 0, 0, 0]),
            WebSocketMaskingKey([0xFF, 0x01, 0x80, 0x7F]), nil,
        ]
        for key in keys {
            for count in Array(0..<70) + [1000, 4097, 32760, 65536] {
                let data = ByteBuffer(bytes: (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
                let frame = WebSocketFrame(fin: true, opcode: .binary, maskKey: key, data: data)
                XCTAssertEqual(
                    WorkerProxyHandler.unmaskedPayload(frame), frame.unmaskedData,
                    "key \(String(describing: key)) count \(count)")
            }
        }
        var prefixed = ByteBuffer(bytes: [9, 9, 9] + (0..<100).map { UInt8($0) })
        prefixed.moveReaderIndex(forwardBy: 3)
        let frame = WebSocketFrame(
            fin: true, opcode: .binary, maskKey: WebSocketMaskingKey([1, 2, 3, 4]), data: prefixed)
        XCTAssertEqual(WorkerProxyHandler.unmaskedPayload(frame), frame.unmaskedData, "a slice not at offset 0")
    }
}
