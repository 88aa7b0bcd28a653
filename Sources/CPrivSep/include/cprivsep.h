#ifndef CPRIVSEP_H
#define CPRIVSEP_H
// Wrappers for what Swift cannot import (see /work/shared/swift-notes.md §1): the CMSG_* macros,
// variadic prctl, _GNU_SOURCE-only calls (setresuid, struct ucred, posix_spawn_file_actions_addclosefrom_np),
// NETLINK_SOCK_DIAG and rtnetlink requests, SO_ORIGINAL_DST, and a SIGSYS logger for seccomp debugging.
// Every function returns 0 (or a count) on success and -1 with errno set on failure, unless noted.
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

// --- SCM_RIGHTS -----------------------------------------------------------------------------------

/// The most fds one message may carry (our protocol needs one; the kernel allows SCM_MAX_FD = 253).
#define CPS_MAX_FDS 8

/// Flags reported by cps_recv_fds.
#define CPS_RECV_TRUNCATED 1     // MSG_TRUNC: the payload did not fit the buffer
#define CPS_RECV_CTRUNCATED 2    // MSG_CTRUNC, or more fds than `maxfds`: extra fds were closed
#define CPS_RECV_FOREIGN_CMSG 4  // a control message other than SCM_RIGHTS arrived (ignored)

/// sendmsg(2) of `len` bytes with `nfds` fds attached as one SCM_RIGHTS control message.
/// Returns the byte count sent or -1.
ssize_t cps_send_fds(int sock, const void *buf, size_t len, const int *fds, int nfds, int flags);

/// recvmsg(2) with MSG_CMSG_CLOEXEC. Stores up to `maxfds` received fds in `fds` and their number in
/// `*nfds`; fds beyond `maxfds` are closed and reported as CPS_RECV_CTRUNCATED in `*rflags`.
/// Returns the payload length (as the kernel reports it, so a truncated message shows its real size) or -1.
ssize_t cps_recv_fds(int sock, void *buf, size_t len, int *fds, int maxfds, int *nfds, int *rflags, int flags);

// --- process attributes ---------------------------------------------------------------------------

int cps_prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5);
int cps_set_no_new_privs(void);
int cps_get_no_new_privs(void);
int cps_set_dumpable(int on);
int cps_set_pdeathsig(int sig);
int cps_setresuid(uint32_t r, uint32_t e, uint32_t s);
int cps_setresgid(uint32_t r, uint32_t e, uint32_t s);
int cps_getresuid(uint32_t *r, uint32_t *e, uint32_t *s);
int cps_getresgid(uint32_t *r, uint32_t *e, uint32_t *s);

// --- peer credentials, original destination -------------------------------------------------------

/// Mirror of glibc's `struct ucred`, which is _GNU_SOURCE-only and so not imported into Swift.
struct cps_ucred {
    int32_t pid;
    uint32_t uid;
    uint32_t gid;
};

/// getsockopt(SO_PEERCRED) on a connected AF_UNIX socket.
int cps_peercred(int fd, struct cps_ucred *out);

/// SO_ORIGINAL_DST (IPv4) / IP6T_SO_ORIGINAL_DST (IPv6) on a connection the nat table redirected.
/// `addr` receives 4 or 16 bytes in network order, `*port` the port in host order.
int cps_original_dst4(int fd, uint8_t addr[4], uint16_t *port);
int cps_original_dst6(int fd, uint8_t addr[16], uint16_t *port);

// --- NETLINK_SOCK_DIAG ----------------------------------------------------------------------------

/// Exact lookup (one SOCK_DIAG_BY_FAMILY request, not a dump) of the socket with the given 4-tuple.
/// `protocol` is IPPROTO_TCP or IPPROTO_UDP, `family` AF_INET (4-byte addresses) or AF_INET6 (16
/// bytes). Ports in host order. The id is passed to the kernel as given: see PrivSep/SocketOwner.swift
/// for which end goes where (TCP and UDP differ). Returns 0 and the owner's uid and inode, or -1 with
/// errno ENOENT when no socket matches. Opens and closes its own netlink socket.
int cps_sockdiag_lookup(int protocol, int family, const uint8_t *src, uint16_t sport, const uint8_t *dst,
                        uint16_t dport, uint32_t *uid, uint32_t *inode);

/// A NETLINK_SOCK_DIAG socket (close-on-exec) for `cps_sockdiag_lookup_on`; -1 with errno on failure.
int cps_sockdiag_open(void);

