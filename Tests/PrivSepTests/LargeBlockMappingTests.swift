import Glibc
import PrivSep
import XCTest

final class LargeBlockMappingTests: XCTestCase {
    /// After `mapLargeBlocksSeparately`, a block over the threshold is a mapping of its own, even after a
    /// freed big block raised glibc's own threshold. (glibc marks such a chunk with IS_MMAPPED, bit 1 of
    /// the size word just before the block: malloc/malloc.c `chunk_is_mmapped`. /proc/self/maps cannot
    /// tell: the kernel merges adjacent anonymous mappings.)
    func testLargeBlocksGetTheirOwnMapping() throws {
        // Raises glibc's dynamic threshold above 1 MiB (when it is not fixed already).
        let raise = UnsafeMutableRawPointer.allocate(byteCount: 4 << 20, alignment: 16)
        raise.deallocate()
        XCTAssertTrue(Posix.mapLargeBlocksSeparately())
        for size in [Posix.separateMappingThreshold, Posix.separateMappingThreshold * 3] {
            let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
            defer { block.deallocate() }
            let sizeWord = (block - MemoryLayout<UInt>.size).load(as: UInt.self)
            XCTAssertNotEqual(sizeWord & 2, 0, "a \(size)-byte block is not mmapped")
        }
        let small = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 16)
        defer { small.deallocate() }
        XCTAssertEqual((small - MemoryLayout<UInt>.size).load(as: UInt.self) & 2, 0, "a small block is")
    }
}
