import CCap
import CPrivSep

#if canImport(Glibc)
    import Glibc
#endif

/// An account from the password database.
public struct UserIdentity: Sendable, Equatable {
    public var name: String
    public var uid: UInt32
    public var gid: UInt32

    public init(name: String, uid: UInt32, gid: UInt32) {
        self.name = name
        self.uid = uid
        self.gid = gid
    }

    /// getpwnam_r. NSS may dlopen modules and open files, so call this before any sandbox.
    public static func lookup(_ name: String) throws -> UserIdentity {
        var pw = passwd()
        var result: UnsafeMutablePointer<passwd>? = nil
        var buffer = [CChar](repeating: 0, count: 16384)
        let rc = getpwnam_r(name, &pw, &buffer, buffer.count, &result)
        guard rc == 0 else { throw PrivSepError.syscall("getpwnam_r \(name)", rc) }
        guard result != nil else { throw PrivSepError.unknownUser(name) }
        return UserIdentity(name: name, uid: pw.pw_uid, gid: pw.pw_gid)
    }
}

/// Drops root for good, in the order that was verified on this machine (swift-notes §1): the
/// bounding set must go while we still hold CAP_SETPCAP, i.e. before setresuid; groups before gids
/// before uids; then clear what is left, forbid core dumps and ptrace by our own uid
/// (PR_SET_DUMPABLE 0) and privilege gain by exec (PR_SET_NO_NEW_PRIVS); finally prove it took.
public enum PrivilegeDrop {
    /// `chrootDirectory`, when set, becomes `/` first (needs CAP_SYS_CHROOT, so it goes before the
    /// drop); it should be empty and owned by root.
    public static func drop(to user: UserIdentity, chrootDirectory: String? = nil) throws {
        if let dir = chrootDirectory {
            try Posix.call("chroot \(dir)") { chroot(dir) }
            try Posix.call("chdir /") { chdir("/") }
        }
        // Bounding set: every capability the kernel knows (cap_get_bound < 0 past the last one).
        var cap: cap_value_t = 0
        while cap_get_bound(cap) >= 0 {
            try Posix.call("cap_drop_bound \(cap)") { cap_drop_bound(cap) }
            cap += 1
        }
        try Posix.call("cap_reset_ambient") { cap_reset_ambient() }
        try Posix.call("setgroups") { setgroups(0, nil) }
        try Posix.call("setresgid") { cps_setresgid(user.gid, user.gid, user.gid) }
        try Posix.call("setresuid") { cps_setresuid(user.uid, user.uid, user.uid) }
        guard let caps = cap_init() else { throw PrivSepError.syscall("cap_init", Glibc.errno) }
        defer { cap_free(UnsafeMutableRawPointer(caps)) }
        try Posix.call("cap_clear") { cap_clear(caps) }
        try Posix.call("cap_set_proc") { cap_set_proc(caps) }
        try Posix.call("prctl PR_SET_DUMPABLE") { cps_set_dumpable(0) }
        try Posix.call("prctl PR_SET_NO_NEW_PRIVS") { cps_set_no_new_privs() }
        try verify(user)
    }

    /// Checks that the drop took: all uids and gids are the user's, no supplementary groups, no
    /// capability in any set, no_new_privs set, and setuid(0) fails.
    public static func verify(_ user: UserIdentity) throws {
        var r: UInt32 = 0
        var e: UInt32 = 0
        var s: UInt32 = 0
        try Posix.call("getresuid") { cps_getresuid(&r, &e, &s) }
        guard r == user.uid, e == user.uid, s == user.uid else {
            throw PrivSepError.dropVerification("uids are \(r)/\(e)/\(s)")
        }
        try Posix.call("getresgid") { cps_getresgid(&r, &e, &s) }
        guard r == user.gid, e == user.gid, s == user.gid else {
            throw PrivSepError.dropVerification("gids are \(r)/\(e)/\(s)")
        }
        guard getgroups(0, nil) == 0 else { throw PrivSepError.dropVerification("supplementary groups remain") }
        guard let current = cap_get_proc() else { throw PrivSepError.syscall("cap_get_proc", Glibc.errno) }
        defer { cap_free(UnsafeMutableRawPointer(current)) }
        guard let empty = cap_init() else { throw PrivSepError.syscall("cap_init", Glibc.errno) }
        defer { cap_free(UnsafeMutableRawPointer(empty)) }
        guard cap_compare(current, empty) == 0 else { throw PrivSepError.dropVerification("capabilities remain") }
        guard cap_get_bound(0) == 0 else { throw PrivSepError.dropVerification("bounding set not empty") }
        guard cps_get_no_new_privs() == 1 else { throw PrivSepError.dropVerification("no_new_privs not set") }
        if user.uid != 0 {
            guard setuid(0) == -1 else { throw PrivSepError.dropVerification("setuid(0) succeeded") }
        }
    }
}
