# Phases 3-5 (sourced by bench/run.sh): relay throughput (iperf3), connection rate (wrk), first
# connection (bench/firstconn.py). Clients run as the bench user.

# relay_contender NAME PORT-KIND: "ADDRESS PORT PID..." (the relay processes whose CPU counts).
relay_contender() {
    local name=$1 kind=$2
    case $name:$kind in
    agent:iperf) echo "$IPERF_ALIAS_IP $IPERF_PORT $AGENT_PROXY_PID $(pid_of controller)" ;;
    agent:web) echo "$WEB_ALIAS_IP $WEB_PORT $AGENT_PROXY_PID $(pid_of controller)" ;;
    haproxy:iperf) echo "127.0.0.1 7001 $(pid_of haproxy-a) $(pid_of haproxy-b)" ;;
    haproxy:web) echo "127.0.0.1 7002 $(pid_of haproxy-a) $(pid_of haproxy-b)" ;;
    direct:iperf) echo "127.0.0.1 $IPERF_PORT" ;;
    direct:web) echo "127.0.0.1 $WEB_PORT" ;;
    esac
}

# iperf_run MODE CONTENDER REP ARGS...: Gbit/s and relay CPU seconds per GB moved. For the agent the
# first relay process is the broker (the client side, like haproxy A) and the second the dev worker.
iperf_run() {
    local mode=$1 contender=$2 rep=$3
    shift 3
    local address port pids out t0 t1 a0 a1 gbps bytes
    read -r address port pids < <(relay_contender "$contender" iperf)
    local first=${pids%% *}
    mem_sampler "$WORK/mem.relay" $pids
    local sampler=$SAMPLER_PID
    t0=$(cpu_ticks $pids)
    a0=$(cpu_ticks $first)
    out=$(as_user iperf3 -c "$address" -p "$port" -t "$IPERF_SECONDS" -J "$@" 2>&1)
    t1=$(cpu_ticks $pids)
    a1=$(cpu_ticks $first)
    mem_sampler_stop "$sampler"
    read -r gbps bytes < <(echo "$out" | python3 -c 'import json,sys
try:
    e = json.load(sys.stdin)["end"]["sum_received"]
    print("%.3f %d" % (e["bits_per_second"] / 1e9, e["bytes"]))
except Exception:
    print("")')
    if [ -z "$gbps" ]; then
        fail "relay $mode/$contender: iperf3 failed: $(echo "$out" | grep -m1 error)"
        return
    fi
    record "relay_$mode" "$contender" "$rep" gbps "$gbps" "Gbit/s"
    if [ -n "$pids" ]; then
        local gb
        gb=$(awk -v b="$bytes" 'BEGIN { print b / 1e9 }')
        record "relay_$mode" "$contender" "$rep" cpu_s_per_gb \
            "$(awk -v t=$((t1 - t0)) -v gb="$gb" -v hz="$CLK_TCK" 'BEGIN { printf "%.3f", t / hz / gb }')" "s/GB"
        record "relay_$mode" "$contender" "$rep" cpu_s_per_gb_client_side \
            "$(awk -v t=$((a1 - a0)) -v gb="$gb" -v hz="$CLK_TCK" 'BEGIN { printf "%.3f", t / hz / gb }')" "s/GB"
        local r p u
        read -r r p u <"$WORK/mem.relay"
        record "memory_relay_$mode" "$contender" "$rep" rss_kb "$r" KiB
        record "memory_relay_$mode" "$contender" "$rep" pss_kb "$p" KiB
    fi
    say "  relay $mode $contender #$rep: $gbps Gbit/s"
}

phase_relay() {
    say "phase 3: relay throughput (iperf3 -t $IPERF_SECONDS: one stream, -R, -P 8)"
    local rep c
    for ((rep = 1; rep <= REPS; rep++)); do
        for c in agent haproxy direct; do iperf_run single "$c" $rep; done
        for c in agent haproxy direct; do iperf_run reverse "$c" $rep -R; done
        for c in agent haproxy direct; do iperf_run parallel8 "$c" $rep -P 8; done
    done
    # While the agent carries connections its memory grows; what it holds once they are gone:
    sleep 1
    local r p u
    read -r r p u < <(mem_sum_kb $AGENT_PID $AGENT_DNS_PID $AGENT_PROXY_PID)
    record memory_after_relay agent-total 1 rss_kb "$r" KiB
    record memory_after_relay agent-total 1 pss_kb "$p" KiB
}

# wrk_run CONTENDER REP: connections per second (one request per connection, Connection: close) and
# the relay's CPU milliseconds per connection.
wrk_run() {
    local contender=$1 rep=$2
    local address port pids out t0 t1 rate requests errors
    read -r address port pids < <(relay_contender "$contender" web)
    t0=$(cpu_ticks $pids)
    out=$(as_user wrk -t 1 -c 8 -d "${WRK_SECONDS}s" -H "Connection: close" "http://$address:$port/" 2>&1)
    t1=$(cpu_ticks $pids)
    rate=$(echo "$out" | awk '/^Requests\/sec:/ { print $2 }')
    requests=$(echo "$out" | awk '/requests in/ { print $1 }')
    errors=$(echo "$out" | awk '/Socket errors:/ { gsub(/,/, ""); s += $4 + $6 + $8 + $10 } /Non-2xx/ { s += $5 } END { print s + 0 }')
    if [ -z "$rate" ] || [ "${requests:-0}" = 0 ]; then
        fail "connrate/$contender: wrk failed: $(echo "$out" | tail -3)"
        return
    fi
    record connrate "$contender" "$rep" conn_per_s "$rate" "connections/s"
    record connrate "$contender" "$rep" errors "${errors:-0}" ""
    if [ -n "$pids" ]; then
        record connrate "$contender" "$rep" cpu_ms_per_conn \
            "$(awk -v t=$((t1 - t0)) -v n="$requests" -v hz="$CLK_TCK" 'BEGIN { printf "%.3f", t * 1000 / hz / n }')" "ms"
    fi
    say "  connrate $contender #$rep: $rate connections/s (${errors:-0} errors)"
}

phase_connrate() {
    say "phase 4: connection rate (wrk -t 1 -c 8 -d ${WRK_SECONDS}s, Connection: close, to nginx)"
    local rep c
    for ((rep = 1; rep <= REPS; rep++)); do
        for c in agent haproxy direct; do wrk_run "$c" $rep; done
    done
}

phase_firstconn() {
    say "phase 5: first connection to $FIRSTCONN_COUNT new aliases (DNS query to first byte back)"
    local mode=dns
    [ "$AGENT_DNS_OK" = 1 ] || mode=explain
    if [ $mode = explain ]; then
        note "first connection: the DNS worker is the stub, so each alias address comes from the local API (untimed) and the clock starts at connect; the session is authorised at connect, not ahead at the DNS query"
        local i
        for ((i = 0; i < FIRSTCONN_COUNT; i++)); do echo "fc$i.bench.test $(agent_alias_ip fc$i.bench.test)"; done >"$WORK/fc-addresses.txt"
    fi
    local out
    out=$(as_user /usr/bin/python3 "$BENCH_DIR/firstconn.py" --mode $mode --dns "$AGENT_DNS" --port "$WEB_PORT" \
        --count "$FIRSTCONN_COUNT" --addresses "$WORK/fc-addresses.txt" 2>&1)
    local line
    line=$(echo "$out" | tail -1)
    if ! echo "$line" | grep -q '^{'; then
        fail "first connection probe failed: $out"
        return
    fi
    local key
    for key in p50_ms p99_ms dns_p50_ms connected_ok; do
        record firstconn agent 1 "$key" "$(echo "$line" | python3 -c "import json,sys; print(json.load(sys.stdin)['$key'])")" \
            "$([ $key = connected_ok ] || echo ms)"
    done
    say "  first connection: $line"
}
