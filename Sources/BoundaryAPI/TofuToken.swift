/// The trust-on-first-use token of a session (boundary-protocol.md §3.3, trap 8): 20 random base62
/// characters, made once per session and sent on every connection of it. The first connection binds
/// the session to it; any other token is refused for the session's lifetime.
public enum TofuToken {
    public static let length = 20
    static let alphabet: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// A fresh token from the system CSPRNG (uniform: `Int.random(in:using:)` rejects biased draws).
    public static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        var out: [UInt8] = []
        out.reserveCapacity(length)
        for _ in 0..<length { out.append(alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Exactly 20 base62 characters, as `generate()` makes them. (The worker only checks the length.)
    public static func isValid(_ token: String) -> Bool {
        let bytes = token.utf8
        return bytes.count == length && bytes.allSatisfy { alphabet.contains($0) }
    }
}
