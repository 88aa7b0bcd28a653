#ifndef CCAP_SHIM_H
#define CCAP_SHIM_H
#include <sys/capability.h>
#endif
