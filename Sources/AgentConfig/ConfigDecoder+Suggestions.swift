/// "Did you mean" for unknown keys.
extension ConfigDecoder {
    static func unknownKeyMessage(_ name: String) -> String {
        guard let suggestion = suggestion(for: name) else { return "unknown key \"\(name)\"" }
        return "unknown key \"\(name)\"; did you mean \"\(suggestion)\"?"
    }

    /// The known key `name` most likely meant: the nearest by edit distance when that is small
    /// (case and "-" for "_" ignored), otherwise one whose words include all of `name`'s (at least
    /// two): "dns_timeout" means dns_request_timeout.
    static func suggestion(for name: String) -> String? {
        // Longer than any key plus a few typos: not worth the quadratic distance.
        guard name.utf8.count <= 64 else { return nil }
        let normalized = String(name.lowercased().map { $0 == "-" ? "_" : $0 })
        let keys = ConfigKey.allCases.map(\.rawValue)
        var bestKey = keys[0]
        var bestDistance = Int.max
        for key in keys {
            let d = editDistance(Array(normalized.utf8), Array(key.utf8))
            if d < bestDistance {
                bestKey = key
                bestDistance = d
            }
        }
        if bestDistance <= max(2, normalized.utf8.count / 4) { return bestKey }
        let words = Set(normalized.split(separator: "_"))
        guard words.count >= 2 else { return nil }
        return keys.first { words.isSubset(of: Set($0.split(separator: "_"))) }
    }

    /// Levenshtein distance (insert, delete, substitute, each 1).
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var row = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            row[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &row)
        }
        return previous[b.count]
    }
}
