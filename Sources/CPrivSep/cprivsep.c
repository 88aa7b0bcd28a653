// See include/cprivsep.h. Only what Swift cannot express lives here; the policy is in PrivSep (Swift).
#define _GNU_SOURCE
#include "cprivsep.h"

#include <errno.h>
#include <link.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <malloc.h>
#include <linux/if_addr.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <ucontext.h>
#include <unistd.h>

_Static_assert(sizeof(struct cps_ucred) == sizeof(struct ucred), "cps_ucred must mirror struct ucred");

// <linux/netfilter_ipv4.h> and <linux/netfilter_ipv6/ip6_tables.h> clash with glibc's netinet headers;
// both options are 80 (SO_ORIGINAL_DST at SOL_IP, IP6T_SO_ORIGINAL_DST at SOL_IPV6).
#define CPS_SO_ORIGINAL_DST 80

// --- SCM_RIGHTS -----------------------------------------------------------------------------------

ssize_t cps_send_fds(int sock, const void *buf, size_t len, const int *fds, int nfds, int flags) {
    if (nfds < 0 || nfds > CPS_MAX_FDS) {
        errno = EINVAL;
        return -1;
    }
    union {
        char buf[CMSG_SPACE(sizeof(int) * CPS_MAX_FDS)];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof(control));
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (nfds > 0) {
        msg.msg_control = control.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    return sendmsg(sock, &msg, flags | MSG_NOSIGNAL);
}

ssize_t cps_recv_fds(int sock, void *buf, size_t len, int *fds, int maxfds, int *nfds, int *rflags, int flags) {
    union {
        char buf[CMSG_SPACE(sizeof(int) * CPS_MAX_FDS)];
        struct cmsghdr align;
    } control;
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                         .msg_controllen = sizeof(control.buf)};
    *nfds = 0;
    *rflags = 0;
    // MSG_TRUNC makes the kernel report a too-long SEQPACKET/DGRAM message's real length.
    ssize_t n = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC | MSG_TRUNC);
    if (n < 0) return -1;
    if (msg.msg_flags & MSG_TRUNC) *rflags |= CPS_RECV_TRUNCATED;
    // With MSG_CTRUNC the kernel has already discarded (closed) the fds that did not fit.
    if (msg.msg_flags & MSG_CTRUNC) *rflags |= CPS_RECV_CTRUNCATED;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
            *rflags |= CPS_RECV_FOREIGN_CMSG;
            continue;
        }
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        const unsigned char *data = CMSG_DATA(c);
        for (size_t i = 0; i < count; i++) {
            int fd;
            memcpy(&fd, data + i * sizeof(int), sizeof(int));
            if (*nfds < maxfds) {
                fds[(*nfds)++] = fd;
            } else {
                close(fd);
                *rflags |= CPS_RECV_CTRUNCATED;
            }
        }
    }
    return n;
}

// --- process attributes ---------------------------------------------------------------------------

int cps_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5) {
    return prctl(option, a2, a3, a4, a5);
}
int cps_set_no_new_privs(void) { return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); }
int cps_get_no_new_privs(void) { return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0); }
int cps_set_dumpable(int on) { return prctl(PR_SET_DUMPABLE, on ? 1 : 0, 0, 0, 0); }
int cps_set_pdeathsig(int sig) { return prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0, 0, 0); }
int cps_setresuid(uint32_t r, uint32_t e, uint32_t s) { return setresuid(r, e, s); }
int cps_setresgid(uint32_t r, uint32_t e, uint32_t s) { return setresgid(r, e, s); }
int cps_getresuid(uint32_t *r, uint32_t *e, uint32_t *s) { return getresuid(r, e, s); }
int cps_getresgid(uint32_t *r, uint32_t *e, uint32_t *s) { return getresgid(r, e, s); }

// --- peer credentials, original destination -------------------------------------------------------

