import AgentConfig
import AgentIPC
import Glibc
import HostState
import PrivSep

/// Points the system resolver at the DNS worker and back (after Tailscale's OSConfigurator):
/// `resolv.conf` mode now, `systemd-resolved` later as another conformer.
protocol ResolverConfigurator {
    /// The nameservers the system uses now; read before `apply`, handed to the DNS worker.
    func baseUpstreams() throws -> [IPAddress]
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
}

struct SystemFiles: ResolvFiles {
    func lstat(_ path: String) throws -> stat? { try Posix.lstat(path) }
    func read(_ path: String) throws -> [UInt8] { try Posix.readFile(path, limit: 1 << 20) }
    func readlink(_ path: String) throws -> String? { try Posix.readlink(path) }

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

/// `resolv.conf` mode: our file names the DNS worker's addresses and carries a marker line; the
/// original (file, symlink, or nothing) is restored only while our marker is still there.
struct ResolvConf: ResolverConfigurator {
    static let marker = "# boundary-client-agent: managed while the agent runs; the original comes back when it stops"

    let path: String
    var files: any ResolvFiles = SystemFiles()

    var tempPath: String { RuntimePaths.directory(of: path) + "/.resolv.conf.boundary-agent" }

    func baseUpstreams() throws -> [IPAddress] {
        guard try files.lstat(path) != nil, let text = String(validating: try files.read(path), as: UTF8.self) else {
            return []
        }
        return ResolvConf.lines(text).compactMap { fields in
            guard fields.count >= 2, fields[0] == "nameserver" else { return nil }
            // A scoped address (fe80::1%eth0) cannot be an upstream of a worker without that link.
            return IPAddress(fields[1])
        }
    }

    func backup() throws -> ResolverBackup {
        guard let st = try files.lstat(path) else { return ResolverBackup(path: path, original: .absent) }
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
        // Keep what the resolver needs besides nameservers: search domains, options.
        var kept: [String] = []
        if try files.lstat(path) != nil, let text = String(validating: try files.read(path), as: UTF8.self) {
            kept = ResolvConf.lines(text).filter { ["search", "domain", "options", "sortlist"].contains($0[0]) }
                .map { $0.joined(separator: " ") }
        }
        let text = ([ResolvConf.marker] + nameservers.map { "nameserver \($0)" } + kept).joined(separator: "\n") + "\n"
        try replace(Array(text.utf8), mode: 0o644)
    }

    func isOurs() -> Bool {
        guard let bytes = try? files.read(path), let text = String(validating: bytes, as: UTF8.self) else {
            return false
        }
        return text.split(separator: "\n").contains { $0 == ResolvConf.marker }
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

    /// Non-comment lines split into fields.
    static func lines(_ text: String) -> [[String]] {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).compactMap { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let first = fields.first, !first.hasPrefix("#"), !first.hasPrefix(";") else { return nil }
            return fields
        }
    }
}
