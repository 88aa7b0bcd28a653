import BoundaryWire
import Glibc
import XCTest

/// The base58 decoder against hostile lengths (the controller sends the token).
final class Base58HardeningTests: XCTestCase {
    func testLeadingZerosAndLimbBoundaries() throws {
        // Lengths around the five-digit chunks and four-byte limbs of the decoder.
        var generator = SystemRandomNumberGenerator()
        for length in 0..<64 {
            for zeros in [0, 1, 5] where zeros <= length {
                var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                for i in 0..<zeros { bytes[i] = 0 }
                let text = Base58.encode(bytes)
                XCTAssertEqual(try Base58.decode(text), bytes, text)
            }
        }
        XCTAssertEqual(try Base58.decode("11z"), [0, 0, 57])
        XCTAssertEqual(try Base58.decode("21"), [58])
        XCTAssertEqual(try Base58.decode("1111111111"), [UInt8](repeating: 0, count: 10))
    }

    /// Hang guard, not a benchmark. Found by fuzz-session-token: decoding one digit into one byte
    /// at a time made the longest token we accept (64 KiB, well under the controller's 1 MiB body
    /// cap) cost 3.3 s of the broker's event loop in a release build and 22 s of CPU in this
    /// debug one. Limbs of 32 bits fed five digits at a time: 0.11 s (release), ~2 s (debug).
    func testLongestTokenDecodesWithoutStallingTheBroker() throws {
        let text = String(repeating: "z", count: Base58.maximumEncodedLength)
        let start = clock()
        let bytes = try Base58.decode(text)
        let seconds = Double(clock() - start) / Double(CLOCKS_PER_SEC)
        XCTAssertEqual(bytes.count, 47_989)
        XCTAssertLessThan(seconds, 15, "64 KiB of base58 took \(seconds) s of CPU")
        XCTAssertThrowsError(try Base58.decode(String(repeating: "z", count: Base58.maximumEncodedLength + 1)))
    }
}