int cps_peercred(int fd, struct cps_ucred *out) {
    socklen_t len = sizeof(*out);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, out, &len) < 0) return -1;
    if (len != sizeof(*out)) {
        errno = EPROTO;
        return -1;
    }
    return 0;
}

int cps_original_dst4(int fd, uint8_t addr[4], uint16_t *port) {
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    memset(&sin, 0, sizeof(sin));
    if (getsockopt(fd, SOL_IP, CPS_SO_ORIGINAL_DST, &sin, &len) < 0) return -1;
    if (sin.sin_family != AF_INET) {
        errno = EAFNOSUPPORT;
        return -1;
    }
    memcpy(addr, &sin.sin_addr, 4);
    *port = ntohs(sin.sin_port);
    return 0;
}

int cps_original_dst6(int fd, uint8_t addr[16], uint16_t *port) {
    struct sockaddr_in6 sin6;
    socklen_t len = sizeof(sin6);
    memset(&sin6, 0, sizeof(sin6));
    if (getsockopt(fd, SOL_IPV6, CPS_SO_ORIGINAL_DST, &sin6, &len) < 0) return -1;
    if (sin6.sin6_family != AF_INET6) {
        errno = EAFNOSUPPORT;
        return -1;
    }
    memcpy(addr, &sin6.sin6_addr, 16);
    *port = ntohs(sin6.sin6_port);
    return 0;
}

// --- netlink --------------------------------------------------------------------------------------

// Sends one request to the kernel on a fresh netlink socket and reads the reply into `reply`.
// Returns the reply length, or -1.
static ssize_t netlink_exchange(int proto, void *req, size_t len, void *reply, size_t cap) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
    if (fd < 0) return -1;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    ssize_t n;
    do {
        n = sendto(fd, req, len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
    } while (n < 0 && errno == EINTR);
    if (n < 0) goto fail;
    for (;;) {
        struct sockaddr_nl from;
        socklen_t fromlen = sizeof(from);
        // The kernel answers inside sendto (netlink_unicast_kernel runs the handler synchronously),
        // so the reply is already queued; MSG_DONTWAIT keeps a kernel surprise from blocking us.
        n = recvfrom(fd, reply, cap, MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) goto fail;
        if (from.nl_pid != 0) continue;  // only the kernel may answer
        break;
    }
    close(fd);
    return n;
fail: {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}
}

int cps_sockdiag_open(void) { return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG); }

int cps_sockdiag_lookup_on(int fd, int protocol, int family, const uint8_t *src, uint16_t sport,
                           const uint8_t *dst, uint16_t dport, uint32_t *uid, uint32_t *inode) {
    static uint32_t sequence;  // distinct per request, so a stale reply is recognised
    size_t alen = family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
    if (alen == 0 || (protocol != IPPROTO_TCP && protocol != IPPROTO_UDP)) {
        errno = EINVAL;
        return -1;
    }
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 req;
    } msg;
    memset(&msg, 0, sizeof(msg));
    msg.nlh.nlmsg_len = sizeof(msg);
    msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    msg.nlh.nlmsg_flags = NLM_F_REQUEST;  // no NLM_F_DUMP: an exact lookup
    msg.nlh.nlmsg_seq = __atomic_add_fetch(&sequence, 1, __ATOMIC_RELAXED);
    msg.req.sdiag_family = (uint8_t)family;
    msg.req.sdiag_protocol = (uint8_t)protocol;
    msg.req.idiag_states = ~0U;
    msg.req.id.idiag_sport = htons(sport);
    msg.req.id.idiag_dport = htons(dport);
    memcpy(msg.req.id.idiag_src, src, alen);
    memcpy(msg.req.id.idiag_dst, dst, alen);
    msg.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
    msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    ssize_t n;
    do {
        n = sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&kernel, sizeof(kernel));
    } while (n < 0 && errno == EINTR);
    if (n < 0) return -1;
    long reply[2048 / sizeof(long)];
    for (;;) {
        struct sockaddr_nl from;
        socklen_t fromlen = sizeof(from);
        // The kernel answers inside sendto (netlink_unicast_kernel runs the handler synchronously),
        // so the reply is already queued; MSG_DONTWAIT keeps a kernel surprise from blocking us.
        n = recvfrom(fd, reply, sizeof(reply), MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (from.nl_pid != 0) continue;  // only the kernel may answer
        for (struct nlmsghdr *h = (struct nlmsghdr *)reply; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_seq != msg.nlh.nlmsg_seq) continue;  // a reply to an earlier request
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(h);
                errno = e->error ? -e->error : ENOENT;
                return -1;
            }
            if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY && h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
                const struct inet_diag_msg *m = NLMSG_DATA(h);
                *uid = m->idiag_uid;
                *inode = m->idiag_inode;
                return 0;
            }
            errno = EPROTO;
            return -1;
        }
    }
}

