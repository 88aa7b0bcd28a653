#!/usr/bin/env bash
# Load and soak (make soak; minutes, never part of make test), against the whole agent in a
# namespace with real clients:
#   1. dnsperf for SOAK_DNSPERF_SECONDS (60) at SOAK_QPS (5000) queries/s: no query lost;
#   2. SOAK_QUERIES (1,000,000) more queries: the DNS worker's RSS grows by less than 5 %;
#   3. SOAK_CONNECTIONS (10,000) concurrent connections proxied through one alias at once (the
#      dev worker, a TCP target that holds them): all carried, then all closed, the broker's RSS
#      back near where it was.
# Sources the integration library, so it cleans up after itself like a test.
BCA_ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$BCA_ROOT/Tests/integration/lib.sh"
. "$BCA_ROOT/Tests/integration/agent.sh"
. "$BCA_ROOT/Tests/integration/cli_fixture.sh"
need_tool dnsperf python3 runuser jq curl
NS=bca-hardening-soak
SECONDS_PERF=${SOAK_DNSPERF_SECONDS:-60}
QPS=${SOAK_QPS:-5000}
QUERIES=${SOAK_QUERIES:-1000000}
# Each carried connection costs the broker and the dev worker two fds each: ask for 10,000 unless
# the machine's hard fd limit cannot hold them (20,000 here: then as many as the broker carries,
# BrokerSettings.connectionBudget: (limit - 1,024 reserved) / 2; past it, it refuses and says so).
hard=$(ulimit -Hn)
fit=$(((hard - 1024) / 2))
CONNECTIONS=${SOAK_CONNECTIONS:-$((fit < 10000 ? fit : 10000))}
FDS=$hard
agent_setup $NS
cat >>"$AGENT_CONFIG" <<HCL
admin_group              = ""
max_connections_per_user = $((CONNECTIONS + 100))
HCL
CLI_NS=$NS
CLI_DIR=$AGENT_DIR
CLI_SOCK=$AGENT_DIR/run/agent.sock
chmod 755 "$AGENT_DIR"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# SOAK_KEEP=DIR: copy the agent's and the dev controller's logs there at the end.
[ -n "${SOAK_KEEP:-}" ] && on_exit "mkdir -p '$SOAK_KEEP' && cp '$AGENT_DIR'/agent.log '$AGENT_DIR'/dc.* '$SOAK_KEEP'/"

# --- DNS: dnsperf, then a million queries and the RSS ----------------------------------------------
if [ "${SOAK_SKIP_DNS:-0}" != 1 ]; then
agent_start $NS
for i in $(seq 1 1000); do echo "host$i.example.test A"; done >"$AGENT_DIR/queries.txt"
out=$(in_ns $NS dnsperf -s $AGENT_V4 -d "$AGENT_DIR/queries.txt" -l "$SECONDS_PERF" -Q "$QPS" -c 4 -q 200 2>&1)
sent=$(sed -n 's/.*Queries sent: *\([0-9]*\).*/\1/p' <<<"$out")
lost=$(sed -n 's/.*Queries lost: *\([0-9]*\).*/\1/p' <<<"$out")
log "dnsperf ${SECONDS_PERF}s at ${QPS}/s: sent $sent, lost $lost; $(grep -E 'Queries per second' <<<"$out" | xargs)"
assert_eq "dnsperf: no query lost" 0 "$lost"
dns=$(agent_worker_pid dns)
before=$(rss "$dns")
in_ns $NS dnsperf -s $AGENT_V4 -d "$AGENT_DIR/queries.txt" -n $((QUERIES / 1000)) -c 4 -q 200 >"$AGENT_DIR/million.txt" 2>&1
after=$(rss "$dns")
log "DNS worker RSS: $before kB before $QUERIES queries, $after kB after ($(sed -n 's/.*Queries completed: *\([0-9]*\).*/\1/p' "$AGENT_DIR/million.txt") completed)"
check "DNS worker RSS grew less than 5 % over $QUERIES queries" test $((after * 100)) -lt $((before * 105))
assert_eq "the same DNS worker served all of it" "$dns" "$(agent_worker_pid dns)"
agent_stop
fi

