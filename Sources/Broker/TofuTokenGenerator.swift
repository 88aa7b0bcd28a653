/// The trust-on-first-use token of a session: 20 random base62 characters (boundary-protocol.md
/// §3.3: the worker requires exactly 20), from the system generator (getrandom).
public enum TofuTokenGenerator {
    public static let length = 20
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        for _ in 0..<length {
            // `random(in:using:)` is unbiased (rejection sampling).
            bytes.append(alphabet[Int.random(in: 0..<alphabet.count, using: &generator)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