int cps_sockdiag_lookup(int protocol, int family, const uint8_t *src, uint16_t sport, const uint8_t *dst,
                        uint16_t dport, uint32_t *uid, uint32_t *inode) {
    int fd = cps_sockdiag_open();
    if (fd < 0) return -1;
    int rc = cps_sockdiag_lookup_on(fd, protocol, family, src, sport, dst, dport, uid, inode);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

static void add_attr(struct nlmsghdr *h, size_t cap, unsigned short type, const void *data, size_t len) {
    struct rtattr *a = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));
    size_t total = NLMSG_ALIGN(h->nlmsg_len) + RTA_SPACE(len);
    if (total > cap) return;  // callers size their buffers for the attributes they add
    a->rta_type = type;
    a->rta_len = (unsigned short)RTA_LENGTH(len);
    memcpy(RTA_DATA(a), data, len);
    h->nlmsg_len = (uint32_t)total;
}

// Sends a request with NLM_F_ACK and turns the kernel's NLMSG_ERROR answer into 0 or -1/errno.
static int rtnl_ack(struct nlmsghdr *h) {
    long reply[1024 / sizeof(long)];
    ssize_t n = netlink_exchange(NETLINK_ROUTE, h, h->nlmsg_len, reply, sizeof(reply));
    if (n < 0) return -1;
    for (struct nlmsghdr *r = (struct nlmsghdr *)reply; NLMSG_OK(r, (size_t)n); r = NLMSG_NEXT(r, n)) {
        if (r->nlmsg_type == NLMSG_ERROR) {
            const struct nlmsgerr *e = NLMSG_DATA(r);
            if (e->error == 0) return 0;
            errno = -e->error;
            return -1;
        }
    }
    errno = EPROTO;
    return -1;
}

int cps_rtnl_addr(int add, int family, const uint8_t *addr, int prefixlen, int ifindex) {
    size_t alen = family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
    if (alen == 0 || ifindex <= 0) {
        errno = EINVAL;
        return -1;
    }
    struct {
        struct nlmsghdr h;
        struct ifaddrmsg ifa;
        char attrs[128];
    } req;
    memset(&req, 0, sizeof(req));
    req.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
    req.h.nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
    req.h.nlmsg_seq = 1;
    req.ifa.ifa_family = (uint8_t)family;
    req.ifa.ifa_prefixlen = (uint8_t)prefixlen;
    // No duplicate address detection: the address must be bindable at once, and it is ours alone.
    req.ifa.ifa_flags = family == AF_INET6 ? IFA_F_NODAD : 0;
    req.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
    req.ifa.ifa_index = (uint32_t)ifindex;
    add_attr(&req.h, sizeof(req), IFA_LOCAL, addr, alen);
    add_attr(&req.h, sizeof(req), IFA_ADDRESS, addr, alen);
    return rtnl_ack(&req.h);
}

