#!/usr/bin/env bash
# Two real OS accounts on one host, both signed in: bca-u1 (alice, may use priv.corp.test) and
# bca-u2 (bob, whose grant on it is revoked), plus root without a token and a client in another
# network namespace. Every attack fails and the agent logs it: connecting to the other's alias
# address (v4 and v6), a forged uid anywhere in a local API request (query, headers, body, path, on
# both transports), reading the other's sessions, credentials or process, pausing the whole agent,
# 10,000 connections at once (the per-uid limit refuses past max_connections_per_user; the other
# user's connections still work), a DNS flood at line rate (the helper's per-uid nftables meter,
# dns_queries_per_user, drops the flooder's excess in their own sendto; the other user's queries
# are all answered), root without a token, and a client routed in from another namespace.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cli_fixture.sh"
. "$(dirname "$0")/broker_lib.sh"
need_tool runuser jq curl python3 nginx
NS=bca-adversarial
OTHER=bca-adversarial-x
refused=0
refusal() { refused=$((refused + 1)); }

agent_setup $NS
cat >>"$AGENT_CONFIG" <<'HCL'
admin_group              = ""
alias_refresh_interval   = "2s"
max_connections_per_user = 50
HCL
CLI_NS=$NS
CLI_DIR=$AGENT_DIR
CLI_SOCK=$AGENT_DIR/run/agent.sock
test_user bca-u1
test_user bca-u2
U1=$(id -u bca-u1)
U2=$(id -u bca-u2)
chmod 755 "$AGENT_DIR"
web_target $NS "$AGENT_DIR"
cat >"$AGENT_DIR/controller.json" <<'EOF'
{
  "users": [{"id": "u_1111111111", "login_name": "alice", "password": "alice-pw"},
            {"id": "u_2222222222", "login_name": "bob", "password": "bob-pw"}],
  "targets": [{"id": "ttcp_1111111111", "name": "web", "address": "127.0.0.1", "port": 8080},
              {"id": "ttcp_2222222222", "name": "priv", "address": "127.0.0.1", "port": 8080,
               "credentials": [{"type": "username_password", "name": "priv", "username": "dba", "password": "Alice-Only-Secret"}]}],
  "aliases": [{"value": "web.corp.test", "target": "ttcp_1111111111"},
              {"value": "priv.corp.test", "target": "ttcp_2222222222"}]
}
EOF
ip netns exec $NS "$BCA_BIN/boundary-dev-controller" -config "$AGENT_DIR/controller.json" \
    -admin-listen-address 127.0.0.1:9203 >"$AGENT_DIR/dc.out" 2>"$AGENT_DIR/dc.err" &
on_exit "kill $! 2>/dev/null"
wait_for 20 grep -q '^api: ' "$AGENT_DIR/dc.out" || fatal "dev controller did not start"
in_ns $NS curl -sf -X POST --data-binary '{"user":"u_2222222222","target":"ttcp_2222222222","allow":false}' \
    http://127.0.0.1:9203/admin/grants >/dev/null || fatal "revoking bob's grant"
agent_start $NS
log=$AGENT_DIR/agent.log

