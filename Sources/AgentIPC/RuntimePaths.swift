/// Paths the helper and the workers derive the same way from the configuration.
public enum RuntimePaths {
    /// The empty, root-owned directory the DNS worker chroots into: `empty` beside the state file
    /// (default /run/boundary-client-agent/empty). The helper creates it.
    public static func emptyDirectory(stateFile: String) -> String {
        directory(of: stateFile) + "/empty"
    }

    /// The directory part of `path` ("/" for a file at the root).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }
}
