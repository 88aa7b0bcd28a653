#if canImport(Glibc)
    import Glibc
#endif

extension AdminPolicy {
    /// The uids of `admin_group`: its listed members, and every user whose primary group it is.
    /// Reads NSS (/etc/group, /etc/passwd, or whatever nsswitch says), so it runs before the sandbox;
    /// a change of membership takes effect at the next start. An empty name or an unknown group
    /// leaves root as the only admin.
    public static func resolve(groupName: String) -> AdminPolicy {
        guard !groupName.isEmpty, let group = getgrnam(groupName) else { return AdminPolicy(groupName: groupName) }
        let gid = group.pointee.gr_gid
        var names: [String] = []
        if var member = group.pointee.gr_mem {
            while let name = member.pointee {
                names.append(String(cString: name))
                member += 1
            }
        }
        var uids: Set<UInt32> = []
        for name in names {
            if let user = getpwnam(name) { uids.insert(user.pointee.pw_uid) }
        }
        setpwent()
        while let user = getpwent() {
            if user.pointee.pw_gid == gid { uids.insert(user.pointee.pw_uid) }
        }
        endpwent()
        return AdminPolicy(groupName: groupName, uids: uids)
    }
}