token_of() {
    printf '{"command":"login","attributes":{"login_name":"%s","password":"%s-pw"}}' "$1" "$1" |
        in_ns $NS curl -s --data-binary @- "$CLI_CTL/v1/auth-methods/$CLI_METHOD:authenticate" | jq -r .attributes.token
}
alice=$(token_of alice)
bob=$(token_of bob)
printf '%s\n' "$alice" | as_user bca-u1 "$CLI" token add -addr $CLI_CTL -socket "$CLI_SOCK" >/dev/null || fatal "alice"
printf '%s\n' "$bob" | as_user bca-u2 "$CLI" token add -addr $CLI_CTL -socket "$CLI_SOCK" >/dev/null || fatal "bob"
explain() { as_user "$1" "$CLI" explain "$2" -format json -socket "$CLI_SOCK"; }
alice_has_priv() { explain bca-u1 priv.corp.test | jq -e .resolves >/dev/null; }
wait_for 15 alice_has_priv || fatal "priv.corp.test never reached alice's view: $(explain bca-u1 priv.corp.test)"
priv4=$(explain bca-u1 priv.corp.test | jq -r .ipv4)
priv6=$(explain bca-u1 priv.corp.test | jq -r .ipv6)
web4=$(explain bca-u2 web.corp.test | jq -r .ipv4)
assert_eq "bob's view lacks priv.corp.test" false "$(explain bca-u2 priv.corp.test | jq -r .resolves)"
assert_eq "alice reaches priv.corp.test" "hello from the nginx target" "$(as_user bca-u1 curl -s -m 10 "http://$priv4:8080/")"
secret_sessions=$(as_user bca-u1 curl -s --unix-socket "$CLI_SOCK" http://localhost/v1/sessions)
assert_contains "alice's session carries her brokered secret" "Alice-Only-Secret" "$secret_sessions"
alice_session=$(jq -r '.items[0].session_authorization.session_id' <<<"$secret_sessions")

# --- the other user's alias address -------------------------------------------------------------
for address in "$priv4" "[$priv6]"; do
    if as_user bca-u2 curl -s -m 5 -o /dev/null "http://$address:8080/"; then
        fail "bob reached alice's alias at $address"
    else
        ok "bob is refused at alice's alias address $address" && refusal
    fi
done
check "the refusal is logged with bob's uid" grep -q "connection refused: the alias is not in the user's view.*uid=$U2" "$log"
if in_ns $NS curl -s -m 5 -o /dev/null "http://$priv4:8080/"; then fail "root without a token got through"; else
    ok "root without a token is refused" && refusal
fi
check "and logged" grep -q "connection refused: the user has no Boundary token.*uid=0" "$log"

# --- a forged uid anywhere in the request, on both transports ------------------------------------
forge=(-H "X-Uid: $U1" -H "X-Forwarded-User: bca-u1" -H "X-Remote-User: $U1" -H "Authorization: uid=$U1")
api() { # api TRANSPORT METHOD PATH [BODY]
    local transport=$1 method=$2 path=$3 body=${4:-} target=(--unix-socket "$CLI_SOCK" "http://localhost$3")
    [ "$transport" = tcp ] && target=("http://127.0.0.1:9300$path")
    as_user bca-u2 curl -s -X "$method" "${forge[@]}" ${body:+-H content-type:application/json --data-binary "$body"} "${target[@]}"
}
for transport in unix tcp; do
    for path in "/v1/sessions?uid=$U1" "/v1/sessions?uid=$U1&user=bca-u1" "/v1/sessions/../sessions?uid=$U1"; do
        out=$(api $transport GET "$path" "{\"uid\":$U1}")
        assert_not_contains "$transport GET $path: none of alice's sessions" "$alice_session" "$out"
        assert_not_contains "$transport GET $path: none of alice's credentials" "Alice-Only-Secret" "$out" && refusal
    done
    for path in "/v1/users/$U1/sessions" "/v1/sessions/$U1"; do
        assert_eq "$transport GET $path: no such path" NotFound "$(api $transport GET "$path" | jq -r .kind)" && refusal
    done
    out=$(api $transport GET "/v1/status?uid=$U1")
    assert_eq "$transport status with a forged uid: still bob's" "$U2 u_2222222222" "$(jq -r '"\(.uid) \(.user_id)"' <<<"$out")" &&
        refusal
    out=$(api $transport POST "/v1/tokens?uid=$U1" "{\"boundary_addr\":\"$CLI_CTL\",\"token\":\"$bob\",\"uid\":$U1}")
    assert_eq "$transport token with a forged uid lands on bob" "$U2" "$(jq -r .uid <<<"$out")" && refusal
    out=$(api $transport POST "/v1/pause?uid=$U1")
    assert_eq "$transport pause with a forged uid pauses bob only" "user" "$(jq -r .pause_scope <<<"$out")"
    api $transport POST "/v1/resume" >/dev/null
    assert_eq "$transport: alice still running and signed in as herself" "running u_1111111111" \
        "$(as_user bca-u1 curl -s --unix-socket "$CLI_SOCK" http://localhost/v1/status | jq -r '"\(.status) \(.user_id)"')" &&
        refusal
done
api unix DELETE "/v1/tokens?uid=$U1" >/dev/null
assert_eq "a sign-out with a forged uid signs bob out, not alice" "u_1111111111 null" \
    "$(as_user bca-u1 curl -s --unix-socket "$CLI_SOCK" http://localhost/v1/status | jq -r .user_id) $(
        as_user bca-u2 curl -s --unix-socket "$CLI_SOCK" http://localhost/v1/status | jq -r .user_id)" && refusal
printf '%s\n' "$bob" | as_user bca-u2 "$CLI" token add -addr $CLI_CTL -socket "$CLI_SOCK" >/dev/null

# --- reading the other user's credentials or the broker's memory --------------------------------
proxy=$(agent_worker_pid proxy)
for f in environ mem maps fd cmdline; do
    [ $f = cmdline ] && continue # world-readable by design; t_secrets proves it holds nothing
    if as_user bca-u2 bash -c "cat /proc/$proxy/$f >/dev/null 2>&1 || ls /proc/$proxy/$f >/dev/null 2>&1 && [ -r /proc/$proxy/$f ]" 2>/dev/null &&
        as_user bca-u2 head -c1 "/proc/$proxy/$f" >/dev/null 2>&1; then
        fail "bob can read the broker's /proc/$proxy/$f"
    else
        ok "bob cannot read the broker's /proc/$proxy/$f" && refusal
    fi
done
out=$(as_user bca-u2 "$CLI" sessions -format json -socket "$CLI_SOCK")
assert_not_contains "bob's sessions never show alice's secret" "Alice-Only-Secret" "$out" && refusal

# --- pausing the whole agent ---------------------------------------------------------------------
out=$(as_user bca-u2 curl -s -X POST --unix-socket "$CLI_SOCK" "http://localhost/v1/pause?scope=agent")
assert_eq "bob may not pause the whole agent" PermissionDenied "$(jq -r .kind <<<"$out")" && refusal
out=$(as_user bca-u2 curl -s -X POST "http://127.0.0.1:9300/v1/resume?scope=agent")
assert_eq "nor resume it (TCP)" PermissionDenied "$(jq -r .kind <<<"$out")" && refusal
check "the refused agent pause is logged with bob's uid" grep -q "local API request refused.*uid=$U2" "$log"
assert_eq "alice still running" running "$(as_user bca-u1 curl -s --unix-socket "$CLI_SOCK" http://localhost/v1/status | jq -r .status)"

# --- 10,000 connections from bob; alice's still work -----------------------------------------------
cat >"$AGENT_DIR/flood.py" <<'EOF'
import os, socket, sys, time
address, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
held, failed = [], 0
for i in range(count):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect((address, port))
    except BlockingIOError:
        pass
    except OSError:
        failed += 1
        s.close()
        continue
    held.append(s)
print("opened %d (%d failed locally)" % (len(held), failed), flush=True)
open(sys.argv[4], "w").write("ready\n")
time.sleep(float(sys.argv[5]))
EOF
# runuser's PAM session would cap bob at 1024 fds: setpriv keeps the raised limit (bob's own
# programs could raise theirs the same way up to the hard limit).
mkdir -m 777 "$AGENT_DIR/flood"
in_ns $NS bash -c "ulimit -n 20000 && exec setpriv --reuid=$U2 --regid=$(id -g bca-u2) --clear-groups \
    /usr/bin/python3 '$AGENT_DIR/flood.py' '$web4' 8080 10000 '$AGENT_DIR/flood/ready' 20" >"$AGENT_DIR/flood/out" 2>&1 &
flood=$!
wait_for 60 test -s "$AGENT_DIR/flood/ready" || fail "the flood did not open its connections: $(cat "$AGENT_DIR/flood/out")"
log "bob: $(cat "$AGENT_DIR/flood/out")"
wait_for 20 grep -q "connections open (max_connections_per_user).*uid=$U2" "$log" &&
    ok "bob's connections past max_connections_per_user are refused, and logged" || fail "no per-uid refusal logged"
refusals=$(grep -c "connections open (max_connections_per_user).*uid=$U2" "$log")
log "per-uid refusals logged so far: $refusals"
refused=$((refused + refusals))
assert_eq "alice's connection works during bob's 10,000" "hello from the nginx target" \
    "$(as_user bca-u1 curl -s -m 15 "http://$priv4:8080/")"
check "the broker survived (same pid)" test "$proxy" = "$(agent_worker_pid proxy)"
kill $flood 2>/dev/null
wait $flood 2>/dev/null

# --- a DNS flood from bob; alice still resolves --------------------------------------------------
cat >"$AGENT_DIR/dnsflood.py" <<'EOF'
import socket, struct, sys, time
server, count = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setblocking(False)
query = lambda i: struct.pack(">HHHHHH", i & 0xFFFF, 0x0100, 1, 0, 0, 0) + b"\x04x%04d\x07example\x04test\x00" % (i % 10000) + b"\x00\x01\x00\x01"
sent = refused = 0
end = time.time() + float(sys.argv[3])
while sent + refused < count and time.time() < end:
    try:
        s.sendto(query(sent + refused), (server, 53))
        sent += 1
    except BlockingIOError:
        time.sleep(0.001)
    except PermissionError:  # EPERM: dropped by the agent's nftables meter
        refused += 1
print("sent %d refused %d" % (sent, refused))
EOF
as_user bca-u2 python3 "$AGENT_DIR/dnsflood.py" "$AGENT_V4" 10000000 8 >"$AGENT_DIR/dnsflood.out" 2>&1 &
dnsflood=$!
sleep 1
answers=0
statuses=""
for i in 1 2 3 4 5; do
    sleep 0.5
    out=$(as_user bca-u1 dig +time=2 +tries=2 @$AGENT_V4 "alice$i.example.test")
    statuses="$statuses $(sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$out" | head -1)${out:+}"
    grep -q "192.0.2.7" <<<"$out" && answers=$((answers + 1))
