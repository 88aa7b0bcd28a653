# Phases 1 and 2 (sourced by bench/run.sh): alias answers and forwarding, with dnsperf as the bench user.

# dns_contender NAME: "ADDRESS PID..." (the first pid is the DNS server; the rest are the agent's
# other processes, whose CPU is recorded separately).
dns_contender() {
    case $1 in
    agent) echo "$AGENT_DNS $AGENT_DNS_PID $AGENT_PROXY_PID $AGENT_PID" ;;
    ours-test) echo "$OURS_TEST $(pid_of ours-test)" ;;
    unbound) echo "$UNBOUND_ALIAS $(pid_of unbound-alias)" ;;
    dnsmasq) echo "$DNSMASQ_ALIAS $(pid_of dnsmasq-alias)" ;;
    dnsmasq-nocache) echo "$DNSMASQ_FWD $(pid_of dnsmasq-fwd)" ;;
    direct) echo "$UPSTREAM $(pid_of unbound-upstream)" ;;
    esac
}

# dnsperf_run PHASE CONTENDER REP FILE SECONDS [DNSPERF ARGS...]: one throughput run: QPS, lost
# queries, the server's CPU µs per answered query (and, for the agent, its other processes'), and
# the server's largest RSS/PSS during the run.
dnsperf_run() {
    local phase=$1 contender=$2 rep=$3 file=$4 seconds=$5
    shift 5
    local address server others t0 t1 o0 o1 up0 up1 out qps completed lost cpu
    read -r address server others < <(dns_contender "$contender")
    mem_sampler "$WORK/mem.$phase" "$server" $others
    local sampler=$SAMPLER_PID
    t0=$(cpu_ticks "$server")
    o0=$(cpu_ticks $others)
    up0=$(cpu_ticks "$(pid_of unbound-upstream)")
    out=$(as_user dnsperf -s "$address" -d "$file" -c 100 -l "$seconds" "$@" 2>&1)
    t1=$(cpu_ticks "$server")
    o1=$(cpu_ticks $others)
    up1=$(cpu_ticks "$(pid_of unbound-upstream)")
    mem_sampler_stop "$sampler"
    qps=$(echo "$out" | awk '/Queries per second:/ { print $4 }')
    completed=$(echo "$out" | awk '/Queries completed:/ { print $3 }')
    lost=$(echo "$out" | awk '/Queries lost:/ { gsub(/[()%]/, "", $4); print $4 }')
    if [ -z "$qps" ] || [ "${completed:-0}" = 0 ]; then
        fail "$phase/$contender: dnsperf answered nothing: $(echo "$out" | tail -5)"
        return
    fi
    cpu=$(awk -v t=$((t1 - t0)) -v n="$completed" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t * 1e6 / hz / n }')
    record "$phase" "$contender" "$rep" qps "$qps" "queries/s"
    record "$phase" "$contender" "$rep" cpu_us_per_query "$cpu" "µs"
    record "$phase" "$contender" "$rep" lost_pct "$lost" "%"
    if [ -n "$others" ]; then
        record "$phase" "$contender" "$rep" cpu_us_per_query_other_processes \
            "$(awk -v t=$((o1 - o0)) -v n="$completed" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t * 1e6 / hz / n }')" "µs"
    fi
    if [ "$phase" != alias ] && [ "$contender" != direct ]; then
        record "$phase" "$contender" "$rep" upstream_cpu_us_per_query \
            "$(awk -v t=$((up1 - up0)) -v n="$completed" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t * 1e6 / hz / n }')" "µs"
    fi
    local r p u
    read -r r p u <"$WORK/mem.$phase"
    record "memory_$phase" "$contender" "$rep" rss_kb "$r" KiB
    record "memory_$phase" "$contender" "$rep" pss_kb "$p" KiB
    say "  $phase $contender #$rep: $qps q/s, $cpu µs CPU/query, lost $lost%"
}

