/// An IPv6 network: a base address with every host bit zero, and a prefix length 0...128.
/// The agent's IPv6 alias addresses and its IPv6 DNS listen address come from one (`v6_prefix`).
public struct IPv6Prefix: Sendable, Hashable, CustomStringConvertible {
    /// The first address of the network; its host bits are zero.
    public let address: IPv6Address
    /// 0...128.
    public let length: Int

    /// Nil if `length` is outside 0...128 or `address` has host bits set.
    public init?(address: IPv6Address, length: Int) {
        guard (0...128).contains(length) else { return nil }
        let (mh, ml) = IPv6Prefix.mask(length)
        guard address.high & ~mh == 0, address.low & ~ml == 0 else { return nil }
        self.address = address
        self.length = length
    }

    /// For constants written in this module.
    init(constant address: IPv6Address, length: Int) {
        // Our own literals; a wrong one is a bug caught by the defaults test.
        precondition(
            (0...128).contains(length) && address.high & ~IPv6Prefix.mask(length).0 == 0
                && address.low & ~IPv6Prefix.mask(length).1 == 0, "bad prefix constant")
        self.address = address
        self.length = length
    }

    /// The network holding `address`, host bits cleared. Nil if `length` is outside 0...128.
    public init?(masking address: IPv6Address, length: Int) {
        guard (0...128).contains(length) else { return nil }
        let (mh, ml) = IPv6Prefix.mask(length)
        self.address = IPv6Address(high: address.high & mh, low: address.low & ml)
        self.length = length
    }

    /// Parses "address/len" (RFC 4291 §2.3) with no host bits set; nil for anything else.
    public init?(_ text: some StringProtocol) {
        guard let (address, length) = IPPrefixText.split(text), let a = IPv6Address(address) else { return nil }
        self.init(address: a, length: length)
    }

    /// Number of host bits, 128 - length.
    public var hostBits: Int { 128 - length }

    /// The last address of the network.
    public var lastAddress: IPv6Address {
        let (mh, ml) = IPv6Prefix.mask(length)
        return IPv6Address(high: address.high | ~mh, low: address.low | ~ml)
    }

    public func contains(_ other: IPv6Address) -> Bool {
        let (mh, ml) = IPv6Prefix.mask(length)
        return other.high & mh == address.high && other.low & ml == address.low
    }

    /// True if every address of `other` is inside this network.
    public func contains(_ other: IPv6Prefix) -> Bool {
        other.length >= length && contains(other.address)
    }

    /// The address `offset` places after the base (0 is the base itself); nil past the end.
    /// Offsets are 64-bit: enough for any pool the agent hands out.
    public func address(atOffset offset: UInt64) -> IPv6Address? {
        if hostBits < 64 {
            guard offset < UInt64(1) << UInt64(hostBits) else { return nil }
        }
        return IPv6Address(high: address.high, low: address.low | offset)
    }

    /// "fd5b:c1a6:e7a0::/64" (RFC 5952 text for the base).
    public var description: String { "\(address)/\(length)" }

    /// The netmask split into the high and low 64 bits.
    static func mask(_ length: Int) -> (UInt64, UInt64) {
        func part(_ bits: Int) -> UInt64 {
            bits <= 0 ? 0 : bits >= 64 ? UInt64.max : UInt64.max << UInt64(64 - bits)
        }
        return (part(length), part(length - 64))
    }
}