done
log "alice's queries during the flood: [$statuses ]"
wait $dnsflood
read -r _ flood_sent _ flood_refused <"$AGENT_DIR/dnsflood.out"
log "bob's DNS flood: $(cat "$AGENT_DIR/dnsflood.out") in 8 s"
meter=$(ip netns exec $NS nft list chain inet boundary_client_agent dns_per_user 2>&1)
dropped=$(sed -n 's/.*ip daddr [0-9.]* udp dport 53 .*counter packets \([0-9]*\) .*/\1/p' <<<"$meter")
log "the meter dropped ${dropped:-?} of bob's datagrams"
# Without the meter about one in five of alice's queries went unanswered (docs/hardening.md).
check "alice's queries during bob's DNS flood: all 5 answered ($answers)" test "$answers" -eq 5
check "bob's flood is dropped at his own sendto (refused $flood_refused, sent $flood_sent)" \
    test "${flood_refused:-0}" -gt "${flood_sent:-0}"
check "by the helper's per-uid DNS meter (${dropped:-no} drops counted)" \
    test "${dropped:-0}" -gt 0 -a "${dropped:-0}" -ge "${flood_refused:-0}"
check "the DNS worker survived" grep -q 'Seccomp:.2' <(proc_sandbox_status "$(agent_worker_pid dns)")

# --- a client in another network namespace, routed to the alias prefix ---------------------------
netns_create $OTHER
ip link add bca-adv-a netns $NS type veth peer name bca-adv-b netns $OTHER
ip -n $NS addr add 198.51.100.1/30 dev bca-adv-a
ip -n $OTHER addr add 198.51.100.2/30 dev bca-adv-b
ip -n $NS link set bca-adv-a up
ip -n $OTHER link set bca-adv-b up
ip -n $OTHER route add 100.64.0.0/10 via 198.51.100.1
before_accepts=$(grep -c "peer=198.51.100.2" "$log")
if in_ns $OTHER curl -s -m 5 -o /dev/null "http://$priv4:8080/"; then fail "a client in another namespace got through"; else
    ok "a client in another network namespace is refused" && refusal
fi
assert_eq "its connection never reached the broker" "$before_accepts" "$(grep -c "peer=198.51.100.2" "$log")"
ip -n $NS link del bca-adv-a 2>/dev/null

log "adversarial: $refused attempts refused"
agent_stop
assert_eq "the agent stops cleanly" 0 "$AGENT_RC"
finish
