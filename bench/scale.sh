# Phase 7 (sourced by bench/run.sh): many users with many aliases each.
#
# SCALE_SHARED=1: every user has the same aliases (one organisation's), instead of distinct ones.
#
# A. Our DNSServer (dns-test-server) with SCALE_USERS views of SCALE_ALIASES distinct names each, next
#    to one with a single 1,000-name view: the same 1,000 queried names (spread over the bench user's
#    big view), interleaved; RSS of both.
# B. The whole agent against a dev controller holding every one of those aliases: SCALE_USERS real OS
#    users sign in; how long and how much CPU until every view is listed and pushed; the agent's RSS;
#    the CPU of delta refreshes (the cycle with nothing changed, and one with one alias added).

scale_name() { echo "s$1-$2.scale.test"; }

# scale_view_line UID K: the dns-test-server command that installs user K's view.
scale_view_line() {
    awk -v uid="$1" -v k="$2" -v n="$SCALE_ALIASES" 'BEGIN {
        printf "view %s ", uid
        for (i = 0; i < n; i++) {
            a = 1681915904 + k * 131072 + i   # 100.64.0.0 + ...
            printf "%ss%d-%d.scale.test=%d.%d.%d.%d", (i ? ";" : ""), k, i, int(a / 16777216), int(a / 65536) % 256, int(a / 256) % 256, a % 256
        }
        printf "\n"
    }'
}

phase_scale() {
    say "phase 7: scale ($SCALE_USERS users x $SCALE_ALIASES aliases)"
    NS=${BENCH_SCALE_NS:-bca-bench-scale}
    netns_create "$NS" "nameserver 127.0.0.31"
    ip -n "$NS" addr add 127.0.0.13/32 dev lo
    ip -n "$NS" addr add 127.0.0.14/32 dev lo
    test_user "$BENCH_USER"
    local uid0 k
    uid0=$(id -u "$BENCH_USER")
    local step=$((SCALE_ALIASES / 1000))
    [ $step -ge 1 ] || step=1
    awk -v n="$SCALE_ALIASES" -v s=$step 'BEGIN { for (i = 0; i < n && i / s < 1000; i += s) printf "s0-%d.scale.test A\n", i }' \
        >"$WORK/q-scale.txt"
    chmod 644 "$WORK/q-scale.txt"

    # A: small (1,000 names) and big servers.
    local small_view
    small_view=$(scale_view_line "$uid0" 0 | awk -v s=$step '{ sub(/^view [0-9]+ /, ""); n = split($0, e, ";"); out = ""
        for (i = 1; i <= n; i++) if ((i - 1) % s == 0 && (i - 1) / s < 1000) out = out (out == "" ? "" : ";") e[i]
        print out }')
    start_bg scale-small "$BCA_BIN/dns-test-server" --udp 127.0.0.13:53 --view "$uid0:$small_view"
    mkfifo "$WORK/big.in"
    exec 8<>"$WORK/big.in"
    ip netns exec "$NS" "$BCA_BIN/dns-test-server" --udp 127.0.0.14:53 <&8 >"$WORK/scale-big.out" 2>&1 &
    echo $! >"$WORK/scale-big.pid"
    on_exit "kill $! 2>/dev/null"
    wait_for 10 grep -q '^ready' "$WORK/scale-small.out" || fatal "small dns-test-server did not start"
    wait_for 10 grep -q '^ready' "$WORK/scale-big.out" || fatal "big dns-test-server did not start"
    local big
    big=$(pid_of scale-big)
    local r0 p0 u0 t0 t1
    read -r r0 p0 u0 < <(mem_kb "$big")
    t0=$(cpu_ticks "$big")
    local started=$SECONDS
    for ((k = 0; k < SCALE_USERS; k++)); do
        local names=$k
        [ "$SCALE_SHARED" = 1 ] && names=0
        if [ $k = 0 ]; then scale_view_line "$uid0" 0; else scale_view_line $((900000 + k)) $names; fi >&8
    done
    echo counters >&8
    wait_for 600 grep -q '^counters' "$WORK/scale-big.out" || fatal "the big views never loaded"
    t1=$(cpu_ticks "$big")
    record scale_dns big 1 load_cpu_s_per_view "$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v u="$SCALE_USERS" 'BEGIN { printf "%.3f", t / hz / u }')" "s"
    say "  loaded $SCALE_USERS x $SCALE_ALIASES names into dns-test-server in $((SECONDS - started)) s"
    assert_eq "the big server answers user 0's alias s0-1234" 100.64.4.210 \
        "$(as_user dig +short +tries=1 +time=2 @127.0.0.14 s0-1234.scale.test)"
    sleep 1
    local r p u
    read -r r p u < <(mem_kb "$big")
    record scale_dns big 1 rss_kb "$r" KiB
    record scale_dns big 1 rss_growth_kb $((r - r0)) KiB
    read -r r p u < <(mem_kb "$(pid_of scale-small)")
    record scale_dns small 1 rss_kb "$r" KiB
    local rep c
    for ((rep = 1; rep <= REPS; rep++)); do
        for c in small big; do scale_dnsperf "$c" $rep; done
    done
    exec 8>&-

    [ "${BENCH_SCALE_AGENT:-1}" = 1 ] && scale_agent
    netns_destroy "$NS"
}

