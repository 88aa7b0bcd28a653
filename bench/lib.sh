# Helpers for bench/run.sh: process CPU and memory from /proc, result records, servers for the
# contenders. Sourced after Tests/integration/lib.sh (namespaces, cleanup, waiting).

# cpu_ticks PID...: utime + stime of the processes (all threads), in clock ticks (CLK_TCK, 100/s).
# The comm field may hold spaces, so everything up to the last ") " goes first.
cpu_ticks() {
    local total=0 p v
    for p in "$@"; do
        v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}')
        total=$((total + ${v:-0}))
    done
    echo "$total"
}

CLK_TCK=$(getconf CLK_TCK)

# ticks_to_seconds TICKS
ticks_to_seconds() { awk -v t="$1" -v hz="$CLK_TCK" 'BEGIN { printf "%.3f", t / hz }'; }

# mem_kb PID: "RSS PSS USS" in KiB (smaps_rollup; USS = private clean + private dirty).
mem_kb() {
    awk '/^Rss:/ { r = $2 } /^Pss:/ { p = $2 } /^Private_(Clean|Dirty):/ { u += $2 }
         END { printf "%d %d %d\n", r, p, u }' "/proc/$1/smaps_rollup" 2>/dev/null || echo "0 0 0"
}

# mem_sum_kb PID...: the sums of mem_kb over the processes.
mem_sum_kb() {
    local p
    for p in "$@"; do mem_kb "$p"; done | awk '{ r += $1; p += $2; u += $3 } END { printf "%d %d %d\n", r, p, u }'
}

# mem_sampler OUT PID...: in the background, every 0.2 s, the largest RSS/PSS/USS sums seen so far go
# to OUT ("RSS PSS USS"); returns the sampler's pid in $SAMPLER_PID. Stop it with mem_sampler_stop.
mem_sampler() {
    local out=$1
    shift
    mem_sum_kb "$@" >"$out"
    (
        max_r=0 max_p=0 max_u=0
        while :; do
            read -r r p u < <(mem_sum_kb "$@")
            [ "$r" -gt "$max_r" ] && max_r=$r
            [ "$p" -gt "$max_p" ] && max_p=$p
            [ "$u" -gt "$max_u" ] && max_u=$u
            echo "$max_r $max_p $max_u" >"$out.tmp" && mv "$out.tmp" "$out"
            sleep 0.2
        done
    ) &
    SAMPLER_PID=$!
}

mem_sampler_stop() {
    kill "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 0
}

# record PHASE CONTENDER REP KEY VALUE [UNIT]: one measurement, as a JSON line in $RAW.
record() {
    local value=$5
    [ -n "$value" ] && [ "$value" != None ] || value=null
    printf '{"phase":"%s","contender":"%s","rep":%s,"key":"%s","value":%s,"unit":"%s"}\n' \
        "$1" "$2" "$3" "$4" "$value" "${6:-}" >>"$RAW"
}

# note TEXT: a line for the report (what ran in which mode, what was skipped and why).
note() {
    echo "    note: $*"
    printf '%s\n' "$*" | python3 -c 'import json,sys; print(json.dumps({"note": sys.stdin.read().strip()}))' >>"$RAW"
}

# say TEXT: progress on stdout.
say() { echo "[$(date +%T)] $*"; }

# load_average: the 1-minute load average now.
load_average() { cut -d' ' -f1 /proc/loadavg; }

# median VALUES...: the median of numbers (for progress lines; the report computes its own).
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# wait_idle PID...: until the processes use (almost) no CPU for half a second, at most 30 s (the
# agent authorises a session for every alias its DNS worker answers for the first time; a
# measurement should not start while that work is still going on).
wait_idle() {
    local deadline=$((SECONDS + 30)) t0 t1
    while [ $SECONDS -lt $deadline ]; do
        t0=$(cpu_ticks "$@")
        sleep 0.5
        t1=$(cpu_ticks "$@")
        [ $((t1 - t0)) -le 2 ] && return 0
    done
    return 1
}
