import AgentConfig
import Glibc
import HostState
import PrivSep

/// Changes to the host, each written to the state file before it is made, and their undoing in
/// reverse order. Undoing is idempotent: what is already gone counts as undone, so `cleanup` can
/// run twice and a crash in the middle of a revert is finished by the next run.
struct HostChanges {
    var state: StateFile
    let log: HelperLog

    mutating func addAddress(family: Int32, _ address: [UInt8], prefixLength: Int, interface: String) throws {
        let change = SystemChange.address(
            family: family, address: address, prefixLength: prefixLength, interface: interface)
        try state.record(change)
        if try !Addresses.addAddress(family: family, address, prefixLength: prefixLength, interface: interface) {
            log.warning("\(SystemChange.addressText(address)) was already on \(interface); leaving it there on stop")
            try state.forget(change)
        }
    }

    mutating func addLocalRoute(family: Int32, _ prefix: [UInt8], prefixLength: Int, interface: String) throws {
        let change = SystemChange.localRoute(
            family: family, prefix: prefix, prefixLength: prefixLength, interface: interface)
        try state.record(change)
        if try !Addresses.addLocalRoute(family: family, prefix, prefixLength: prefixLength, interface: interface) {
            log.warning("local route \(SystemChange.addressText(prefix))/\(prefixLength) already existed; leaving it")
            try state.forget(change)
        }
    }

    mutating func installFirewall(_ rules: FirewallRules) throws {
        try state.record(.firewall(table: FirewallRules.table))
        try Firewall.install(rules)
    }

    mutating func recordSocketFile(_ path: String) throws {
        try state.record(.socketFile(path: path))
    }

    /// Records the resolver's current configuration, then replaces it.
    mutating func applyResolver(_ resolver: any ResolverConfigurator, nameservers: [IPAddress]) throws {
        try state.record(.resolver(try resolver.backup()))
        try resolver.apply(nameservers: nameservers)
    }

    var resolverApplied: Bool {
        state.changes.contains { if case .resolver = $0 { return true } else { return false } }
    }

    /// Undoes the resolver change only (pause, restoreResolver, first step of a stop).
    mutating func revertResolver() {
        for change in state.changes.reversed() {
            if case .resolver = change { revert(change) }
        }
    }

    /// Drops the resolver record without undoing it: the file is another program's now (it
    /// overwrote ours), and that is what a stop must leave.
    mutating func forgetResolver() {
        for change in state.changes.reversed() {
            guard case .resolver = change else { continue }
            do { try state.forget(change) } catch { log.error("\(error)") }
        }
    }

    /// Undoes everything, newest first. True when nothing is left.
    mutating func revertAll() -> Bool {
        for change in state.changes.reversed() { revert(change) }
        return state.changes.isEmpty
    }

    mutating func revert(_ change: SystemChange) {
        do {
            try HostChanges.undo(change, log: log)
            try state.forget(change)
        } catch {
            log.error("could not undo \(change.json): \(error)")
        }
    }

    static func undo(_ change: SystemChange, log: HelperLog) throws {
        switch change {
        case .address(let family, let address, let length, let interface):
            try Addresses.removeAddress(family: family, address, prefixLength: length, interface: interface)
        case .localRoute(let family, let prefix, let length, let interface):
            try Addresses.removeLocalRoute(family: family, prefix, prefixLength: length, interface: interface)
        case .firewall(let table):
            try Firewall.remove(table: table)
        case .socketFile(let path):
            if let st = try Posix.lstat(path), st.st_mode & S_IFMT == S_IFSOCK { try Posix.unlink(path) }
        case .resolver(let backup):
            if try !ResolvConf(path: backup.path).revert(backup) {
                log.warning("\(backup.path) was replaced by another program while we ran; leaving it as it is")
            }
        }
    }
}