# dnsperf_latency PHASE CONTENDER REP FILE: p50/p99 of per-query latency at a fixed 10,000 q/s.
dnsperf_latency() {
    local phase=$1 contender=$2 rep=$3 file=$4
    local address rest stats
    read -r address rest < <(dns_contender "$contender")
    stats=$(as_user dnsperf -s "$address" -d "$file" -c 100 -l "$LATENCY_SECONDS" -Q 10000 -v 2>/dev/null |
        awk '/^> / { print $NF }' | sort -g |
        awk '{ a[NR] = $1 } END { if (NR == 0) exit; printf "%.1f %.1f %d\n", a[int(NR * 0.5) + 1] * 1e6, a[int(NR * 0.99) + 1] * 1e6, NR }')
    if [ -z "$stats" ]; then
        fail "$phase/$contender: no latency samples"
        return
    fi
    local p50 p99 n
    read -r p50 p99 n <<<"$stats"
    record "$phase" "$contender" "$rep" p50_us_at_10k "$p50" "µs"
    record "$phase" "$contender" "$rep" p99_us_at_10k "$p99" "µs"
    say "  $phase $contender #$rep at 10k q/s: p50 $p50 µs, p99 $p99 µs ($n answers)"
}

dns_contenders() {
    local list=()
    [ "$AGENT_DNS_OK" = 1 ] && list+=(agent)
    list+=(ours-test "$@")
    echo "${list[@]}"
}

phase_alias() {
    say "phase 1: alias answers ($ALIAS_COUNT names, dnsperf -c 100 -l $DNS_SECONDS; latency at 10k q/s)"
    local rep c
    # One pass over the names first: the agent authorises a session for each alias on its first
    # answer (aliasQueried), which is not what this phase measures.
    for c in $(dns_contenders unbound dnsmasq); do
        as_user dnsperf -s "$(dns_contender "$c" | cut -d' ' -f1)" -d "$WORK/q-alias.txt" -c 10 -n 1 >/dev/null 2>&1
    done
    [ "$AGENT_DNS_OK" = 1 ] && { wait_idle $AGENT_PROXY_PID "$(pid_of controller)" || note "the broker was still busy after the warm-up pass"; }
    for ((rep = 1; rep <= REPS; rep++)); do
        for c in $(dns_contenders unbound dnsmasq); do
            dnsperf_run alias "$c" $rep "$WORK/q-alias.txt" "$DNS_SECONDS"
        done
        for c in $(dns_contenders unbound dnsmasq); do
            dnsperf_latency alias "$c" $rep "$WORK/q-alias.txt"
        done
    done
}

phase_forward() {
    say "phase 2: forwarding to unbound (unique names = misses, 1,000 repeated names = cache hits)"
    local rep c i
    for ((i = 0; i < 1000; i++)); do echo "h$i.fwd.test A"; done >"$WORK/q-hit.txt"
    chmod 644 "$WORK/q-hit.txt"
    # Enough unique names that no run repeats one (dnsperf -n 1: each file is read once), and that
    # none runs out before its time: asking the upstream directly passes 95,000 q/s.
    local names=$((FORWARD_SECONDS * 160000))
    for ((rep = 1; rep <= FORWARD_REPS; rep++)); do
        for c in $(dns_contenders dnsmasq-nocache direct); do
            awk -v n=$names -v p="r$rep-$c" 'BEGIN { for (i = 0; i < n; i++) printf "%s-%d.fwd.test A\n", p, i }' \
                >"$WORK/q-miss.txt"
            chmod 644 "$WORK/q-miss.txt"
            dnsperf_run forward_miss "$c" $rep "$WORK/q-miss.txt" "$FORWARD_SECONDS" -n 1
        done
        for c in $(dns_contenders dnsmasq-nocache direct); do
            as_user dnsperf -s "$(dns_contender "$c" | cut -d' ' -f1)" -d "$WORK/q-hit.txt" -c 10 -n 1 >/dev/null 2>&1
            dnsperf_run forward_hit "$c" $rep "$WORK/q-hit.txt" "$FORWARD_SECONDS"
        done
    done
    rm -f "$WORK/q-miss.txt"
}
