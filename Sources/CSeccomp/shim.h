#ifndef CSECCOMP_SHIM_H
#define CSECCOMP_SHIM_H
#include <seccomp.h>
#include <stdint.h>

// SCMP_ACT_ERRNO / SCMP_ACT_TRACE are function-like macros, which Swift does not import.
static inline uint32_t cseccomp_act_errno(uint16_t err) { return SCMP_ACT_ERRNO(err); }
#endif