int cps_rtnl_local_route(int add, int family, const uint8_t *dst, int prefixlen, int ifindex) {
    size_t alen = family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
    if (alen == 0 || ifindex <= 0) {
        errno = EINVAL;
        return -1;
    }
    struct {
        struct nlmsghdr h;
        struct rtmsg rt;
        char attrs[128];
    } req;
    memset(&req, 0, sizeof(req));
    req.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
    req.h.nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
    req.h.nlmsg_seq = 1;
    req.rt.rtm_family = (uint8_t)family;
    req.rt.rtm_dst_len = (uint8_t)prefixlen;
    req.rt.rtm_table = RT_TABLE_LOCAL;
    // What `ip route add local PREFIX dev IF` sends; a delete leaves protocol and scope open, as ip does.
    req.rt.rtm_protocol = add ? RTPROT_BOOT : RTPROT_UNSPEC;
    req.rt.rtm_scope = add ? RT_SCOPE_HOST : RT_SCOPE_NOWHERE;
    req.rt.rtm_type = RTN_LOCAL;
    uint32_t table = RT_TABLE_LOCAL;
    uint32_t oif = (uint32_t)ifindex;
    add_attr(&req.h, sizeof(req), RTA_TABLE, &table, sizeof(table));
    add_attr(&req.h, sizeof(req), RTA_DST, dst, alen);
    add_attr(&req.h, sizeof(req), RTA_OIF, &oif, sizeof(oif));
    return rtnl_ack(&req.h);
}

// --- posix_spawn ----------------------------------------------------------------------------------

int cps_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[], int childfd) {
    int rc;
    int src = childfd;
    // adddup2(3, 3) would keep FD_CLOEXEC on older glibc; move the fd out of the way first.
    if (childfd == 3) {
        src = fcntl(childfd, F_DUPFD_CLOEXEC, 10);
        if (src < 0) return errno;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    if ((rc = posix_spawn_file_actions_init(&fa)) != 0) goto out_src;
    if ((rc = posix_spawnattr_init(&attr)) != 0) goto out_fa;
    sigset_t empty, all;
    sigemptyset(&empty);
    sigfillset(&all);
    if ((rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)) != 0) goto out;
    if ((rc = posix_spawn_file_actions_adddup2(&fa, src, 3)) != 0) goto out;
    if ((rc = posix_spawn_file_actions_addclosefrom_np(&fa, 4)) != 0) goto out;
    if ((rc = posix_spawnattr_setsigmask(&attr, &empty)) != 0) goto out;
    if ((rc = posix_spawnattr_setsigdefault(&attr, &all)) != 0) goto out;
    // Own process group: a terminal's Ctrl-C reaches the helper, which stops the workers in order.
    if ((rc = posix_spawnattr_setpgroup(&attr, 0)) != 0) goto out;
    rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    if (rc != 0) goto out;
    rc = posix_spawn(pid, path, &fa, &attr, argv, envp);
out:
    posix_spawnattr_destroy(&attr);
out_fa:
    posix_spawn_file_actions_destroy(&fa);
out_src:
    if (src != childfd) close(src);
    return rc;
}

// --- signals, files ------------------------------------------------------------------------------

int cps_signalfd(const int *signals, int count) {
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < count; i++) sigaddset(&set, signals[i]);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) return -1;
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int cps_signalfd_read(int fd, int32_t *pid) {
    struct signalfd_siginfo si;
    ssize_t n;
    do {
        n = read(fd, &si, sizeof(si));
    } while (n < 0 && errno == EINTR);
    if (n < 0) return errno == EAGAIN ? 0 : -1;
    if (n != (ssize_t)sizeof(si)) {
        errno = EPROTO;
        return -1;
    }
    *pid = (int32_t)si.ssi_pid;
    return (int)si.ssi_signo;
}

int cps_mount_id(const char *path, int nofollow, uint64_t *id) {
    struct statx sx;
    if (statx(AT_FDCWD, path, nofollow ? AT_SYMLINK_NOFOLLOW : 0, STATX_MNT_ID, &sx) < 0) return -1;
    if (!(sx.stx_mask & STATX_MNT_ID)) {
        errno = ENOSYS;
        return -1;
    }
    *id = sx.stx_mnt_id;
    return 0;
}

