import CPrivSep
import Glibc
import HostState
import PrivSep

/// The DNS listen addresses and the AnyIP local routes, over rtnetlink (CPrivSep's RTM_NEWADDR /
/// RTM_NEWROUTE): no `ip` child process, no parsing of its output, and the kernel's errno comes back
/// as is (EEXIST: someone else's, leave it alone).
enum Addresses {
    /// Adds `address/prefixLength` to `interface`. Returns false when it was already there (not ours
    /// then, so not to be removed later).
    static func addAddress(family: Int32, _ address: [UInt8], prefixLength: Int, interface: String) throws -> Bool {
        let index = try interfaceIndex(interface)
        if cps_rtnl_addr(1, family, address, Int32(prefixLength), index) == 0 { return true }
        if errno == EEXIST { return false }
        throw PrivSepError.syscall(
            "RTM_NEWADDR \(SystemChange.addressText(address))/\(prefixLength) dev \(interface)", errno)
    }

    /// Removes an address we added; one already gone (or its interface) is fine.
    static func removeAddress(family: Int32, _ address: [UInt8], prefixLength: Int, interface: String) throws {
        guard let index = try? interfaceIndex(interface) else { return }
        if cps_rtnl_addr(0, family, address, Int32(prefixLength), index) == 0 { return }
        if [EADDRNOTAVAIL, ENODEV, ENOENT, ESRCH].contains(errno) { return }
        throw PrivSepError.syscall(
            "RTM_DELADDR \(SystemChange.addressText(address))/\(prefixLength) dev \(interface)", errno)
    }

    /// `ip route add local PREFIX dev IF` (table local): every address in the prefix becomes local,
    /// so a connection to any alias address reaches the nftables redirect. False if already there.
    static func addLocalRoute(family: Int32, _ prefix: [UInt8], prefixLength: Int, interface: String) throws -> Bool {
        let index = try interfaceIndex(interface)
        if cps_rtnl_local_route(1, family, prefix, Int32(prefixLength), index) == 0 { return true }
        if errno == EEXIST { return false }
        throw PrivSepError.syscall(
            "RTM_NEWROUTE local \(SystemChange.addressText(prefix))/\(prefixLength) dev \(interface)", errno)
    }

    static func removeLocalRoute(family: Int32, _ prefix: [UInt8], prefixLength: Int, interface: String) throws {
        guard let index = try? interfaceIndex(interface) else { return }
        if cps_rtnl_local_route(0, family, prefix, Int32(prefixLength), index) == 0 { return }
        if [ESRCH, ENOENT, ENODEV].contains(errno) { return }
        throw PrivSepError.syscall(
            "RTM_DELROUTE local \(SystemChange.addressText(prefix))/\(prefixLength) dev \(interface)", errno)
    }

    static func interfaceIndex(_ name: String) throws -> Int32 {
        let index = if_nametoindex(name)
        guard index != 0 else { throw PrivSepError.syscall("if_nametoindex \(name)", ENODEV) }
        return Int32(index)
    }
}
