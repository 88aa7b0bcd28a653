#!/usr/bin/env bash
# Controller and data-plane faults against the whole agent (the dev controller's knobs and admin
# port, plus a fake controller for what the real one never sends): controller down, slow beyond
# dns_request_timeout, 500s, malformed JSON, a body over 1 MiB, an expired token, the listing
# grant revoked (403), `invalid list token`, the worker closing mid-stream. Each one gives the user
# a clear error (API answer or status) and never kills a worker; DNS for other names keeps working
# through all of them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cli_fixture.sh"
. "$(dirname "$0")/broker_lib.sh"
need_tool runuser jq curl python3 nginx
NS=bca-hardening-faults
faults=0
agent_setup $NS
cat >>"$AGENT_CONFIG" <<'HCL'
admin_group            = ""
alias_refresh_interval = "2s"
auto_pause_failures    = 0
HCL
CLI_NS=$NS
CLI_DIR=$AGENT_DIR
CLI_SOCK=$AGENT_DIR/run/agent.sock
test_user bca-u1
chmod 755 "$AGENT_DIR"
web_target $NS "$AGENT_DIR"
cat >"$AGENT_DIR/controller.json" <<'EOF'
{
  "users": [{"id": "u_1111111111", "login_name": "alice", "password": "alice-pw"}],
  "targets": [{"id": "ttcp_1111111111", "name": "web", "address": "127.0.0.1", "port": 8080}],
  "aliases": [{"value": "web.corp.test", "target": "ttcp_1111111111"}]
}
EOF
start_controller() {
    ip netns exec $NS "$BCA_BIN/boundary-dev-controller" -config "$AGENT_DIR/controller.json" \
        -admin-listen-address 127.0.0.1:9203 -worker-poll-interval 200ms -request-log "$AGENT_DIR/requests.jsonl" \
        >"$AGENT_DIR/dc.out" 2>>"$AGENT_DIR/dc.err" &
    CTL_PID=$!
    on_exit "kill $CTL_PID 2>/dev/null"
    wait_for 20 grep -q '^api: ' "$AGENT_DIR/dc.out" || fatal "dev controller did not start"
}
start_controller
agent_start $NS
admin() { in_ns $NS curl -sf -X "$1" ${3:+--data-binary "$3"} "http://127.0.0.1:9203$2" >/dev/null || fail "admin $1 $2"; }
fault() { admin POST /admin/faults "$1"; }
clear_faults() { admin DELETE /admin/faults; }
api() { as_user bca-u1 curl -s -m 30 -X "${2:-GET}" --unix-socket "$CLI_SOCK" ${3:+-H content-type:application/json --data-binary "$3"} "http://localhost$1"; }
status() { api /v1/status; }
token() {
    printf '{"command":"login","attributes":{"login_name":"alice","password":"alice-pw"}}' |
        in_ns $NS curl -s --data-binary @- "$CLI_CTL/v1/auth-methods/$CLI_METHOD:authenticate" | jq -r .attributes.token
}
add_token() { api /v1/tokens POST "{\"boundary_addr\":\"${2:-$CLI_CTL}\",\"token\":\"$1\"}"; }
proxy=$(agent_worker_pid proxy)
dns=$(agent_worker_pid dns)
# still_fine WHAT: after a fault, DNS for other names answers and neither worker was replaced.
still_fine() {
    faults=$((faults + 1))
    assert_eq "$1: DNS for other names still works" "192.0.2.7" "$(in_ns $NS dig +short +time=4 +tries=1 @$AGENT_V4 example.test)"
    assert_eq "$1: no worker died" "$proxy $dns" "$(agent_worker_pid proxy) $(agent_worker_pid dns)"
}
address() { as_user bca-u1 "$CLI" explain web.corp.test -format json -socket "$CLI_SOCK" | jq -r .ipv4; }
fetch() { as_user bca-u1 curl -s -m "${2:-15}" "http://$1:8080/${3:-}"; }

