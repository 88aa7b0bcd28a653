/// SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012) with keys fixed in
/// the source. Swift's `Hasher` is seeded per process, so it cannot give an alias the same address
/// after a restart; this one does, on every machine and in every release.
///
/// The keys are part of the address plan: changing them moves every alias to a new address (and so
/// breaks every client's DNS cache across an upgrade). Never change them.
enum StableHash {
    /// Key for an alias's slot, its offset in both prefixes ("boundary-agent-1" as ASCII).
    static let primaryKey: (UInt64, UInt64) = (0x626f_756e_6461_7279, 0x2d61_6765_6e74_2d31)

    static func sipHash24(_ bytes: some Collection<UInt8>, key: (UInt64, UInt64)) -> UInt64 {
        var v0: UInt64 = 0x736f_6d65_7073_6575 ^ key.0
        var v1: UInt64 = 0x646f_7261_6e64_6f6d ^ key.1
        var v2: UInt64 = 0x6c79_6765_6e65_7261 ^ key.0
        var v3: UInt64 = 0x7465_6462_7974_6573 ^ key.1

        @inline(__always) func round() {
            v0 &+= v1
            v1 = v1.rotatedLeft(13)
            v1 ^= v0
            v0 = v0.rotatedLeft(32)
            v2 &+= v3
            v3 = v3.rotatedLeft(16)
            v3 ^= v2
            v0 &+= v3
            v3 = v3.rotatedLeft(21)
            v3 ^= v0
            v2 &+= v1
            v1 = v1.rotatedLeft(17)
            v1 ^= v2
            v2 = v2.rotatedLeft(32)
        }

        var word: UInt64 = 0
        var filled = 0
        for byte in bytes {
            word |= UInt64(byte) << UInt64(8 * filled)
            filled += 1
            if filled == 8 {
                v3 ^= word
                round()
                round()
                v0 ^= word
                word = 0
                filled = 0
            }
        }
        // Last block: the remaining bytes, with the message length (mod 256) in the top byte.
        let last = word | (UInt64(truncatingIfNeeded: bytes.count) << 56)
        v3 ^= last
        round()
        round()
        v0 ^= last
        v2 ^= 0xff
        round()
        round()
        round()
        round()
        return v0 ^ v1 ^ v2 ^ v3
    }
}

extension UInt64 {
    @inline(__always) fileprivate func rotatedLeft(_ n: UInt64) -> UInt64 {
        (self << n) | (self >> (64 - n))
    }
}
