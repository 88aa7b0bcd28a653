import CPrivSep

/// The resident pages of a long-running process's own code once it serves. A static Swift binary
/// maps its whole text from one file, and starting (configuration, sandbox, bootstrap, the runtime's
/// first metadata lookups) touches most of it, and ext4's large page-cache folios map it in chunks of
/// up to megabytes: clean pages the idle process keeps mapped, counted in its RSS, and never runs
/// again. Dropping the mappings once serving leaves what the process then runs, mapped back from the
/// page cache as it needs it. (MADV_PAGEOUT was tried first: it skips large folios and frees nothing.)
public enum StartupPages {
    /// Unmaps the read-only segments of the program and its shared libraries from this process
    /// (`MADV_DONTNEED`; never a written page, so nothing is lost). Returns the bytes advised, or nil when the kernel refused (a
    /// sandbox without madvise): nothing changes.
    /// The heap's free pages go back too (start-up's temporary strings and buffers: about 1 MB in the
    /// helper, whose libnftables parses a whole ruleset to start). With `code: false` only those:
    /// returns 0.
    @discardableResult
    public static func release(code: Bool = true) -> Int? {
        Posix.releaseFreeMemory()
        guard code else { return 0 }
        let advised = cps_drop_program_text()
        return advised >= 0 ? advised : nil
    }
}