// --- seccomp debugging ----------------------------------------------------------------------------

static int sigsys_fd = 2;
static const char *const *sigsys_names;
static int sigsys_name_count;
static volatile long sigsys_seen;

static size_t put_str(char *out, size_t at, size_t cap, const char *s) {
    while (*s && at < cap) out[at++] = *s++;
    return at;
}

static size_t put_num(char *out, size_t at, size_t cap, long v) {
    char digits[24];
    int n = 0;
    if (v < 0) {
        if (at < cap) out[at++] = '-';
        v = -v;
    }
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && n < (int)sizeof(digits));
    while (n && at < cap) out[at++] = digits[--n];
    return at;
}

static void sigsys_handler(int sig, siginfo_t *info, void *context) {
    (void)sig;
    int saved = errno;
    int nr = info->si_syscall;
    char line[160];
    size_t at = put_str(line, 0, sizeof(line), "seccomp: blocked syscall ");
    at = put_num(line, at, sizeof(line), nr);
    if (sigsys_names && nr >= 0 && nr < sigsys_name_count && sigsys_names[nr]) {
        at = put_str(line, at, sizeof(line), " (");
        at = put_str(line, at, sizeof(line), sigsys_names[nr]);
        at = put_str(line, at, sizeof(line), ")");
    }
    at = put_str(line, at, sizeof(line) - 1, " -> EPERM\n");
    ssize_t ignored = write(sigsys_fd, line, at);
    (void)ignored;
    __atomic_add_fetch(&sigsys_seen, 1, __ATOMIC_RELAXED);
    // The trapped call has not run; make it return -EPERM, like the ERRNO action would.
    ucontext_t *uc = context;
#if defined(__x86_64__)
    uc->uc_mcontext.gregs[REG_RAX] = -EPERM;
#elif defined(__aarch64__)
    uc->uc_mcontext.regs[0] = (unsigned long long)(long long)-EPERM;
#else
#error "cps_install_sigsys_logger: unsupported architecture"
#endif
    errno = saved;
}

int cps_install_sigsys_logger(int fd, const char *const *names, int count) {
    sigsys_fd = fd;
    sigsys_names = names;
    sigsys_name_count = count;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = sigsys_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGSYS, &sa, NULL);
}

long cps_sigsys_count(void) { return __atomic_load_n(&sigsys_seen, __ATOMIC_RELAXED); }

long cps_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
    return syscall(nr, a1, a2, a3, a4, a5, a6);
}

int cps_malloc_trim(void) { return malloc_trim(0); }
int cps_malloc_mmap_threshold(int bytes) { return mallopt(M_MMAP_THRESHOLD, bytes); }

// --- memory -------------------------------------------------------------------------------------

struct cps_dropped { long advised; int error; };

static int cps_drop_object(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct cps_dropped *result = data;
    // The vDSO is the kernel's special mapping, not a file: leave it.
    if (info->dlpi_name != NULL && strstr(info->dlpi_name, "linux-vdso") != NULL) return 0;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        // Only segments never written: RELRO lives in the writable segment (relocated, then made
        // read-only), and dropping its pages would bring back the file's unrelocated bytes.
        if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W)) continue;
        uintptr_t start = (uintptr_t)(info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
        // Rounded down: a partial last page is left alone rather than risk a neighbour's.
        uintptr_t end = (uintptr_t)(info->dlpi_addr + ph->p_vaddr + ph->p_memsz) & ~(page - 1);
        if (end <= start) continue;
        if (madvise((void *)start, end - start, MADV_DONTNEED) == 0) {
            result->advised += (long)(end - start);
        } else {
            result->error = errno;
        }
    }
    return 0; // the main program, then every shared library (libc, libstdc++, ...)
}

long cps_drop_program_text(void) {
    struct cps_dropped result = {0, 0};
    dl_iterate_phdr(cps_drop_object, &result);
    if (result.advised == 0 && result.error != 0) return -result.error;
    return result.advised;
}
