import CPrivSep

#if canImport(Glibc)
    import Glibc
#endif

/// Starts a program with posix_spawn (swift-notes §2: Foundation's Process closes every fd above 2,
/// so it cannot hand over the control socket). The child gets stdin from /dev/null, stdout/stderr
/// inherited, `controlFD` as its fd 3, nothing else; an empty signal mask and default dispositions;
/// its own process group.
public enum Spawn {
    /// Returns the child's pid.
    public static func spawn(path: String, arguments: [String], environment: [String], controlFD: Int32) throws
        -> pid_t
    {
        let argv = ([path] + arguments).map { strdup($0) }
        let envp = environment.map { strdup($0) }
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var argvNull = argv + [nil]
        var envpNull = envp + [nil]
        var pid: pid_t = 0
        let rc = argvNull.withUnsafeMutableBufferPointer { a in
            envpNull.withUnsafeMutableBufferPointer { e in
                cps_spawn(&pid, path, a.baseAddress, e.baseAddress, controlFD)
            }
        }
        guard rc == 0 else { throw PrivSepError.syscall("posix_spawn \(path)", rc) }
        return pid
    }

    /// "exited 3", "killed by signal 31 (SIGSYS)": a waitpid status for logs and status.
    public static func describe(status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "exited \((status >> 8) & 0xff)" }
        let name = signal == SIGSYS ? " (SIGSYS: seccomp)" : signal == SIGKILL ? " (SIGKILL)" : ""
        return "killed by signal \(signal)\(name)"
    }
}
