#!/usr/bin/env bash
# The broker inside the real agent: the helper starts it sandboxed (seccomp, no capabilities, as
# boundary-agent) with the listeners, the API sockets and its nftables redirect; real users add
# tokens over both API transports, curl reaches an nginx target through the dev worker, other users
# are refused; pause by root goes through the helper (resolver restored) and resume brings it back;
# stopping the agent cancels the sessions at the controller; status errors outlive the agent.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent.sh"
. "$(dirname "$0")/broker_lib.sh"
need_tool curl nginx runuser python3
need_bin boundary-dev-controller

ns=bca-broker-agent
agent_setup $ns
dir=$AGENT_DIR
test_user bca-u1
test_user bca-u2
u1=$(id -u bca-u1)
cat >>"$AGENT_CONFIG" <<'HCL'
alias_refresh_interval = "2s"
admin_group            = ""
auto_pause_failures    = 1
HCL

web_target "$ns" "$dir"
dev_controller "$ns" "$dir" '{
  "users": [{"id": "u_1111111111", "login_name": "alice", "password": "password"}],
  "targets": [{"id": "ttcp_web0000001", "name": "web", "address": "127.0.0.1", "port": 8080}],
  "aliases": [{"value": "web.boundary.dev", "target": "ttcp_web0000001"}]
}'
agent_start $ns
sock=$AGENT_DIR/run/agent.sock
proxy=$(agent_worker_pid proxy) || fatal "no proxy worker"
assert_contains "the broker runs under seccomp" "Seccomp: 2" "$(proc_sandbox_status "$proxy")"

