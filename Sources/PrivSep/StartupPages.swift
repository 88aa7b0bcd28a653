import CPrivSep

/// The resident pages of a long-running process's own code once it serves. A static Swift binary
/// maps its whole text from one file, and starting (configuration, sandbox, bootstrap, the runtime's
/// first metadata lookups) touches most of it in 64 KiB fault-around chunks: megabytes of clean pages
/// that idle process keeps mapped, counted in its RSS, and never runs again. Paging them out once
/// serving leaves what the process then runs, faulted back in from the page cache as it needs it.
public enum StartupPages {
    /// Pages out the program's read-only segments (`MADV_PAGEOUT`). Returns the bytes advised, or
    /// nil when the kernel refused (older than 5.4, or a sandbox without madvise): nothing changes.
    @discardableResult
    public static func release() -> Int? {
        let advised = cps_page_out_program_text()
        return advised >= 0 ? advised : nil
    }
}
