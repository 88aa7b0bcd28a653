# The benchmark's world (sourced by bench/run.sh): one network namespace holding every contender.
#
#   198.18.0.11:53  unbound, 1 thread, the 1,000 alias names as local-data
#   198.18.0.12:53  dnsmasq, the same names as address=
#   198.18.0.13:53  dns-test-server: our DNSServer unsandboxed (the same names as one user's view),
#                   forwarding to 198.18.0.31
#   198.18.0.31:53  unbound, the upstream: *.fwd.test answered by a redirect local-zone (TTL 300)
#   198.18.0.32:53  dnsmasq cache-size=0 forwarding to 198.18.0.31
#   100.64.0.1:53   the agent (helper + sandboxed dns and proxy workers), upstream 198.18.0.31
#   127.0.0.1:5201  iperf3 -s; 127.0.0.1:8080 nginx (the targets)
#   127.0.0.1:9200/9202  the dev controller and its worker (TLS + WebSocket data plane)
#   127.0.0.1:7001, 7002  haproxy A (mode tcp, ssl to B); 127.0.0.1:7443, 7444 haproxy B (TLS
#                   terminated, forwards to iperf3 / nginx)
# The DNS servers listen in 198.18.0.0/15 (RFC 2544's benchmarking range, on lo), not 127.0.0.x: the
# agent cannot listen in 127/8, and a machine may tax datagrams by address class (the VM these were
# first run on traces UDP sent between non-loopback addresses with a BPF program, ~0.15 us a
# datagram), so every DNS contender gets the same kind of address as the agent.
# The bench user bca-bench signs in to the dev controller through the agent; every client
# (dnsperf, iperf3, wrk, the first-connection probe) runs as bca-bench, for every contender.

NS=${BENCH_NS:-bca-bench}
BENCH_USER=bca-bench
UNBOUND_ALIAS=198.18.0.11
DNSMASQ_ALIAS=198.18.0.12
OURS_TEST=198.18.0.13
UPSTREAM=198.18.0.31
DNSMASQ_FWD=198.18.0.32
AGENT_DNS=100.64.0.1
IPERF_PORT=5201
WEB_PORT=8080
CTL_API=127.0.0.1:9200
CTL_PROXY=127.0.0.1:9202
ALIAS_COUNT=1000
FIRSTCONN_COUNT=100

# in the namespace, as the bench user
as_user() { ip netns exec "$NS" runuser -u "$BENCH_USER" -- "$@"; }

# start_bg NAME CMD...: CMD in the namespace in the background, output in $WORK/NAME.out; its pid
# (ip netns exec execs, so $! is the program itself) in $WORK/NAME.pid.
start_bg() {
    local name=$1
    shift
    ip netns exec "$NS" "$@" >"$WORK/$name.out" 2>&1 &
    echo $! >"$WORK/$name.pid"
    on_exit "kill $! 2>/dev/null"
}

pid_of() { cat "$WORK/$1.pid"; }

alias_names() {
    local i
    for ((i = 0; i < ALIAS_COUNT; i++)); do echo "a$i.bench.test"; done
}

# The address unbound, dnsmasq and dns-test-server give alias number I (the agent allocates its own).
alias_ip() { echo "100.80.$(($1 / 250)).$(($1 % 250 + 1))"; }

