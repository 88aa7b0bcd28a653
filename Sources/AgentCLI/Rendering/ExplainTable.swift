import AgentAPI

/// `boundary-agent explain NAME` as a checklist: the agent's one-line verdict, then each check it
/// made in order, `[ok]` or `[NO]`, with its detail; then the CLI's own look at the system resolver.
public enum ExplainTable {
    static let labels: [String: String] = [
        "agent": "Agent running", "user": "Not paused by you", "signed_in": "Signed in",
        "alias_listing": "Aliases listed", "alias": "Alias in your view", "address": "Local address",
        "session": "Session", "resolver": "System resolver",
    ]

    public static func render(_ explain: ExplainResponse, resolver: ExplainResponse.Check?) -> String {
        var checks = explain.checks
        if let resolver, !checks.contains(where: { $0.check == "resolver" }) { checks.append(resolver) }
        let width = checks.map { label($0.check).count }.max() ?? 0
        var lines = [explain.summary.isEmpty ? explain.name : explain.summary, ""]
        for check in checks {
            let name = label(check.check)
            let mark = check.ok ? "[ok]" : "[NO]"
            lines.append("  \(mark) \(name)\(String(repeating: " ", count: width - name.count + 2))\(check.detail)")
        }
        if explain.resolves, let resolver, !resolver.ok {
            lines.append("")
            lines.append(
                "Note: the agent would answer \(explain.alias), but programs do not ask it: \(resolver.detail)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func label(_ check: String) -> String { labels[check] ?? check }
}
