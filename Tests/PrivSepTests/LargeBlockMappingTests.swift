import Glibc
import PrivSep
import XCTest

final class LargeBlockMappingTests: XCTestCase {
    /// glibc takes the fixed threshold, and a small block stays in the heap. That a big block then gets a
    /// mapping of its own is checked in a fresh process under each worker's filter (`sandbox-probe
    /// PROFILE large-blocks`, `t_sandbox_probe`): here, in the long-lived test process, an earlier test
    /// may have left a big free chunk in the heap that serves the request first.
    func testTheThresholdIsTakenAndSmallBlocksStayInTheHeap() throws {
        XCTAssertTrue(Posix.mapLargeBlocksSeparately())
        let small = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 16)
        defer { small.deallocate() }
        // IS_MMAPPED is bit 1 of the size word just before the block (malloc/malloc.c `chunk_is_mmapped`).
        XCTAssertEqual((small - MemoryLayout<UInt>.size).load(as: UInt.self) & 2, 0, "a small block is mapped")
    }
}
