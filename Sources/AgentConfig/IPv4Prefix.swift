/// An IPv4 network: a base address with every host bit zero, and a prefix length 0...32.
/// The agent's alias addresses and its DNS listen address come from one (`v4_prefix`).
public struct IPv4Prefix: Sendable, Hashable, CustomStringConvertible {
    /// The first address of the network; its host bits are zero.
    public let address: IPv4Address
    /// 0...32.
    public let length: Int

    /// Nil if `length` is outside 0...32 or `address` has host bits set.
    public init?(address: IPv4Address, length: Int) {
        guard (0...32).contains(length) else { return nil }
        guard address.value & ~IPv4Prefix.mask(length) == 0 else { return nil }
        self.address = address
        self.length = length
    }

    /// For constants written in this module.
    init(constant address: IPv4Address, length: Int) {
        // Our own literals; a wrong one is a bug caught by the defaults test.
        precondition((0...32).contains(length) && address.value & ~IPv4Prefix.mask(length) == 0, "bad prefix constant")
        self.address = address
        self.length = length
    }

    /// The network holding `address`, host bits cleared. Nil if `length` is outside 0...32.
    public init?(masking address: IPv4Address, length: Int) {
        guard (0...32).contains(length) else { return nil }
        self.address = IPv4Address(value: address.value & IPv4Prefix.mask(length))
        self.length = length
    }

    /// Parses "a.b.c.d/len" with no host bits set; nil for anything else.
    public init?(_ text: some StringProtocol) {
        guard let (address, length) = IPPrefixText.split(text), let a = IPv4Address(address) else { return nil }
        self.init(address: a, length: length)
    }

    /// The netmask as an address (255.192.0.0 for a /10).
    public var netmask: IPv4Address { IPv4Address(value: IPv4Prefix.mask(length)) }

    /// Number of host bits, 32 - length.
    public var hostBits: Int { 32 - length }

    /// How many addresses the network spans (2^hostBits), base and last included.
    public var addressCount: UInt64 { UInt64(1) << UInt64(hostBits) }

    /// The last address of the network.
    public var lastAddress: IPv4Address { IPv4Address(value: address.value | ~IPv4Prefix.mask(length)) }

    public func contains(_ other: IPv4Address) -> Bool {
        other.value & IPv4Prefix.mask(length) == address.value
    }

    /// The address `offset` places after the base (0 is the base itself); nil past the end.
    public func address(atOffset offset: UInt64) -> IPv4Address? {
        guard offset < addressCount else { return nil }
        return IPv4Address(value: address.value | UInt32(truncatingIfNeeded: offset))
    }

    /// "100.64.0.0/10"
    public var description: String { "\(address)/\(length)" }

    static func mask(_ length: Int) -> UInt32 {
        length == 0 ? 0 : UInt32.max << UInt32(32 - length)
    }
}

/// Splitting "address/length" text, shared by both prefix types and the config's messages.
enum IPPrefixText {
    /// The address text and a decimal length of at most 3 digits without a sign; nil otherwise.
    static func split<S: StringProtocol>(_ text: S) -> (S.SubSequence, Int)? {
        guard let slash = text.firstIndex(of: "/") else { return nil }
        let lengthText = text[text.index(after: slash)...]
        guard !lengthText.isEmpty, lengthText.count <= 3, lengthText.allSatisfy({ $0.isASCII && $0.isNumber }),
            let length = Int(lengthText)
        else { return nil }
        return (text[..<slash], length)
    }
}
