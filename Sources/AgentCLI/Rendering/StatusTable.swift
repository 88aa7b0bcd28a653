import AgentAPI
import BoundaryWire

/// `boundary-agent status` as a table. The first five rows are the official CLI's, in its order
/// (Address, Auth Token Expiration as time left, Auth Token Id, Status, Version); ours follow, then
/// the recent errors, warnings and notices, newest first. Nothing here can show the token itself:
/// the status answer carries only its public id.
public enum StatusTable {
    public static func render(_ status: StatusResponse, now: Timestamp, userName: (UInt32) -> String?) -> String {
        var block = KeyValueBlock(indent: 2)
        if let address = status.boundaryAddr { block.add("Address", address) }
        if let expiry = status.authTokenExpiry {
            block.add("Auth Token Expiration", DurationText.remaining(until: expiry, now: now))
        }
        if let id = status.authTokenID { block.add("Auth Token Id", id) }
        block.add("Status", status.status.rawValue)
        block.add("Version", status.version)

        if status.authTokenID == nil {
            block.add("Signed In", "no: sign in with `boundary-agent login` or `boundary-agent token add`")
        }
        if status.status == .paused {
            let reason = status.pauseReason.map { ": \($0)" } ?? ""
            switch status.pauseScope {
            case .agent: block.add("Paused", "for every user\(reason)")
            case .user: block.add("Paused", "for you only; `boundary-agent resume` resumes you")
            case nil: block.add("Paused", "yes\(reason)")
            }
        }
        if let userID = status.userID { block.add("Boundary User Id", userID) }
        if let uid = status.uid { block.add("OS User", userName(uid).map { "\($0) (uid \(uid))" } ?? "uid \(uid)") }
        if let count = status.aliasCount { block.add("Aliases", aliasText(count: count, listing: status.aliasListing)) }
        if let sessions = status.sessionCount { block.add("Sessions", "\(sessions)") }

        var lines = ["", "Status:"] + block.lines()
        if let dns = status.dns { lines += dnsLines(dns) }
        if !status.errors.isEmpty {
            lines.append("  Recent errors:")
            lines += status.errors.map { "    " + $0 }
        }
        if !status.warnings.isEmpty {
            lines.append("  Recent warnings:")
            lines += status.warnings.map { "    " + $0 }
        }
        if !status.events.isEmpty {
            lines.append("  Recent notices:")
            lines += status.events.map { "    " + $0 }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The DNS worker's counters: totals for the whole host.
    static func dnsLines(_ dns: DNSStatus) -> [String] {
        var block = KeyValueBlock(indent: 4)
        block.add("Queries", "\(dns.queries)")
        block.add("Alias answers", "\(dns.aliasAnswers)")
        block.add("Forwarded", "\(dns.forwarded)")
        block.add("Cache hits", "\(dns.cacheHits)")
        block.add("Server failures", "\(dns.serverFailures)")
        block.add("Rejected answers", "\(dns.rejectedAnswers)")
        let failures = dns.upstreamFailures.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        block.add("Upstream failures", failures.isEmpty ? "none" : failures.joined(separator: "\n"))
        return ["  DNS (this host, since the DNS worker started):"] + block.lines()
    }

    static func aliasText(count: Int, listing: String?) -> String {
        switch listing {
        case "forbidden"?:
            return
                "\(count) (listing aliases is forbidden for your Boundary user: names are checked with the controller one by one)"
        case "pending"?:
            return "\(count) (the first listing is under way)"
        case "ok"?, nil:
            return "\(count)"
        case let other?:
            return "\(count) (listing: \(other))"
        }
    }
}
