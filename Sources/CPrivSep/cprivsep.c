#define _GNU_SOURCE
#include "cprivsep.h"

int cps_version(void) { return 1; }
