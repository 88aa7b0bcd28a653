import CPrivSep
import CSeccomp

#if canImport(Glibc)
    import Glibc
#endif

/// Installs a `SandboxProfile` with libseccomp.
public enum Sandbox {
    public enum Mode: Sendable, Equatable {
        /// Production: the profile as written.
        case enforce
        /// Debug (`-seccomp-log`, not for production): the default action and the kill rules become a
        /// trap that writes the syscall to `fd` and returns EPERM, so one run shows all the allowlist
        /// misses without dying. A call trapped while the thread blocks SIGSYS still kills.
        case log(fd: Int32)
    }

    /// Loads the filter for every thread of the process (TSYNC; swift-notes §2: without it a filter
    /// installed after NIO started covers only the calling thread). Call after the privilege drop and
    /// before creating the event loop group.
    public static func install(_ profile: SandboxProfile, mode: Mode = .enforce) throws {
        let defaultAction = action(profile.defaultAction, mode, isDefault: true)
        guard let ctx = seccomp_init(defaultAction) else {
            throw PrivSepError.syscall("seccomp_init", ENOMEM)
        }
        defer { seccomp_release(ctx) }
        try check("seccomp_attr_set BADARCH") {
            seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, UInt32(SCMP_ACT_KILL_PROCESS))
        }
        try check("seccomp_attr_set TSYNC") { seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) }
        try check("seccomp_attr_set NNP") { seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1) }
        let pid = UInt64(getpid())
        for rule in profile.rules {
            let act = action(rule.action, mode)
            // libseccomp refuses a rule whose action is the default; it would change nothing anyway.
            if act == defaultAction { continue }
            let nr = seccomp_syscall_resolve_name(rule.name)
            guard nr != __NR_SCMP_ERROR else { throw PrivSepError.unknownSyscall(rule.name) }
            var args = rule.checks.map { check -> scmp_arg_cmp in
                switch check.comparison {
                case .equal(let v): return scmp_arg_cmp(arg: check.index, op: SCMP_CMP_EQ, datum_a: v, datum_b: 0)
                case .notEqual(let v): return scmp_arg_cmp(arg: check.index, op: SCMP_CMP_NE, datum_a: v, datum_b: 0)
                case .greaterOrEqual(let v):
                    return scmp_arg_cmp(arg: check.index, op: SCMP_CMP_GE, datum_a: v, datum_b: 0)
                case .maskedEqual(let mask, let value):
                    return scmp_arg_cmp(arg: check.index, op: SCMP_CMP_MASKED_EQ, datum_a: mask, datum_b: value)
                case .equalOwnPID:
                    return scmp_arg_cmp(arg: check.index, op: SCMP_CMP_EQ, datum_a: pid, datum_b: 0)
                }
            }
            try check("seccomp_rule_add \(rule.name)") {
                seccomp_rule_add_array(ctx, act, nr, UInt32(args.count), &args)
            }
        }
        if case .log(let fd) = mode {
            let names = syscallNames()
            try Posix.call("sigaction SIGSYS") { cps_install_sigsys_logger(fd, names.baseAddress, Int32(names.count)) }
        }
        try check("seccomp_load") { seccomp_load(ctx) }
    }

    static func action(_ a: SeccompAction, _ mode: Mode, isDefault: Bool = false) -> UInt32 {
        // In log mode the default and the kill rules trap; explicit errno rules (clone3 → ENOSYS,
        // openat → EACCES) stay as they are: they are deliberate, not misses, and clone3 runs while
        // glibc blocks every signal, where a trap would kill (a blocked SIGSYS is forced to default).
        if case .log = mode, isDefault || a == .killProcess { return UInt32(SCMP_ACT_TRAP) }
        switch a {
        case .allow: return UInt32(SCMP_ACT_ALLOW)
        case .errno(let e): return cseccomp_act_errno(UInt16(e))
        case .killProcess: return UInt32(SCMP_ACT_KILL_PROCESS)
        }
    }

    /// libseccomp returns -errno.
    static func check(_ what: String, _ body: () -> Int32) throws {
        let rc = body()
        if rc < 0 { throw PrivSepError.syscall(what, -rc) }
    }

    /// Syscall names by number for the SIGSYS logger, which cannot allocate. Built once and kept for
    /// the life of the process.
    nonisolated(unsafe) static var nameTable: UnsafeMutableBufferPointer<UnsafePointer<CChar>?>? = nil

    static func syscallNames() -> UnsafeMutableBufferPointer<UnsafePointer<CChar>?> {
        if let table = nameTable { return table }
        let count = 512
        let table = UnsafeMutableBufferPointer<UnsafePointer<CChar>?>.allocate(capacity: count)
        for nr in 0..<count {
            table[nr] = UnsafePointer(seccomp_syscall_resolve_num_arch(UInt32(SCMP_ARCH_NATIVE), Int32(nr)))
        }
        nameTable = table
        return table
    }
}