alice=$(token)
assert_eq "alice signs in" u_1111111111 "$(add_token "$alice" | jq -r .user_id)"
wait_for 15 bash -c "[ \"\$(ip netns exec $NS runuser -u bca-u1 -- '$CLI' explain web.corp.test -format json -socket '$CLI_SOCK' | jq -r .resolves)\" = true ]" ||
    fatal "web.corp.test never resolved"
addr=$(address)
assert_eq "the target works before any fault" "hello from the nginx target" "$(fetch "$addr")"

# --- 500s on authorize-session: the connection is refused, status says why ----------------------
fault '{"endpoint":"authorize-session","error_rate":1,"error_status":500}'
# A fresh session is needed: sign out and in again (sessions are per token).
api /v1/tokens DELETE >/dev/null
add_token "$alice" >/dev/null
wait_for 15 bash -c "[ -n \"\$(ip netns exec $NS runuser -u bca-u1 -- '$CLI' explain web.corp.test -format json -socket '$CLI_SOCK' | jq -r '.ipv4 // empty')\" ]"
check_fails "500 from authorize-session: the connection fails" fetch "$addr" 10
wait_for 10 bash -c "ip netns exec $NS runuser -u bca-u1 -- curl -s --unix-socket '$CLI_SOCK' http://localhost/v1/status | grep -q 500" &&
    ok "500s: status reports the controller's 500" || fail "500s: status says nothing: $(status | jq -c .errors)"
still_fine "500s"
clear_faults
check "after the 500s stop, connections work again" wait_for 20 bash -c "ip netns exec $NS runuser -u bca-u1 -- curl -sf -m 10 -o /dev/null http://$addr:8080/"

# --- slow beyond dns_request_timeout (3 s): bounded, not hung ---------------------------------------
api /v1/tokens DELETE >/dev/null
add_token "$alice" >/dev/null
fault '{"endpoint":"authorize-session","latency":"8s"}'
t0=$SECONDS
fetch "$addr" 60 >"$AGENT_DIR/slow.out" &
slow=$!
sleep 1
t1=$(date +%s%N)
assert_eq "slow controller: DNS for other names answers while a session waits on it" "192.0.2.7" \
    "$(in_ns $NS dig +short +time=2 +tries=1 @$AGENT_V4 example.test)"
check "slow controller: within a second" test $((($(date +%s%N) - t1) / 1000000)) -lt 1000
wait $slow
took=$((SECONDS - t0))
log "a connection while authorize-session takes 8 s (over dns_request_timeout) was served after ${took}s"
assert_eq "slow controller: the connection is served once the controller answers (bounded: 30 s request timeout)" \
    "hello from the nginx target" "$(cat "$AGENT_DIR/slow.out")"
still_fine "slow controller"
clear_faults

# --- a body over 1 MiB (read-auth-token padded to 2 MB): the token is refused, clearly ------------
fault '{"endpoint":"read-auth-token","pad_bytes":2000000}'
out=$(add_token "$alice")
assert_eq "over 1 MiB: the token add fails as Unavailable" Unavailable "$(jq -r .kind <<<"$out")"
log "over 1 MiB: $(jq -r .message <<<"$out")"
still_fine "body over 1 MiB"
clear_faults
add_token "$alice" >/dev/null

# --- malformed JSON and other garbage from something posing as a controller -----------------------
cat >"$AGENT_DIR/fake.py" <<'EOF'
import http.server, sys
bodies = {"/v1/auth-tokens/": b'{"id": "at_1234567890", "user_id": ', "garbage": b"\x00\xff<html>not json"}
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = bodies["garbage"] if "garbage" in self.headers.get("Host", "") or self.server.server_port == 9298 else bodies["/v1/auth-tokens/"]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
in_ns $NS python3 "$AGENT_DIR/fake.py" 9299 &
on_exit "kill $! 2>/dev/null"
in_ns $NS python3 "$AGENT_DIR/fake.py" 9298 &
on_exit "kill $! 2>/dev/null"
wait_for 10 in_ns $NS curl -s -o /dev/null http://127.0.0.1:9299/ || fail "fake controller"
for port in 9299 9298; do
    out=$(add_token "$alice" "http://127.0.0.1:$port")
    assert_eq "malformed JSON from :$port: refused as Unavailable" Unavailable "$(jq -r .kind <<<"$out")"
    log "malformed JSON: $(jq -r .message <<<"$out")"
    still_fine "malformed JSON (:$port)"
