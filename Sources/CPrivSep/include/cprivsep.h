#ifndef CPRIVSEP_H
#define CPRIVSEP_H
// Wrappers for what Swift cannot import: CMSG_* macros, variadic prctl, _GNU_SOURCE-only calls,
// struct ucred, NETLINK_SOCK_DIAG requests, SO_ORIGINAL_DST. Filled by the privsep work.
#include <stdint.h>

int cps_version(void);
#endif
