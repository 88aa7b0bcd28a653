import AgentAPI
import BoundaryWire
import JSON

/// `boundary-agent sessions` as a table, in the official CLI's shape (alias, then the session
/// authorization with its brokered credentials), plus expiry, endpoint and open connections.
/// Brokered secrets are shown: they are the caller's own (the agent lists only the caller's
/// sessions) and showing them is what the command is for.
public enum SessionsTable {
    public static func render(_ sessions: SessionsResponse, now: Timestamp) -> String {
        guard !sessions.items.isEmpty else { return "No sessions found\n" }
        var lines = ["", "Session information:"]
        for (i, item) in sessions.items.enumerated() {
            if i > 0 { lines.append("") }
            let a = item.sessionAuthorization
            var top = KeyValueBlock(indent: 2)
            top.add("Alias", item.alias)
            lines += top.lines(minimumKeyWidth: 23)
            lines.append("  Session authorization:")
            var block = KeyValueBlock(indent: 4)
            block.add("Session ID", a.sessionID)
            if let created = a.createdTime { block.add("Created time", created) }
            if let expiration = a.expiration {
                block.add("Expiration", "\(expiration) (\(DurationText.remaining(until: expiration, now: now)))")
            }
            if let endpoint = a.endpoint { block.add("Endpoint", endpoint) }
            if let target = a.targetID { block.add("Target ID", target) }
            if let limit = a.connectionLimit { block.add("Connection limit", limit < 0 ? "unlimited" : "\(limit)") }
            if let open = item.connections { block.add("Open connections", "\(open)") }
            lines += block.lines(minimumKeyWidth: 21)
            if !a.credentials.isEmpty {
                lines.append("    Credentials:")
                for credential in a.credentials { lines += credentialLines(credential, indent: 6) }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One brokered credential (boundary-protocol.md §1.7): where it came from, then the secret as
    /// fields (`credential`, else `secret.decoded`, else `secret.raw` decoded from base64 JSON).
    static func credentialLines(_ credential: JSONValue, indent: Int) -> [String] {
        let pad = String(repeating: " ", count: indent)
        var lines: [String] = []
        var source = KeyValueBlock(indent: indent)
        if let s = credential["credential_source"] {
            for (key, label) in [
                ("id", "Credential Source ID"), ("name", "Credential Source Name"),
                ("description", "Credential Source Description"), ("credential_store_id", "Credential Store ID"),
                ("type", "Credential Store Type"), ("credential_type", "Credential Type"),
            ] {
                if let v = s[key]?.stringValue, !v.isEmpty { source.add(label, v) }
            }
        }
        lines += source.lines()
        lines.append(pad + "Secret:")
        if let fields = secretFields(credential) {
            var block = KeyValueBlock(indent: indent + 2)
            for key in fields.keys.sorted() { block.add(key, text(of: fields[key] ?? .null)) }
            lines += block.lines()
        } else if let raw = credential["secret"]?["raw"]?.stringValue {
            lines.append(pad + "  " + raw)
        } else {
            lines.append(pad + "  (none)")
        }
        return lines
    }

    static func secretFields(_ credential: JSONValue) -> [String: JSONValue]? {
        if let typed = credential["credential"]?.objectValue, !typed.isEmpty { return typed }
        if let decoded = credential["secret"]?["decoded"]?.objectValue, !decoded.isEmpty { return decoded }
        if let raw = credential["secret"]?["raw"]?.stringValue, let bytes = Base64.decode(raw),
            let object = (try? JSONParser().parse(bytes))?.objectValue
        {
            return object
        }
        return nil
    }

    /// A secret field's value: strings as they are (a private key keeps its lines), anything else
    /// as compact JSON.
    static func text(of value: JSONValue) -> String {
        if let s = value.stringValue {
            var t = s
            while t.last == "\n" { t.removeLast() }
            return t
        }
        return JSONWriter().string(value)
    }
}