scale_dnsperf() {
    local c=$1 rep=$2 address=127.0.0.13 pid out qps completed t0 t1
    [ "$c" = big ] && address=127.0.0.14
    pid=$(pid_of scale-$c)
    t0=$(cpu_ticks "$pid")
    out=$(as_user dnsperf -s $address -d "$WORK/q-scale.txt" -c 100 -l "$DNS_SECONDS" 2>&1)
    t1=$(cpu_ticks "$pid")
    qps=$(echo "$out" | awk '/Queries per second:/ { print $4 }')
    completed=$(echo "$out" | awk '/Queries completed:/ { print $3 }')
    if [ -z "$qps" ] || [ "${completed:-0}" = 0 ]; then
        fail "scale $c: dnsperf answered nothing"
        return
    fi
    record scale_dns "$c" "$rep" qps "$qps" "queries/s"
    record scale_dns "$c" "$rep" cpu_us_per_query \
        "$(awk -v t=$((t1 - t0)) -v n="$completed" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t * 1e6 / hz / n }')" "µs"
    say "  scale $c #$rep: $qps q/s"
}

# B: the whole agent with SCALE_USERS signed-in users.
scale_agent() {
    say "  the agent with $SCALE_USERS users x $SCALE_ALIASES aliases"
    local k users=()
    for ((k = 0; k < SCALE_USERS; k++)); do
        if [ $k = 0 ]; then users+=("$BENCH_USER"); else users+=("bca-bench$k"); fi
        test_user "${users[$k]}"
    done
    system_user boundary-agent
    {
        echo '{"users": ['
        for ((k = 0; k < SCALE_USERS; k++)); do
            printf '  {"id": "u_scale%05d", "login_name": "scale%d", "password": "password", "targets": ["ttcp_scale%05d"]}%s\n' \
                $k $k "$([ "$SCALE_SHARED" = 1 ] && echo 0 || echo $k)" "$([ $k = $((SCALE_USERS - 1)) ] && echo || echo ,)"
        done
        echo '], "targets": ['
        for ((k = 0; k < SCALE_USERS; k++)); do
            printf '  {"id": "ttcp_scale%05d", "name": "t%d", "address": "127.0.0.1", "port": 8080, "connection_limit": -1}%s\n' \
                $k $k "$([ $k = $((SCALE_USERS - 1)) ] && echo || echo ,)"
        done
        echo '], "aliases": ['
        awk -v u="$([ "$SCALE_SHARED" = 1 ] && echo 1 || echo "$SCALE_USERS")" -v n="$SCALE_ALIASES" 'BEGIN {
            for (k = 0; k < u; k++) for (i = 0; i < n; i++)
                printf "  {\"value\": \"s%d-%d.scale.test\", \"target\": \"ttcp_scale%05d\"}%s\n", k, i, k, (k == u - 1 && i == n - 1) ? "" : ","
        }'
        echo ']}'
    } >"$WORK/controller.json"
    local started=$SECONDS
    start_bg controller "$BCA_BIN/boundary-dev-controller" -config "$WORK/controller.json" \
        -api-listen-address $CTL_API -proxy-listen-address $CTL_PROXY -admin-listen-address 127.0.0.1:9203 -log-level error
    # Up, or gone (then the wait ends at once and the error shows).
    controller_up() {
        grep -q '^api:' "$WORK/controller.out" && return 0
        kill -0 "$(pid_of controller)" 2>/dev/null && return 1
        return 0
    }
    wait_for 300 controller_up && grep -q '^api:' "$WORK/controller.out" ||
        fatal "the dev controller did not start: $(cat "$WORK/controller.out")"
    say "  dev controller up with $((SCALE_USERS * SCALE_ALIASES)) aliases after $((SECONDS - started)) s"
    AGENT_EXTRA_HCL='alias_refresh_interval = "10s"'
    agent_start
    local controller
    controller=$(pid_of controller)
    local r0 p0 u0
    read -r r0 p0 u0 < <(mem_sum_kb $AGENT_PID $AGENT_DNS_PID $AGENT_PROXY_PID)
    local t0 c0 d0
    t0=$(cpu_ticks $AGENT_PROXY_PID)
    d0=$(cpu_ticks $AGENT_DNS_PID)
    c0=$(cpu_ticks "$controller")
    started=$SECONDS
    for ((k = 0; k < SCALE_USERS; k++)); do
        local token
        token=$(controller_token scale$k) || fatal "scale$k could not sign in"
        ip netns exec "$NS" runuser -u "${users[$k]}" -- curl -s --unix-socket "$AGENT_DIR/run/agent.sock" \
            -X POST -H 'content-type: application/json' \
            -d "{\"boundary_addr\":\"http://$CTL_API\",\"token\":\"$token\"}" http://localhost/v1/tokens >/dev/null
    done
    local last=$((SCALE_ALIASES - 1))
    scale_pushed() {
        local k
        for ((k = 0; k < SCALE_USERS; k++)); do
            ip netns exec "$NS" runuser -u "${users[$k]}" -- curl -s --unix-socket "$AGENT_DIR/run/agent.sock" \
                "http://localhost/v1/explain?name=s$([ "$SCALE_SHARED" = 1 ] && echo 0 || echo $k)-$last.scale.test" |
                grep -q '"resolves":true' || return 1
        done
    }
    if ! wait_for 600 scale_pushed; then
        fail "the agent never held every view"
        return
    fi
    local took=$((SECONDS - started))
    record scale_agent agent 1 initial_listing_s "$took" s
    record scale_agent agent 1 initial_listing_broker_cpu_s "$(ticks_to_seconds $(($(cpu_ticks $AGENT_PROXY_PID) - t0)))" s
    record scale_agent agent 1 initial_listing_dns_cpu_s "$(ticks_to_seconds $(($(cpu_ticks $AGENT_DNS_PID) - d0)))" s
    record scale_agent agent 1 initial_listing_controller_cpu_s "$(ticks_to_seconds $(($(cpu_ticks "$controller") - c0)))" s
    say "  every view listed and pushed after $took s"
    sleep 2
    local r p u
    read -r r p u < <(mem_sum_kb $AGENT_PID $AGENT_DNS_PID $AGENT_PROXY_PID)
    record scale_agent agent 1 rss_kb "$r" KiB
    record scale_agent agent 1 pss_kb "$p" KiB
    record scale_agent agent 1 rss_growth_kb $((r - r0)) KiB
    local name
    for name in dns:$AGENT_DNS_PID proxy:$AGENT_PROXY_PID; do
        read -r r p u < <(mem_kb "${name#*:}")
        record scale_agent "${name%%:*}" 1 rss_kb "$r" KiB
    done
    # Delta refreshes: two refresh intervals with nothing changed, then two with one alias added.
    scale_refresh_window unchanged
    ip netns exec "$NS" curl -s -X POST -H 'content-type: application/json' \
        -d '{"value": "new.s0.scale.test", "target": "ttcp_scale00000"}' http://127.0.0.1:9203/admin/aliases >/dev/null
    scale_refresh_window one_added
    assert_contains "the added alias reached the view" '"resolves":true' \
        "$(agent_api 'http://localhost/v1/explain?name=new.s0.scale.test')"
    agent_stop
}

