import Glibc

/// Query IDs and socket choices come from the kernel's CSPRNG (RFC 5452 §9.2), fetched 4 KiB at a time
/// with getrandom(2) (through arc4random_buf) so that a forwarded query does not cost a system call.
struct RandomPool {
    private static let size = 4096
    private var bytes = [UInt8](repeating: 0, count: RandomPool.size)
    private var position = RandomPool.size

    mutating func next16() -> UInt16 {
        if position + 2 > RandomPool.size { refill() }
        defer { position += 2 }
        return UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1])
    }

    /// A uniform value in 0..<bound (bound ≤ 65536), by rejection.
    mutating func next(below bound: Int) -> Int {
        precondition(bound > 0 && bound <= 65536)  // our callers' invariant
        let limit = 65536 - 65536 % bound
        while true {
            let value = Int(next16())
            if value < limit { return value % bound }
        }
    }

    private mutating func refill() {
        // glibc's arc4random_buf reads getrandom(2) and never fails.
        bytes.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, RandomPool.size) }
        position = 0
    }
}
