/// A fixed 255-byte buffer that the hot path reads a query's name into, allocated once per handler and
/// reused for every packet. The bytes keep the query's case (answers echo it); hashing and comparison
/// lowercase on the fly, which leaves the buffer itself untouched.
public final class DNSNameBuffer {
    public let storage: UnsafeMutablePointer<UInt8>
    /// The uncompressed wire length of the current name (0 = none read yet).
    public internal(set) var count: Int = 0

    public init() {
        storage = UnsafeMutablePointer<UInt8>.allocate(capacity: DNSLimits.maxNameLength)
        storage.initialize(repeating: 0, count: DNSLimits.maxNameLength)
    }

    deinit {
        storage.deallocate()
    }

    /// Replaces the contents with `name`'s wire form (used when answering for a name not read from a packet).
    public func set(_ name: DNSName) {
        name.wire.withUnsafeBufferPointer { source in
            storage.update(from: source.baseAddress!, count: source.count)
        }
        count = name.wire.count
    }

    /// Sets the length after a caller wrote the bytes through `storage`.
    public func setCount(_ newCount: Int) {
        precondition(newCount >= 0 && newCount <= DNSLimits.maxNameLength)  // our bug if violated
        count = newCount
    }

    /// The case-insensitive, per-process-seeded hash of the current name.
    @inlinable
    public var caseInsensitiveHash: Int { DNSWire.caseInsensitiveHash(storage, count: count) }

    /// Case-insensitive comparison with lowercase (or any-case) wire bytes.
    @inlinable
    public func equalsCaseInsensitive(_ other: UnsafeBufferPointer<UInt8>) -> Bool {
        other.count == count && DNSWire.caseInsensitiveEqual(storage, other.baseAddress!, count: count)
    }

    /// Lowercases the buffer in place (for keys that are stored lowercased).
    public func lowercaseInPlace() {
        for index in 0..<count { storage[index] = DNSName.asciiLowercase(storage[index]) }
    }

    /// A copy as a value (allocates; for logging, delegate calls and tests).
    public var name: DNSName {
        DNSName(uncheckedWire: Array(UnsafeBufferPointer(start: storage, count: count)))
    }
}