bench_setup() {
    say "setup: namespace $NS, contenders, the agent"
    test_user "$BENCH_USER"
    system_user boundary-agent
    netns_create "$NS" "nameserver $UPSTREAM"
    for a in $UNBOUND_ALIAS $DNSMASQ_ALIAS $OURS_TEST $UPSTREAM $DNSMASQ_FWD; do
        ip -n "$NS" addr add "$a/32" dev lo 2>/dev/null
    done
    # Connection churn (wrk with Connection: close, three hops through a relay) leaves many sockets in
    # TIME_WAIT: reuse them and widen the port range, inside the namespace only.
    ip netns exec "$NS" sysctl -qw net.ipv4.tcp_tw_reuse=1 "net.ipv4.ip_local_port_range=1024 65000"

    local i uid
    uid=$(id -u "$BENCH_USER")
    alias_names | awk '{ print $1, "A" }' >"$WORK/q-alias.txt"
    chmod 644 "$WORK/q-alias.txt"

    # --- unbound with the names as local-data, and the upstream ---
    {
        unbound_common "$UNBOUND_ALIAS"
        echo '    local-zone: "bench.test." static'
        for ((i = 0; i < ALIAS_COUNT; i++)); do echo "    local-data: \"a$i.bench.test. 5 IN A $(alias_ip $i)\""; done
    } >"$WORK/unbound-alias.conf"
    {
        unbound_common "$UPSTREAM"
        echo '    local-zone: "fwd.test." redirect'
        echo '    local-data: "fwd.test. 300 IN A 192.0.2.1"'
    } >"$WORK/unbound-upstream.conf"
    start_bg unbound-alias unbound -d -c "$WORK/unbound-alias.conf"
    start_bg unbound-upstream unbound -d -c "$WORK/unbound-upstream.conf"

    # --- dnsmasq: the names as address=, and a cacheless forwarder ---
    for ((i = 0; i < ALIAS_COUNT; i++)); do echo "address=/a$i.bench.test/$(alias_ip $i)"; done >"$WORK/dnsmasq-alias.conf"
    start_bg dnsmasq-alias dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
        --listen-address=$DNSMASQ_ALIAS --port=53 --user=root --pid-file= --conf-file="$WORK/dnsmasq-alias.conf"
    start_bg dnsmasq-fwd dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
        --listen-address=$DNSMASQ_FWD --port=53 --user=root --pid-file= --server=$UPSTREAM --cache-size=0

    # --- our DNSServer, unsandboxed (dns-test-server) ---
    local view
    view=$(for ((i = 0; i < ALIAS_COUNT; i++)); do printf 'a%d.bench.test=%s;' $i "$(alias_ip $i)"; done)
    start_bg ours-test "$BCA_BIN/dns-test-server" --udp $OURS_TEST:53 --tcp $OURS_TEST:53 \
        --upstream $UPSTREAM:53 --view "$uid:${view%;}"
    wait_for 10 grep -q '^ready' "$WORK/ours-test.out" || fatal "dns-test-server did not start: $(cat "$WORK/ours-test.out")"

    # --- targets ---
    start_bg iperf3 iperf3 -s -B 127.0.0.1 -p $IPERF_PORT
    web_target
    haproxy_pair

    # --- the dev controller and the agent ---
    dev_controller_start
    agent_start
    agent_sign_in
    for s in $UNBOUND_ALIAS $DNSMASQ_ALIAS $OURS_TEST; do
        assert_eq "$s answers a7.bench.test" "$(alias_ip 7)" "$(as_user dig +short +tries=1 +time=2 @$s a7.bench.test)"
    done
    AGENT_DNS_OK=0
    local answer
    answer=$(as_user dig +short +tries=1 +time=2 @$AGENT_DNS a7.bench.test)
    if [ -n "$answer" ] && [ "$answer" = "$(agent_alias_ip a7.bench.test)" ]; then
        AGENT_DNS_OK=1
        ok "the agent's DNS worker answers a7.bench.test with its alias address ($answer)"
    else
        note "the agent's DNS worker does not answer aliases (got '${answer}'): it is still the stub; DNS rows use dns-test-server (our DNSServer, unsandboxed) only"
    fi
    assert_eq "the upstream answers x.fwd.test" 192.0.2.1 "$(as_user dig +short +tries=1 +time=2 @$UPSTREAM x.fwd.test)"
}

unbound_common() {
    cat <<EOF
server:
    interface: $1
    port: 53
    num-threads: 1
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$WORK"
    pidfile: ""
    use-syslog: no
    logfile: ""
    verbosity: 0
    do-ip6: no
    access-control: 127.0.0.0/8 allow
    access-control: 198.18.0.0/15 allow
    access-control: 100.64.0.0/10 allow
    module-config: "iterator"
EOF
}