alice=$(login "$ns" alice)
out=$(in_ns $ns runuser -u bca-u1 -- curl -s --unix-socket "$sock" -X POST -H 'content-type: application/json' \
    -d "{\"boundary_addr\":\"http://$CTL_API\",\"token\":\"$alice\"}" http://localhost/v1/tokens)
assert_eq "bca-u1's token accepted by the sandboxed broker (SO_PEERCRED)" "$u1" "$(echo "$out" | json '["uid"]')"
assert_eq "checked with the controller from inside the sandbox" "u_1111111111" "$(echo "$out" | json '["user_id"]')"
out=$(in_ns $ns runuser -u bca-u1 -- curl -s "http://127.0.0.1:$API_TCP_PORT/v1/status")
assert_eq "the TCP API knows bca-u1 by sock_diag" "$u1" "$(echo "$out" | json '["uid"]')"
assert_eq "status is running" "running" "$(echo "$out" | json '["status"]')"

explain() { in_ns $ns runuser -u bca-u1 -- curl -s --unix-socket "$sock" "http://localhost/v1/explain?name=web.boundary.dev"; }
wait_for 10 bash -c "ip netns exec $ns runuser -u bca-u1 -- curl -s --unix-socket $sock 'http://localhost/v1/explain?name=web.boundary.dev' | grep -q '\"resolves\":true'" ||
    fail "the alias never reached bca-u1's view: $(explain)"
addr=$(explain | json '["ipv4"]')
addr6=$(explain | json '["ipv6"]')
body=$(in_ns $ns runuser -u bca-u1 -- curl -s --max-time 10 --resolve "web.boundary.dev:$WEB_PORT:$addr" \
    "http://web.boundary.dev:$WEB_PORT/")
assert_eq "bca-u1 reaches nginx through the sandboxed broker" "hello from the nginx target" "$body"
check "over the IPv6 alias address too" in_ns $ns runuser -u bca-u1 -- curl -sf --max-time 10 -o /dev/null \
    "http://[$addr6]:$WEB_PORT/"
check_fails "bca-u2 is refused at connect" in_ns $ns runuser -u bca-u2 -- curl -sf --max-time 5 "http://$addr:$WEB_PORT/"
check_fails "root without a token is refused at connect" in_ns $ns curl -sf --max-time 5 "http://$addr:$WEB_PORT/"
assert_eq "the broker survived all of it (same pid)" "$proxy" "$(agent_worker_pid proxy)"
sessions=$(in_ns $ns runuser -u bca-u2 -- curl -s --unix-socket "$sock" http://localhost/v1/sessions)
assert_eq "bca-u2 sees no session" '[]' "$(echo "$sessions" | json '["items"]')"

# --- pause by root goes through the helper -------------------------------------------------------
out=$(in_ns $ns curl -s --unix-socket "$sock" -X POST http://localhost/v1/pause)
assert_eq "root pauses the whole agent" "agent" "$(echo "$out" | json '["pause_scope"]')"
wait_for 5 bash -c "! grep -q 'boundary-client-agent: managed' /etc/netns/$ns/resolv.conf" &&
    ok "the helper restored the resolver" || fail "resolv.conf still ours while paused"
check_fails "no alias connection while paused" in_ns $ns runuser -u bca-u1 -- curl -sf --max-time 5 "http://$addr:$WEB_PORT/"
out=$(in_ns $ns runuser -u bca-u1 -- curl -s --unix-socket "$sock" http://localhost/v1/status)
assert_eq "bca-u1's status says paused" "paused" "$(echo "$out" | json '["status"]')"
out=$(in_ns $ns curl -s --unix-socket "$sock" -X POST http://localhost/v1/resume)
assert_eq "root resumes it" "running" "$(echo "$out" | json '["status"]')"
wait_for 5 grep -q 'boundary-client-agent: managed' /etc/netns/$ns/resolv.conf &&
    ok "the resolver points at the agent again" || fail "resolv.conf not restored to the agent"
wait_for 10 in_ns $ns runuser -u bca-u1 -- curl -sf --max-time 5 -o /dev/null "http://$addr:$WEB_PORT/" &&
    ok "connections work again" || fail "no connection after resume"

# --- a broker crash keeps the pause and the errors (the helper holds them) -----------------------
out=$(in_ns $ns runuser -u bca-u2 -- curl -s --unix-socket "$sock" -X POST -H 'content-type: application/json' \
    -d "{\"boundary_addr\":\"http://127.0.0.1:1\",\"token\":\"$alice\"}" http://localhost/v1/tokens)
assert_eq "a controller that cannot be reached fails the token" "Unavailable" "$(echo "$out" | json '["kind"]')"
out=$(in_ns $ns runuser -u bca-u1 -- curl -s --unix-socket "$sock" http://localhost/v1/status)
assert_eq "and (auto_pause_failures = 1) pauses the agent" "agent" "$(echo "$out" | json '["pause_scope"]')"
kill -KILL "$(agent_worker_pid proxy)"
restarted() {
    local p
    p=$(agent_worker_pid proxy) && [ "$p" != "$proxy" ]
}
wait_for 10 restarted && ok "the helper restarted the broker" || fail "the helper did not restart the broker"
wait_for 10 in_ns $ns curl -sf --unix-socket "$sock" http://localhost/v1/status >/dev/null || fail "no API after the restart"
out=$(in_ns $ns runuser -u bca-u1 -- curl -s --unix-socket "$sock" http://localhost/v1/status)
assert_eq "the restarted broker is still paused" "paused" "$(echo "$out" | json '["status"]')"
assert_contains "and still shows why" "auto-paused after 1 failures" "$(echo "$out" | json '["errors"]')"
assert_eq "tokens lived only in the old broker's memory" "" "$(echo "$out" | json '["auth_token_id"]')"
in_ns $ns curl -s --unix-socket "$sock" -X POST http://localhost/v1/resume >/dev/null
in_ns $ns runuser -u bca-u1 -- curl -s --unix-socket "$sock" -X POST -H 'content-type: application/json' \
    -d "{\"boundary_addr\":\"http://$CTL_API\",\"token\":\"$alice\"}" http://localhost/v1/tokens >/dev/null
wait_for 10 in_ns $ns runuser -u bca-u1 -- curl -sf --max-time 5 -o /dev/null "http://$addr:$WEB_PORT/" &&
    ok "signed in again, the same alias address works" || fail "no connection after the broker restart"

# --- stop ----------------------------------------------------------------------------------------
agent_stop
assert_eq "the agent stops cleanly" 0 "$AGENT_RC"
live=$(in_ns "$ns" curl -s "http://$CTL_ADMIN/admin/sessions" | python3 -c '
import json,sys
print(sum(1 for s in json.load(sys.stdin)["items"] if s["status"] in ("pending","active")))')
assert_eq "stopping the agent cancelled bca-u1's sessions" 0 "$live"

# --- status errors outlive the agent (the helper's status journal in the state directory, /run) ---
journal=$AGENT_DIR/run/status-journal
assert_eq "the journal stays after a stop, root's and private" "600 root" "$(stat -c '%a %U' "$journal" 2>&1)"
agent_start $ns
out=$(in_ns $ns runuser -u bca-u1 -- curl -s --unix-socket "$sock" http://localhost/v1/status)
assert_contains "a new agent still shows the earlier error" "auto-paused after 1 failures" "$(echo "$out" | json '["errors"]')"
assert_eq "and is running (the pause was resumed)" "running" "$(echo "$out" | json '["status"]')"
agent_stop
assert_eq "the second run stops cleanly" 0 "$AGENT_RC"

finish