# scale_refresh_window LABEL: CPU of broker, DNS worker and controller over two refresh intervals
# (20 s: every user refreshes twice), per refresh.
scale_refresh_window() {
    local label=$1 b0 d0 c0 b1 d1 c1 refreshes=$((SCALE_USERS * 2))
    b0=$(cpu_ticks $AGENT_PROXY_PID)
    d0=$(cpu_ticks $AGENT_DNS_PID)
    c0=$(cpu_ticks "$(pid_of controller)")
    sleep 20
    b1=$(cpu_ticks $AGENT_PROXY_PID)
    d1=$(cpu_ticks $AGENT_DNS_PID)
    c1=$(cpu_ticks "$(pid_of controller)")
    record scale_refresh "$label" 1 broker_cpu_ms_per_refresh \
        "$(awk -v t=$((b1 - b0)) -v n=$refreshes -v hz="$CLK_TCK" 'BEGIN { printf "%.1f", t * 1000 / hz / n }')" ms
    record scale_refresh "$label" 1 dns_cpu_ms_per_refresh \
        "$(awk -v t=$((d1 - d0)) -v n=$refreshes -v hz="$CLK_TCK" 'BEGIN { printf "%.1f", t * 1000 / hz / n }')" ms
    record scale_refresh "$label" 1 controller_cpu_ms_per_refresh \
        "$(awk -v t=$((c1 - c0)) -v n=$refreshes -v hz="$CLK_TCK" 'BEGIN { printf "%.1f", t * 1000 / hz / n }')" ms
    say "  refresh ($label): broker $(((b1 - b0) * 10)) ms, dns $(((d1 - d0) * 10)) ms, controller $(((c1 - c0) * 10)) ms over $refreshes refreshes"
}