web_target() {
    mkdir -p "$WORK/www" "$WORK/nginx"
    echo "hello from the nginx target" >"$WORK/www/index.html"
    nginx_config "$WORK" "127.0.0.1:$WEB_PORT backlog=4096" 4096 crit
    start_bg nginx nginx -c "$WORK/nginx/nginx.conf"
    wait_for 10 ip netns exec "$NS" curl -sf "http://127.0.0.1:$WEB_PORT/" || fatal "nginx did not start"
}

# The haproxy TLS pair doing the data plane's job: A takes plain TCP and opens a TLS 1.3 connection to
# B for each one; B terminates TLS and forwards to the target. Both ends present Ed25519 certificates
# and verify the peer (as the session certificate does on both sides of ours), the suite is
# TLS_AES_128_GCM_SHA256 (what BoringSSL picks for ours on a CPU with AES-NI), and A never resumes
# a TLS session (no-ssl-reuse; B issues no tickets), like ours.
haproxy_pair() {
    local d=$WORK/tls
    mkdir -p "$d"
    (
        cd "$d" || exit 1
        openssl genpkey -algorithm ed25519 -out ca.key
        openssl req -x509 -new -key ca.key -subj /CN=bench-ca -days 2 -out ca.pem
        for n in a b; do
            openssl genpkey -algorithm ed25519 -out $n.key
            openssl req -new -key $n.key -subj /CN=haproxy-$n -out $n.csr
            openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out $n.crt \
                -extfile <(printf 'subjectAltName=DNS:haproxy-%s\n' $n)
            cat $n.crt $n.key >$n.pem
        done
    ) >/dev/null 2>&1 || fatal "openssl could not make the haproxy certificates"
    cat >"$WORK/haproxy-a.cfg" <<EOF
global
    ssl-default-server-ciphersuites TLS_AES_128_GCM_SHA256
    ssl-default-server-options ssl-min-ver TLSv1.3
    maxconn 5000
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend iperf
    bind 127.0.0.1:7001
    default_backend b_iperf
frontend web
    bind 127.0.0.1:7002
    default_backend b_web
backend b_iperf
    server b 127.0.0.1:7443 ssl crt $d/a.pem ca-file $d/ca.pem verify required verifyhost haproxy-b no-ssl-reuse
backend b_web
    server b 127.0.0.1:7444 ssl crt $d/a.pem ca-file $d/ca.pem verify required verifyhost haproxy-b no-ssl-reuse
EOF
    cat >"$WORK/haproxy-b.cfg" <<EOF
global
    ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256
    ssl-default-bind-options ssl-min-ver TLSv1.3 no-tls-tickets
    maxconn 5000
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend iperf
    bind 127.0.0.1:7443 ssl crt $d/b.pem ca-file $d/ca.pem verify required
    default_backend iperf
frontend web
    bind 127.0.0.1:7444 ssl crt $d/b.pem ca-file $d/ca.pem verify required
    default_backend web
backend iperf
    server t 127.0.0.1:$IPERF_PORT
backend web
    server t 127.0.0.1:$WEB_PORT
EOF
    start_bg haproxy-b haproxy -db -f "$WORK/haproxy-b.cfg"
    start_bg haproxy-a haproxy -db -f "$WORK/haproxy-a.cfg"
    wait_for 10 ip netns exec "$NS" curl -sf "http://127.0.0.1:7002/" || fatal "the haproxy pair does not carry HTTP: $(cat "$WORK"/haproxy-*.out)"
}