done
add_token "$alice" >/dev/null

# --- the listing grant revoked (403), then `invalid list token`, then an expired token ------------
admin POST /admin/grants '{"user":"u_1111111111","list_resolvable_aliases":false}'
wait_for 15 bash -c "ip netns exec $NS runuser -u bca-u1 -- curl -s --unix-socket '$CLI_SOCK' http://localhost/v1/status | jq -e '.alias_listing == \"forbidden\"'" &&
    ok "listing grant revoked: status says forbidden" || fail "403: $(status | jq -c '{alias_listing, errors, warnings}')"
still_fine "listing grant revoked"
admin POST /admin/grants '{"user":"u_1111111111","list_resolvable_aliases":true}'
wait_for 15 bash -c "ip netns exec $NS runuser -u bca-u1 -- curl -s --unix-socket '$CLI_SOCK' http://localhost/v1/status | jq -e '.alias_listing == \"ok\"'" &&
    ok "grant back: listing ok again" || fail "listing not back: $(status | jq -c '{alias_listing, errors}')"
# A grant change invalidates list tokens: the next refresh gets 400 `invalid list token` and
# falls back to a full listing (the alias stays).
admin POST /admin/grants '{"user":"u_1111111111","target":"ttcp_1111111111","allow":true}'
invalid_list_token() { grep '"event":"list-resolvable-aliases"' "$AGENT_DIR/requests.jsonl" | grep -q '"status":400'; }
check "invalid list token: the controller refused the agent's list token" wait_for 15 invalid_list_token
assert_eq "invalid list token: the alias still resolves (full listing)" true \
    "$(as_user bca-u1 "$CLI" explain web.corp.test -format json -socket "$CLI_SOCK" | jq -r .resolves)"
still_fine "invalid list token"
admin POST /admin/tokens/expire '{"user":"u_1111111111"}'
wait_for 15 bash -c "ip netns exec $NS runuser -u bca-u1 -- curl -s --unix-socket '$CLI_SOCK' http://localhost/v1/status | jq -e '.auth_token_id == null'" &&
    ok "expired token: the agent forgets it" || fail "expired token: $(status | jq -c '{auth_token_id, errors}')"
log "expired token: $(status | jq -c .errors)"
still_fine "expired token"
add_token "$(token)" >/dev/null

# --- the controller down ------------------------------------------------------------------------
admin POST /admin/api/stop
out=$(add_token "$alice")
assert_eq "controller down: token add fails as Unavailable" Unavailable "$(jq -r .kind <<<"$out")"
still_fine "controller down"
admin POST /admin/api/start

# --- the worker closing mid-stream (the whole dev controller killed during a download) -----------
wait_for 20 bash -c "ip netns exec $NS runuser -u bca-u1 -- curl -sf -m 10 -o /dev/null http://$addr:8080/" || fail "no connection before the mid-stream test"
as_user bca-u1 curl -s -m 30 --limit-rate 300k -o "$AGENT_DIR/big.part" "http://$addr:8080/big.bin" &
download=$!
sleep 2
kill -KILL $CTL_PID
wait $download
rc=$?
check "worker gone mid-stream: the download ends with an error, not a hang" test $rc -ne 0 -a $rc -ne 28
still_fine "worker closing mid-stream"
start_controller
add_token "$(token)" >/dev/null
# 60 s: under load the restarted dev controller, a new session and its TLS handshakes take a while.
wait_for 60 bash -c "ip netns exec $NS runuser -u bca-u1 -- curl -sf -m 10 -o /dev/null http://$addr:8080/" &&
    ok "a new connection works once the worker is back" ||
    fail "a new connection works once the worker is back: $(status | jq -c '{status, errors, session_count}')"

log "faults: $faults injected"
agent_stop
assert_eq "the agent stops cleanly" 0 "$AGENT_RC"
finish
