import AgentConfig

/// resolv.conf(5) as text: what the helper reads from it and the file it writes in `resolv.conf`
/// mode (after Tailscale's `net/dns/direct.go`). Pure; `privileged-helper/ResolvConf.swift` does
/// the file I/O.
///
/// Our file carries two comment lines: the marker (the file is ours while it is there; restore only
/// then) and the nameservers the system had before, so that the file alone says how to undo it when
/// the state file's backup is gone (say `state_file` in /run, then a crash and a reboot).
public enum ResolvConfText {
    public static let marker =
        "# boundary-client-agent: managed while the agent runs; the original comes back when it stops"
    static let originalsPrefix = "# boundary-client-agent: nameservers before the agent:"
    static let noNameservers = "(none)"
    /// Heads a file rebuilt from one of ours whose backup was lost.
    public static let rebuiltNote = "# boundary-client-agent: rebuilt after an unclean stop (the original was lost)"
    /// What the resolver needs besides nameservers; carried over into our file.
    static let keptKeywords: Set<String> = ["search", "domain", "options", "sortlist"]

    /// Non-comment lines split into fields.
    public static func lines(_ text: String) -> [[String]] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let first = fields.first, !first.hasPrefix("#"), !first.hasPrefix(";") else { return nil }
            return fields
        }
    }

    /// The `nameserver` entries as written (a scoped `fe80::1%eth0` included), in order.
    public static func nameservers(in text: String) -> [String] {
        lines(text).compactMap { $0.count >= 2 && $0[0] == "nameserver" ? $0[1] : nil }
    }

    /// Whether `text` is a file of ours (the marker line is there).
    public static func isOurs(_ text: String) -> Bool {
        text.split(whereSeparator: \.isNewline).contains { $0 == marker }
    }

    /// Our file: the marker, the nameservers `original` had (as a comment), `nameservers`, and the
    /// search domains and options of `original`.
    public static func ours(nameservers: [IPAddress], original: String) -> String {
        let before = Self.nameservers(in: original)
        let recorded = originalsPrefix + " " + (before.isEmpty ? noNameservers : before.joined(separator: " "))
        let kept = lines(original).filter { keptKeywords.contains($0[0]) }.map { $0.joined(separator: " ") }
        return ([marker, recorded] + nameservers.map { "nameserver \($0)" } + kept).joined(separator: "\n") + "\n"
    }

    /// The nameservers a file of ours recorded; nil when it recorded nothing (a file written before
    /// the agent recorded them).
    public static func recordedNameservers(in text: String) -> [String]? {
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix(originalsPrefix) {
            let fields = line.dropFirst(originalsPrefix.count).split(separator: " ").map(String.init)
            return fields == [noNameservers] ? [] : fields
        }
        return nil
    }

    /// A replacement for a file of ours whose backup is lost: no marker, the nameservers it recorded
    /// (never one of `ours`: the agent that wrote it is gone), its search domains and options.
    public static func rebuilt(fromOurs text: String, excluding ours: [IPAddress]) -> (
        text: String, nameservers: [String]
    ) {
        let servers = (recordedNameservers(in: text) ?? []).filter { server in
            guard let ip = IPAddress(server) else { return true }
            return !ours.contains(ip)
        }
        let kept = lines(text).filter { keptKeywords.contains($0[0]) }.map { $0.joined(separator: " ") }
        let body = [rebuiltNote] + servers.map { "nameserver \($0)" } + kept
        return (body.joined(separator: "\n") + "\n", servers)
    }
}
