/// Paths the helper and the workers derive the same way from the configuration.
public enum RuntimePaths {
    /// The empty, root-owned directory the DNS worker chroots into: `empty` beside the state file
    /// (default /run/boundary-client-agent/empty). The helper creates it.
    public static func emptyDirectory(stateFile: String) -> String {
        directory(of: stateFile) + "/empty"
    }

    /// The broker's status journal: `status-journal` beside the API socket, in the runtime directory
    /// (default /run/boundary-client-agent/status-journal). The helper opens it and passes the fd; it
    /// lives in /run so status errors and warnings outlast restarts of the agent but not a reboot
    /// (the state file may live on disk: a crash followed by a reboot must still be undone).
    public static func statusJournal(apiSocketPath: String) -> String {
        directory(of: apiSocketPath) + "/status-journal"
    }

    /// The directory part of `path` ("/" for a file at the root).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }
}
