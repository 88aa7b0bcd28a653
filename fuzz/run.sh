#!/usr/bin/env bash
# Runs each libFuzzer target (built by fuzz/build.sh) for FUZZ_SECONDS, with the committed seeds
# (fuzz/corpus/NAME plus the test fixtures named below) and a growing working corpus in
# .build/fuzz/work/NAME (not committed). Prints the inputs executed per target and appends them to
# .build/fuzz/work/stats.tsv; a crash, hang (-timeout), leak or out-of-memory (-rss_limit_mb) stops
# that target with its reproducer in .build/fuzz/work/NAME-crashes/ and makes the script exit 1.
# Usage: FUZZ_SECONDS=60 fuzz/run.sh [NAME...]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# The Swift runtime backtracer reads memory in ways ASan reports; the fuzzer prints its own stack.
export SWIFT_BACKTRACE=enable=no
OUT=${FUZZ_OUT:-$root/.build/fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-10}
ALL="dns hcl ipc json controller-json session-token websocket cli-http local-api"
targets=${*:-$ALL}
work=$OUT/work
mkdir -p "$work"

# Extra seed directories a target reads besides fuzz/corpus/NAME.
extra_seeds() {
    case $1 in
    dns) echo "Tests/fixtures/dns" ;;
    hcl) echo "config Tests/integration/configs/good Tests/integration/configs/bad" ;;
    json) echo "fuzz/corpus/controller-json" ;;
    esac
}

status=0
total=0
for t in $targets; do
    bin=$OUT/fuzz-$t
    [ -x "$bin" ] || {
        echo "fuzz: $bin is not built (fuzz/build.sh $t)" >&2
        status=1
        continue
    }
    mkdir -p "$work/$t" "$work/$t-crashes"
    seeds=("fuzz/corpus/$t")
    for d in $(extra_seeds "$t"); do [ -d "$d" ] && seeds+=("$d"); done
    log=$work/$t.log
    # Leak checking stays on (ASan's LeakSanitizer at exit and every -runs); max_len covers the
    # largest seed; -use_value_profile helps through the comparisons of magic values.
    "$bin" "$work/$t" "${seeds[@]}" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -max_len=8192 -use_value_profile=1 -print_final_stats=1 \
        -artifact_prefix="$work/$t-crashes/" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | awk '{s+=$1} END {print s+0}')
    took=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    total=$((total + runs))
    printf '%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "$runs" "$rc" >>"$work/stats.tsv"
    if [ $rc = 0 ]; then
        printf 'fuzz %-16s %12d inputs in %ss (%s/s), no crash, hang or leak\n' "$t" "$runs" "$SECONDS_EACH" "${took:-?}"
    else
        printf 'fuzz %-16s %12d inputs, FAILED (exit %d): see %s and %s\n' "$t" "$runs" "$rc" "$log" "$work/$t-crashes/"
        grep -m3 -E 'ERROR|invariant|Fatal error|SUMMARY' "$log" | sed 's/^/    /'
        status=1
    fi
done
echo "fuzz: $total inputs in all"
exit $status
