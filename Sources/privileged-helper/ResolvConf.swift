import AgentConfig
import AgentIPC
import Glibc
import HostState
import PrivSep

/// Points the system resolver at the DNS worker and back (after Tailscale's OSConfigurator):
/// `resolv.conf` mode now, `systemd-resolved` later as another conformer.
protocol ResolverConfigurator {
    /// The nameservers the system uses now; read before `apply`, handed to the DNS worker.
    func baseUpstreams() throws -> [UpstreamServer]
    /// What is there now, to record in the state file *before* `apply`.
    func backup() throws -> ResolverBackup
    /// Makes `nameservers` the system's resolvers (keeping search domains and options).
    func apply(nameservers: [IPAddress]) throws
    /// Whether the current configuration is ours (the marker is there).
    func isOurs() -> Bool
    /// Puts `backup` back if the configuration is still ours; false when someone replaced it
    /// meanwhile (then theirs stays).
    func revert(_ backup: ResolverBackup) throws -> Bool
}

/// File operations behind a seam, so tests can fail `rename` with EBUSY as on a bind mount.
protocol ResolvFiles {
    func lstat(_ path: String) throws -> stat?
    func read(_ path: String) throws -> [UInt8]
    func readlink(_ path: String) throws -> String?
    func isMountPoint(_ path: String) -> Bool
    func writeNew(_ path: String, _ bytes: [UInt8], mode: UInt32) throws
    func rename(_ from: String, _ to: String) throws
    func rewriteInPlace(_ path: String, _ bytes: [UInt8]) throws
    func symlink(target: String, at path: String) throws
    func unlink(_ path: String) throws
    /// `if_nametoindex`: nil when there is no such interface.
    func interfaceIndex(_ name: String) -> UInt32?
}

struct SystemFiles: ResolvFiles {
    func lstat(_ path: String) throws -> stat? { try Posix.lstat(path) }
    func read(_ path: String) throws -> [UInt8] { try Posix.readFile(path, limit: 1 << 20) }
    func readlink(_ path: String) throws -> String? { try Posix.readlink(path) }
    func interfaceIndex(_ name: String) -> UInt32? {
        let index = if_nametoindex(name)
        return index == 0 ? nil : index
    }

    /// A bind-mounted file (containers, `ip netns exec`) is its own mount: rename onto it fails
    /// with EBUSY, so we rewrite it in place instead of leaving a temp file behind in /etc.
    func isMountPoint(_ path: String) -> Bool {
        guard let file = try? Posix.mountID(path), let dir = try? Posix.mountID(RuntimePaths.directory(of: path))
        else { return false }
        return file != dir
    }

    func writeNew(_ path: String, _ bytes: [UInt8], mode: UInt32) throws {
        let fd = try Posix.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: mode_t(mode))
        defer { Posix.closeQuietly(fd) }
        try Posix.call("fchmod") { fchmod(fd, mode_t(mode)) }  // umask must not change the mode
        try Posix.write(fd, bytes)
        try Posix.fsync(fd)
    }

    func rename(_ from: String, _ to: String) throws { try Posix.rename(from, to) }

    func rewriteInPlace(_ path: String, _ bytes: [UInt8]) throws {
        let fd = try Posix.open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW)
        defer { Posix.closeQuietly(fd) }
        try Posix.write(fd, bytes)
        try Posix.fsync(fd)
    }

    func symlink(target: String, at path: String) throws { try Posix.symlink(target: target, at: path) }
    func unlink(_ path: String) throws { try Posix.unlinkIfPresent(path) }
}

/// `resolv.conf` mode (the text is `HostState.ResolvConfText`): our file names the DNS worker's
/// addresses and carries a marker line; the original (file, symlink, or nothing) is restored only
/// while our marker is still there.
struct ResolvConf: ResolverConfigurator {
    let path: String
    var files: any ResolvFiles = SystemFiles()

    var tempPath: String { RuntimePaths.directory(of: path) + "/.resolv.conf.boundary-agent" }

    /// The file's text; nil when it is absent or not UTF-8.
    func text() throws -> String? {
        guard try files.lstat(path) != nil else { return nil }
        return String(validating: try files.read(path), as: UTF8.self)
    }

    /// A scoped address (`fe80::1%eth0`) keeps its interface, as an index the DNS worker connects with;
    /// one naming an interface that is not there is left out, like anything unparsable.
    func baseUpstreams() throws -> [UpstreamServer] {
        ResolvConfText.nameservers(in: try text() ?? "").compactMap {
            UpstreamServer(nameserver: $0, interfaceIndex: files.interfaceIndex)
        }
    }

    func backup() throws -> ResolverBackup {
        guard let st = try files.lstat(path) else { return ResolverBackup(path: path, original: .absent) }
        // Our own file is never "the original": it names a dead agent (see `rebuildOrphan`).
        guard !isOurs() else { throw HelperError.resolver("\(path) is already ours; not backing it up") }
        switch st.st_mode & S_IFMT {
        case S_IFLNK:
            guard let target = try files.readlink(path) else { throw HelperError.resolver("\(path): unreadable link") }
            return ResolverBackup(path: path, original: .symlink(target: target))
        case S_IFREG:
            return ResolverBackup(path: path, original: .file(content: try files.read(path), mode: st.st_mode & 0o7777))
        default:
            throw HelperError.resolver("\(path) is neither a file nor a symlink")
        }
    }

    func apply(nameservers: [IPAddress]) throws {
        let text = ResolvConfText.ours(nameservers: nameservers, original: try text() ?? "")
        try replace(Array(text.utf8), mode: 0o644)
    }

    func isOurs() -> Bool {
        guard let text = try? text() else { return false }
        return ResolvConfText.isOurs(text)
    }

    func revert(_ backup: ResolverBackup) throws -> Bool {
        guard isOurs() else { return false }
        switch backup.original {
        case .file(let content, let mode):
            try replace(content, mode: mode)
        case .symlink(let target):
            try files.unlink(tempPath)
            try files.symlink(target: target, at: tempPath)
            try files.rename(tempPath, path)
        case .absent:
            try files.unlink(path)
        }
        return true
    }

    /// A file of ours that no state file accounts for (its backup is lost: `state_file` in /run, a
    /// crash, a reboot) names an agent that is gone. Replace it with the nameservers it recorded
    /// (never `ours`), keeping its search domains and options. Returns those nameservers, or nil
    /// when the file is not ours.
    func rebuildOrphan(excluding ours: [IPAddress]) throws -> [String]? {
        guard let text = try text(), ResolvConfText.isOurs(text) else { return nil }
        let rebuilt = ResolvConfText.rebuilt(fromOurs: text, excluding: ours)
        try replace(Array(rebuilt.text.utf8), mode: 0o644)
        return rebuilt.nameservers
    }

    /// Atomic replace (temp file + rename), or in place when `path` is a mount point or rename
    /// says EBUSY/EXDEV (a bind mount we did not detect).
    func replace(_ bytes: [UInt8], mode: UInt32) throws {
        if files.isMountPoint(path) { return try files.rewriteInPlace(path, bytes) }
        try files.unlink(tempPath)
        try files.writeNew(tempPath, bytes, mode: mode)
        do {
            try files.rename(tempPath, path)
        } catch let error as PrivSepError where error.errno == EBUSY || error.errno == EXDEV {
            try? files.unlink(tempPath)
            try files.rewriteInPlace(path, bytes)
        }
    }
}
