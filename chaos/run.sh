#!/usr/bin/env bash
# make chaos: the crash-safety and sandbox suites at full size (100 rounds of kill -9 at random
# moments, every forbidden call on both workers), then the adversarial and fault suites.
# CHAOS_RUNS and CHAOS_SEED pass through (Tests/integration/t_hardening_chaos.sh).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
export CHAOS_RUNS=${CHAOS_RUNS:-100}
export BCA_HARDENING_FULL=1
exec "$root/Tests/integration/run" t_hardening_chaos t_hardening_sandbox t_hardening_faults t_hardening_resolver \
    t_adversarial t_secrets