dev_controller_start() {
    local i
    {
        echo '{"users": [{"id": "u_bench00001", "login_name": "bench", "password": "password"}],'
        echo ' "targets": ['
        echo "  {\"id\": \"ttcp_iperf00001\", \"name\": \"iperf\", \"address\": \"127.0.0.1\", \"port\": $IPERF_PORT, \"connection_limit\": -1},"
        echo "  {\"id\": \"ttcp_web0000001\", \"name\": \"web\", \"address\": \"127.0.0.1\", \"port\": $WEB_PORT, \"connection_limit\": -1}],"
        echo ' "aliases": ['
        echo '  {"value": "iperf.bench.test", "target": "ttcp_iperf00001"},'
        echo '  {"value": "web.bench.test", "target": "ttcp_web0000001"},'
        for ((i = 0; i < FIRSTCONN_COUNT; i++)); do echo "  {\"value\": \"fc$i.bench.test\", \"target\": \"ttcp_web0000001\"},"; done
        for ((i = 0; i < ALIAS_COUNT - 1; i++)); do echo "  {\"value\": \"a$i.bench.test\", \"target\": \"ttcp_web0000001\"},"; done
        echo "  {\"value\": \"a$((ALIAS_COUNT - 1)).bench.test\", \"target\": \"ttcp_web0000001\"}]}"
    } >"$WORK/controller.json"
    start_bg controller "$BCA_BIN/boundary-dev-controller" -config "$WORK/controller.json" \
        -api-listen-address $CTL_API -proxy-listen-address $CTL_PROXY -log-level error
    wait_for 20 grep -q '^api:' "$WORK/controller.out" || fatal "the dev controller did not start: $(cat "$WORK/controller.out")"
}

# The whole agent, as in Tests/integration/agent.sh, at log level info (debug logs cost CPU).
agent_start() {
    AGENT_DIR=$WORK/agent
    mkdir -p "$AGENT_DIR"
    chmod 755 "$AGENT_DIR"
    # A previous agent's log (the scale phase starts a second agent in the same directory) would
    # satisfy the wait for "serving" below before this one's workers exist.
    rm -f "$AGENT_DIR/agent.log" "$AGENT_DIR/helper.out"
    cat >"$AGENT_DIR/agent.hcl" <<HCL
state_file             = "$AGENT_DIR/run/state.json"
operational_state_file = "$AGENT_DIR/lib/operational-state.json"
log_file               = "$AGENT_DIR/agent.log"
api_socket_path        = "$AGENT_DIR/run/agent.sock"
log_level              = "${AGENT_LOG_LEVEL:-info}"
admin_group            = ""
# dnsperf runs as the bench user: the per-uid DNS meter (2,000/s by default) would measure itself.
dns_queries_per_user   = 0
${AGENT_EXTRA_HCL:-}
HCL
    chmod 600 "$AGENT_DIR/agent.hcl"
    ip netns exec "$NS" "$BCA_BIN/boundary-agent-helper" -config "$AGENT_DIR/agent.hcl" >"$AGENT_DIR/helper.out" 2>&1 &
    AGENT_PID=$!
    on_exit "kill -TERM $AGENT_PID 2>/dev/null; sleep 0.5; kill -KILL $AGENT_PID 2>/dev/null"
    wait_for 30 grep -q "helper: serving (" "$AGENT_DIR/agent.log" ||
        fatal "the agent did not start: $(tail -20 "$AGENT_DIR/helper.out" "$AGENT_DIR/agent.log" 2>/dev/null)"
    AGENT_DNS_PID=$(agent_worker_pid dns)
    AGENT_PROXY_PID=$(agent_worker_pid proxy)
    [ -n "$AGENT_DNS_PID" ] && [ -n "$AGENT_PROXY_PID" ] ||
        fatal "no agent workers (dns '$AGENT_DNS_PID', proxy '$AGENT_PROXY_PID'): $(tail -20 "$AGENT_DIR/helper.out" "$AGENT_DIR/agent.log" 2>/dev/null)"
}

agent_stop() {
    kill -TERM "$AGENT_PID" 2>/dev/null
    wait "$AGENT_PID" 2>/dev/null
}

agent_worker_pid() {
    local name=boundary-agent-$1 p
    for p in $(pgrep -P "$AGENT_PID" 2>/dev/null); do
        [ "$(basename "$(readlink /proc/$p/exe)")" = "$name" ] && echo "$p" && return 0
    done
    return 1
}

agent_api() { as_user curl -s --unix-socket "$AGENT_DIR/run/agent.sock" "$@"; }

