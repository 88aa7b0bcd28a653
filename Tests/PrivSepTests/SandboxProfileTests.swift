import CSeccomp
import Glibc
import XCTest

@testable import PrivSep

/// The profiles as data. Whether the kernel enforces them is t_sandbox_probe's job (a real process
/// per call, since a filter cannot be removed from the test runner).
final class SandboxProfileTests: XCTestCase {
    let profiles = [SandboxProfile.dnsWorker, SandboxProfile.proxyWorker]

    func testEveryRuleNamesAKnownSyscallAndSaysWhy() {
        for profile in profiles {
            for rule in profile.rules {
                XCTAssertNotEqual(
                    seccomp_syscall_resolve_name(rule.name), __NR_SCMP_ERROR, "\(profile.name): \(rule.name)")
                XCTAssertFalse(rule.reason.isEmpty, "\(profile.name): \(rule.name) has no reason")
            }
        }
    }

    func testDangerousCallsKill() {
        let mustKill = [
            "execve", "execveat", "ptrace", "process_vm_readv", "process_vm_writev", "mount", "umount2", "setuid",
            "setgid", "setresuid", "setresgid", "setgroups", "capset", "bpf", "unshare", "setns", "keyctl",
            "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register", "fork", "vfork",
        ]
        for profile in profiles {
            XCTAssertEqual(profile.defaultAction, .errno(EPERM), profile.name)
            for name in mustKill {
                let rules = profile.rules.filter { $0.name == name }
                XCTAssertEqual(rules.map(\.action), [.killProcess], "\(profile.name): \(name)")
                XCTAssertEqual(rules.first?.checks, [], "\(profile.name): \(name) is killed unconditionally")
            }
            // clone: threads allowed, processes killed, by the CLONE_THREAD bit.
            let clone = profile.rules.filter { $0.name == "clone" }
            XCTAssertEqual(Set(clone.map(\.action)), [.allow, .killProcess], profile.name)
            XCTAssertEqual(profile.rules.first { $0.name == "clone3" }?.action, .errno(ENOSYS), profile.name)
        }
    }

    func testSocketFamiliesPerWorker() {
        func allowedTypes(_ profile: SandboxProfile, _ family: Int32) -> Set<UInt64> {
            Set(
                profile.rules.filter { $0.name == "socket" && $0.action == .allow }
                    .filter { $0.checks.first == ArgumentCheck(0, .equal(UInt64(family))) }
                    .compactMap { rule -> UInt64? in
                        guard rule.checks.count == 2, case .maskedEqual(_, let type) = rule.checks[1].comparison else {
                            return nil
                        }
                        return type
                    })
        }
        let stream = UInt64(SOCK_STREAM.rawValue)
        let dgram = UInt64(SOCK_DGRAM.rawValue)
        XCTAssertEqual(allowedTypes(.dnsWorker, AF_INET), [stream, dgram])
        XCTAssertEqual(allowedTypes(.dnsWorker, AF_INET6), [stream, dgram])
        // The broker resolves controller and worker names by asking the DNS worker over UDP.
        XCTAssertEqual(allowedTypes(.proxyWorker, AF_INET), [stream, dgram])
        XCTAssertEqual(allowedTypes(.proxyWorker, AF_INET6), [stream, dgram])
        for profile in profiles {
            XCTAssertTrue(
                profile.rules.contains {
                    $0.name == "socket" && $0.action == .killProcess
                        && $0.checks == [ArgumentCheck(0, .greaterOrEqual(UInt64(AF_NETLINK) + 1))]
                }, profile.name)
        }
    }

    func testNamedLookup() {
        XCTAssertEqual(SandboxProfile.named("dns-worker")?.name, "dns-worker")
        XCTAssertNil(SandboxProfile.named("helper"))
    }
}
