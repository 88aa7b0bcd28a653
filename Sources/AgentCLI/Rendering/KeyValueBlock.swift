/// Lines of `Key:   value` pairs with the values in one column, the layout of the `boundary` CLI's
/// tables. A multi-line value continues in the value column.
struct KeyValueBlock {
    var indent: Int
    var pairs: [(String, String)] = []

    init(indent: Int) {
        self.indent = indent
    }

    mutating func add(_ key: String, _ value: String) {
        pairs.append((key, value))
    }

    /// Renders with the value column after the longest key plus `gap` spaces (at least
    /// `minimumKeyWidth` wide, so blocks rendered separately can share a column).
    func lines(gap: Int = 3, minimumKeyWidth: Int = 0) -> [String] {
        let width = max(minimumKeyWidth, pairs.map { $0.0.count + 1 }.max() ?? 0)
        let pad = String(repeating: " ", count: indent)
        var out: [String] = []
        for (key, value) in pairs {
            let label = key + ":"
            let valueLines = value.split(separator: "\n", omittingEmptySubsequences: false)
            let head = pad + label + String(repeating: " ", count: width - label.count + gap)
            out.append(head + (valueLines.first.map(String.init) ?? ""))
            let continuation = String(repeating: " ", count: head.count)
            for line in valueLines.dropFirst() { out.append(continuation + line) }
        }
        return out
    }
}