# agent_alias_ip NAME: the IPv4 address the agent gave alias NAME in the bench user's view.
agent_alias_ip() {
    agent_api "http://localhost/v1/explain?name=$1" | python3 -c 'import json,sys
try: print(json.load(sys.stdin).get("ipv4") or "")
except Exception: print("")'
}

controller_token() {
    ip netns exec "$NS" curl -sf -X POST "http://$CTL_API/v1/auth-methods/ampw_1234567890:authenticate" \
        -H 'content-type: application/json' \
        -d "{\"command\":\"login\",\"attributes\":{\"login_name\":\"$1\",\"password\":\"password\"}}" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["attributes"]["token"])'
}

agent_sign_in() {
    local token out
    token=$(controller_token bench) || fatal "could not sign in at the dev controller"
    out=$(agent_api -X POST -H 'content-type: application/json' \
        -d "{\"boundary_addr\":\"http://$CTL_API\",\"token\":\"$token\"}" http://localhost/v1/tokens)
    assert_contains "the agent accepted the bench user's token" u_bench00001 "$out"
    wait_for 30 bash -c "[ -n \"\$(ip netns exec $NS runuser -u $BENCH_USER -- curl -s --unix-socket $AGENT_DIR/run/agent.sock 'http://localhost/v1/explain?name=a$((ALIAS_COUNT - 1)).bench.test' | grep '\"resolves\":true')\" ]" ||
        fatal "the aliases never reached the view: $(agent_api 'http://localhost/v1/explain?name=iperf.bench.test')"
    IPERF_ALIAS_IP=$(agent_alias_ip iperf.bench.test)
    WEB_ALIAS_IP=$(agent_alias_ip web.bench.test)
    check "iperf.bench.test has an address ($IPERF_ALIAS_IP)" test -n "$IPERF_ALIAS_IP"
    check "nginx answers through the agent" as_user curl -sf --max-time 10 -o /dev/null "http://$WEB_ALIAS_IP:$WEB_PORT/"
}

# memory_idle: RSS/PSS/USS of the agent's processes and the contenders at rest (views pushed).
memory_idle() {
    sleep 2
    local name pid r p u
    for name in helper:$AGENT_PID dns:$AGENT_DNS_PID proxy:$AGENT_PROXY_PID \
        unbound:$(pid_of unbound-alias) dnsmasq:$(pid_of dnsmasq-alias) ours-test:$(pid_of ours-test) \
        haproxy-a:$(pid_of haproxy-a) haproxy-b:$(pid_of haproxy-b) dev-controller:$(pid_of controller); do
        pid=${name#*:}
        read -r r p u < <(mem_kb "$pid")
        record memory_idle "${name%%:*}" 1 rss_kb "$r" KiB
        record memory_idle "${name%%:*}" 1 pss_kb "$p" KiB
        record memory_idle "${name%%:*}" 1 uss_kb "$u" KiB
    done
    local f
    read -r f r p u < <(python3 "$BENCH_DIR/footprint.py" $AGENT_PID $AGENT_DNS_PID $AGENT_PROXY_PID)
    record memory_idle agent-total 1 footprint_kb "$f" KiB
    record memory_idle agent-total 1 rss_kb "$r" KiB
    record memory_idle agent-total 1 pss_kb "$p" KiB
    record memory_idle agent-total 1 uss_kb "$u" KiB
    say "idle memory of helper + dns + proxy: footprint $((f / 1024)) MiB, RSS $((r / 1024)) MiB, PSS $((p / 1024)) MiB, USS $((u / 1024)) MiB"
    read -r f r p u < <(python3 "$BENCH_DIR/footprint.py" "$(pid_of haproxy-a)" "$(pid_of haproxy-b)")
    record memory_idle haproxy-pair 1 footprint_kb "$f" KiB
    record memory_idle haproxy-pair 1 rss_kb "$r" KiB
    read -r f r p u < <(python3 "$BENCH_DIR/footprint.py" "$(pid_of unbound-alias)")
    record memory_idle unbound 1 footprint_kb "$f" KiB
}

bench_teardown() {
    agent_stop
    netns_destroy "$NS"
}