/// `cps_sockdiag_lookup` on a socket from `cps_sockdiag_open`, kept for many lookups (two syscalls
/// each instead of four). Replies to earlier requests still queued on it are skipped by sequence
/// number. Not for concurrent use of one socket from several threads.
int cps_sockdiag_lookup_on(int fd, int protocol, int family, const uint8_t *src, uint16_t sport,
                           const uint8_t *dst, uint16_t dport, uint32_t *uid, uint32_t *inode);

// --- rtnetlink ------------------------------------------------------------------------------------

/// RTM_NEWADDR (add != 0, with NLM_F_EXCL) or RTM_DELADDR of `addr`/`prefixlen` on `ifindex`.
/// IPv6 addresses get IFA_F_NODAD so they can be bound at once. The kernel's error comes back in errno
/// (EEXIST: already there; EADDRNOTAVAIL: not there).
int cps_rtnl_addr(int add, int family, const uint8_t *addr, int prefixlen, int ifindex);

/// RTM_NEWROUTE/RTM_DELROUTE of a `local` route (table local, scope host) for `dst`/`prefixlen` via
/// `ifindex`: `ip route add local PREFIX dev IF`, which makes every address in the prefix local
/// ("AnyIP"). errno EEXIST / ESRCH as the kernel reports them.
int cps_rtnl_local_route(int add, int family, const uint8_t *dst, int prefixlen, int ifindex);

// --- posix_spawn ----------------------------------------------------------------------------------

/// posix_spawn(path, argv, envp) with `childfd` as the child's fd 3 and every other fd above 2 closed
/// (posix_spawn_file_actions_addclosefrom_np), stdin from /dev/null, the signal mask emptied and every
/// signal's disposition reset to default (the helper blocks signals for its signalfd; a child must not
/// inherit that). Returns 0 or an errno value (posix_spawn's convention), pid in *pid.
int cps_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[], int childfd);

// --- signals, files ------------------------------------------------------------------------------

/// Blocks `signals` in the calling thread and returns a non-blocking, close-on-exec signalfd for them.
int cps_signalfd(const int *signals, int count);

/// Reads one pending signal from a signalfd: returns the signal number, 0 when none is pending, or -1.
/// `*pid` receives the sender's pid (ssi_pid).
int cps_signalfd_read(int fd, int32_t *pid);

/// The mount id (statx STATX_MNT_ID) of `path` without following a final symlink when `nofollow`.
/// A file whose mount id differs from its directory's is a mount point (e.g. a bind-mounted
/// /etc/resolv.conf), onto which rename(2) fails with EBUSY.
int cps_mount_id(const char *path, int nofollow, uint64_t *id);

// --- memory -------------------------------------------------------------------------------------

/// Unmaps the resident pages of the read-only segments (code, constants) of the executable and of
/// every shared library from this process: madvise(MADV_DONTNEED) over each PT_LOAD segment without
/// PF_W (not the vDSO). The
/// pages stay in the page cache; what the process runs again faults back in (a minor fault). Returns
/// the bytes advised, or -errno.
long cps_drop_program_text(void);

// --- seccomp debugging ----------------------------------------------------------------------------

/// Installs a SIGSYS handler for SCMP_ACT_TRAP rules: it writes "seccomp: blocked syscall N (name)"
/// to `fd` (async-signal-safe write(2)) and makes the call return -EPERM. `names[nr]` (may be NULL)
/// names syscall nr, for nr < count; the array must stay alive. Debug only (`-seccomp-log`).
int cps_install_sigsys_logger(int fd, const char *const *names, int count);

/// How many SIGSYS traps the logger has seen (for tests).
long cps_sigsys_count(void);

/// syscall(2) with six arguments (glibc's is variadic, which Swift does not import). Only
/// sandbox-probe uses it, to make the calls a compromised worker would make.
long cps_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

// --- memory ---------------------------------------------------------------------------------------

/// malloc_trim(0): hands the heap's free pages back to the kernel (madvise/brk only, which the worker
/// sandboxes allow). Returns 1 when memory was released, 0 otherwise.
int cps_malloc_trim(void);

/// mallopt(M_MMAP_THRESHOLD, bytes): blocks of at least `bytes` get their own mapping (mmap/munmap, which
/// the worker sandboxes allow). Returns 1 on success.
int cps_malloc_mmap_threshold(int bytes);

#endif