# --- 10,000 concurrent proxied connections ---------------------------------------------------------
test_user bca-u1
cat >"$AGENT_DIR/hold.py" <<'EOF'
# A TCP target that accepts and holds every connection, answering each with one line.
import selectors, socket, sys
sel = selectors.DefaultSelector()
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(4096)
srv.setblocking(False)
sel.register(srv, selectors.EVENT_READ)
held = []
while True:
    for key, _ in sel.select():
        conn, _ = srv.accept()
        conn.sendall(b"held\n")
        held.append(conn)
EOF
cat >"$AGENT_DIR/clients.py" <<'EOF'
# Opens N connections to ADDRESS:PORT at once, waits until every one got the target's line.
import selectors, socket, sys, time
address, port, count, deadline = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), time.time() + float(sys.argv[4])
sel = selectors.DefaultSelector()
pending = {}
for i in range(count):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex((address, port))
    sel.register(s, selectors.EVENT_READ)
    pending[s.fileno()] = s
got = failed = 0
held = []  # every carried connection stays open until all are in: they are concurrent
while pending and time.time() < deadline:
    for key, _ in sel.select(timeout=1):
        s = key.fileobj
        try:
            data = s.recv(16)
        except OSError:
            data = b""
        sel.unregister(s)
        del pending[s.fileno()]
        if data.startswith(b"held"):
            got += 1
            held.append(s)
        else:
            failed += 1
print("carried %d failed %d unanswered %d" % (got, failed, len(pending)), flush=True)
EOF
ulimit -n $FDS
in_ns $NS bash -c "ulimit -n $FDS && exec python3 '$AGENT_DIR/hold.py' 7000" &
on_exit "kill $! 2>/dev/null"
cat >"$AGENT_DIR/controller.json" <<'EOF'
{"users": [{"id": "u_1111111111", "login_name": "alice", "password": "alice-pw"}],
 "targets": [{"id": "ttcp_1111111111", "name": "hold", "address": "127.0.0.1", "port": 7000}],
 "aliases": [{"value": "hold.corp.test", "target": "ttcp_1111111111"}]}
EOF
in_ns $NS bash -c "ulimit -n $FDS && exec '$BCA_BIN/boundary-dev-controller' -config '$AGENT_DIR/controller.json'" \
    >"$AGENT_DIR/dc.out" 2>"$AGENT_DIR/dc.err" &
on_exit "kill $! 2>/dev/null"
wait_for 20 grep -q '^api: ' "$AGENT_DIR/dc.out" || fatal "dev controller"
agent_start $NS
token=$(printf '{"command":"login","attributes":{"login_name":"alice","password":"alice-pw"}}' |
    in_ns $NS curl -s --data-binary @- "$CLI_CTL/v1/auth-methods/$CLI_METHOD:authenticate" | jq -r .attributes.token)
printf '%s\n' "$token" | as_user bca-u1 "$CLI" token add -addr $CLI_CTL -socket "$CLI_SOCK" >/dev/null
resolves() { [ "$(as_user bca-u1 "$CLI" explain hold.corp.test -format json -socket "$CLI_SOCK" | jq -r .resolves)" = true ]; }
wait_for 20 resolves || fatal "alias"
address=$(as_user bca-u1 "$CLI" explain hold.corp.test -format json -socket "$CLI_SOCK" | jq -r .ipv4)
proxy=$(agent_worker_pid proxy)
base=$(rss "$proxy")
out=$(in_ns $NS bash -c "ulimit -n $FDS && exec setpriv --reuid=$(id -u bca-u1) --regid=$(id -g bca-u1) --clear-groups \
    /usr/bin/python3 '$AGENT_DIR/clients.py' '$address' 7000 $CONNECTIONS 180")
peak=$(rss "$proxy")
log "$CONNECTIONS concurrent connections: $out; broker RSS $base kB before, $peak kB after"
assert_eq "every one of $CONNECTIONS concurrent connections was carried" "carried $CONNECTIONS failed 0 unanswered 0" "$out"
assert_eq "by the same broker" "$proxy" "$(agent_worker_pid proxy)"
agent_stop
assert_eq "the agent stops cleanly" 0 "$AGENT_RC"
finish
