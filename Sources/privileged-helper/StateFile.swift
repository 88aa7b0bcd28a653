import AgentIPC
import Glibc
import HostState
import PrivSep

/// The state file (`state_file`): every change, written *before* the change is made, so a helper
/// killed at any point leaves a record that `cleanup` or the next start can revert. Written
/// atomically (temp file, fsync, rename); removed on a clean stop.
struct StateFile {
    let path: String
    private(set) var changes: [SystemChange] = []
    var pid: Int32 = getpid()

    init(path: String) {
        self.path = path
    }

    /// The recorded state, or nil when there is no state file.
    static func load(_ path: String) throws -> StateFile? {
        guard try Posix.lstat(path) != nil else { return nil }
        let record: StateRecord
        do {
            record = try StateRecord(bytes: try Posix.readFile(path, limit: 16 << 20))
        } catch let error as HostStateError {
            throw HelperError.stateFile(path, "\(error)")
        }
        var state = StateFile(path: path)
        state.pid = record.pid
        state.changes = record.changes
        return state
    }

    /// Appends `change` and writes the file; call before making the change.
    mutating func record(_ change: SystemChange) throws {
        changes.append(change)
        try save()
    }

    /// Drops `change` (reverted, or found not to be ours) and writes the file.
    mutating func forget(_ change: SystemChange) throws {
        guard let index = changes.lastIndex(of: change) else { return }
        changes.remove(at: index)
        try save()
    }

    func save() throws {
        try Posix.makeDirectory(RuntimePaths.directory(of: path), mode: 0o755)
        let tmp = path + ".tmp"
        let fd = try Posix.open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode: 0o600)
        do {
            try Posix.write(fd, StateRecord(pid: pid, changes: changes).bytes)
            try Posix.fsync(fd)
            try Posix.close(fd)
        } catch {
            Posix.closeQuietly(fd)
            throw error
        }
        try Posix.rename(tmp, path)
    }

    func remove() throws {
        try Posix.unlinkIfPresent(path)
    }

    /// Takes the state file's lock (`<state_file>.lock`, flock) for the life of the process, so two
    /// helpers (or `cleanup` and a running helper) never work on one record. A pid check alone
    /// could be fooled by pid reuse. Returns the lock's fd; keep it open.
    static func lock(_ path: String) throws -> Int32 {
        try Posix.makeDirectory(RuntimePaths.directory(of: path), mode: 0o755)
        let fd = try Posix.open(path + ".lock", O_RDWR | O_CREAT | O_NOFOLLOW, mode: 0o600)
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let err = errno
            Posix.closeQuietly(fd)
            if err == EWOULDBLOCK { throw HelperError.alreadyRunning((try? load(path))??.pid ?? 0) }
            throw PrivSepError.syscall("flock \(path).lock", err)
        }
        return fd
    }
}
