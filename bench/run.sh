#!/usr/bin/env bash
# The benchmark (issue 8): boundary-client-agent side by side with unbound, dnsmasq and haproxy, in
# private network namespaces, as root. `make bench` builds the release binaries and runs this.
#
#   bench/run.sh [PHASE...]        phases: alias forward relay connrate firstconn scale (default: all)
#
# Environment (defaults in brackets):
#   BCA_BIN          the binaries [.build/release]
#   BENCH_REPS       repetitions of every measurement, contenders interleaved (A B C A B C ...) [3]
#   BENCH_FORWARD_REPS   repetitions of the forwarding phase, whose ratio moves most between them
#                    [BENCH_REPS, at least 5]
#   BENCH_QUICK=1    one repetition and short runs, for developing the benchmark itself
#   BENCH_OUT        where results go [bench/results]; BENCH_DATE names the files [today, UTC]
#   BENCH_SCALE_USERS / BENCH_SCALE_ALIASES   the scale phase's users and aliases per user [10 / 100000]
#   BENCH_SCALE_SHARED=1   every user has the same aliases (default: distinct ones, a million names)
#   BENCH_SCALE_NS   the scale phase's network namespace, for a second run beside another [bca-bench-scale]
#
# Output: $BENCH_OUT/<date>.json (every measurement, medians, ratios, targets), <date>.md (the
# table of ratios) and <date>.png (the chart), written by bench/report.py.
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
export BCA_ROOT=$(cd "$BENCH_DIR/.." && pwd)
export BCA_BIN=${BCA_BIN:-$BCA_ROOT/.build/release}
. "$BCA_ROOT/Tests/integration/lib.sh"
. "$BENCH_DIR/lib.sh"
. "$BENCH_DIR/setup.sh"
. "$BENCH_DIR/dns.sh"
. "$BENCH_DIR/relay.sh"
. "$BENCH_DIR/scale.sh"

need_root
need_tool ip nft dnsperf unbound dnsmasq haproxy iperf3 wrk nginx openssl gnuplot curl dig python3 runuser
need_bin boundary-agent-helper boundary-agent-dns boundary-agent-proxy boundary-dev-controller dns-test-server

REPS=${BENCH_REPS:-3}
FORWARD_REPS=${BENCH_FORWARD_REPS:-$((REPS > 5 ? REPS : 5))}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
    REPS=${BENCH_REPS:-1}
    FORWARD_REPS=${BENCH_FORWARD_REPS:-$REPS}
    DNS_SECONDS=${DNS_SECONDS:-3}
    LATENCY_SECONDS=${LATENCY_SECONDS:-2}
    FORWARD_SECONDS=${FORWARD_SECONDS:-2}
    IPERF_SECONDS=${IPERF_SECONDS:-2}
    WRK_SECONDS=${WRK_SECONDS:-2}
fi
# dnsperf -l for alias answers (the issue's 10 s), the fixed-rate latency run, forwarding runs.
DNS_SECONDS=${DNS_SECONDS:-10}
LATENCY_SECONDS=${LATENCY_SECONDS:-4}
FORWARD_SECONDS=${FORWARD_SECONDS:-5}
IPERF_SECONDS=${IPERF_SECONDS:-4}
WRK_SECONDS=${WRK_SECONDS:-4}
SCALE_USERS=${BENCH_SCALE_USERS:-10}
SCALE_ALIASES=${BENCH_SCALE_ALIASES:-100000}
SCALE_SHARED=${BENCH_SCALE_SHARED:-0}

PHASES=("$@")
[ ${#PHASES[@]} -gt 0 ] || PHASES=(alias forward relay connrate firstconn scale)
wants() {
    local p
    for p in "${PHASES[@]}"; do [ "$p" = "$1" ] && return 0; done
    return 1
}

OUT=${BENCH_OUT:-$BENCH_DIR/results}
DATE=${BENCH_DATE:-$(date -u +%F)}
mkdir -p "$OUT"
WORK=$(tmpdir)
chmod 755 "$WORK"
RAW=$WORK/raw.jsonl
: >"$RAW"
# A phase that dies (fatal) must not take the measurements already made with it: keep them, and the
# report of what there is, as <date>.partial.* (registered first, so it runs after the teardowns).
keep_partial() {
    [ -f "$OUT/$DATE.raw.jsonl" ] && [ "$OUT/$DATE.raw.jsonl" -nt "$RAW" ] && return
    [ -s "$RAW" ] || return
    cp "$RAW" "$OUT/$DATE.partial.raw.jsonl"
    python3 "$BENCH_DIR/report.py" "$OUT/$DATE.partial.raw.jsonl" "$OUT/$DATE.partial" >/dev/null 2>&1
    echo "    the measurements made before the failure: $OUT/$DATE.partial.{raw.jsonl,md}" >&3
}
exec 3>&1
# Cleanups run last registered first: registered before any phase's, this one runs after every
# teardown and before lib.sh removes $WORK.
on_exit keep_partial

say "boundary-client-agent benchmark: phases ${PHASES[*]}, $REPS repetition(s) ($FORWARD_REPS for forwarding), binaries $BCA_BIN"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
START=$SECONDS
printf '{"meta":{"date":"%s","started":"%s","load_before":"%s","reps":%s,"forward_reps":%s,"cores":%s,"commit":"%s","kernel":"%s","phases":"%s"}}\n' \
    "$DATE" "$(date -u +%FT%TZ)" "$LOAD_BEFORE" "$REPS" "$FORWARD_REPS" "$(nproc)" \
    "$(git -C "$BCA_ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$BCA_ROOT" diff --quiet 2>/dev/null || echo +)" \
    "$(uname -r)" "${PHASES[*]}" >>"$RAW"

if wants alias || wants forward || wants relay || wants connrate || wants firstconn; then
    bench_setup
    memory_idle
    wants alias && phase_alias
    wants forward && phase_forward
    wants firstconn && phase_firstconn
    wants relay && phase_relay
    wants connrate && phase_connrate
    bench_teardown
fi
wants scale && phase_scale

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
printf '{"meta_end":{"load_after":"%s","seconds":%s}}\n' "$LOAD_AFTER" $((SECONDS - START)) >>"$RAW"
say "done in $((SECONDS - START)) s; load average before: $LOAD_BEFORE, after: $LOAD_AFTER"
cp "$RAW" "$OUT/$DATE.raw.jsonl"
python3 "$BENCH_DIR/report.py" "$OUT/$DATE.raw.jsonl" "$OUT/$DATE" || fail "report.py failed"
ok "results in $OUT/$DATE.{json,md,png}"
finish
