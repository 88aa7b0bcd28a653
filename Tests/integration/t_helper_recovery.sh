#!/usr/bin/env bash
# A helper killed with SIGKILL leaves its record; `cleanup` (twice) and the next start both put the
# host back exactly as it was before the first start.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent.sh"
NS=bca-privsep-recov
agent_setup $NS
before=$(snapshot_host $NS)
helper=$BCA_BIN/boundary-agent-helper

# --- kill -9, then cleanup
agent_start $NS
dns=$(agent_worker_pid dns)
proxy=$(agent_worker_pid proxy)
kill -KILL "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
check "the workers die with the helper (PR_SET_PDEATHSIG)" wait_for 3 bash -c "! kill -0 $dns 2>/dev/null && ! kill -0 $proxy 2>/dev/null"
assert_contains "the resolver still points at the dead agent" "nameserver $AGENT_V4" "$(cat /etc/netns/$NS/resolv.conf)"
check "the state file was left behind" test -s "$AGENT_DIR/run/state.json"
check "cleanup succeeds" in_ns $NS "$helper" cleanup -config "$AGENT_CONFIG"
assert_eq "after kill -9 + cleanup the host is exactly as before" "$before" "$(snapshot_host $NS)"
check_fails "cleanup removed the state file" test -e "$AGENT_DIR/run/state.json"
check "cleanup again is a no-op that succeeds" in_ns $NS "$helper" cleanup -config "$AGENT_CONFIG"
assert_eq "and changes nothing" "$before" "$(snapshot_host $NS)"

# --- kill -9, then start again (the start reverts the stale record first), then SIGTERM
agent_start $NS
kill -KILL "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
sleep 0.3
agent_start $NS
check "the restarted agent logged the recovery" grep -q "undoing 7 change(s) left by an earlier run" "$AGENT_DIR/agent.log"
assert_eq "it serves after recovering" "192.0.2.7" "$(in_ns $NS dig +short +time=4 +tries=1 @$AGENT_V4 example.test)"
assert_eq "its state file records one set of changes, not two" "1" "$(grep -c '"kind": "nftables"' "$AGENT_DIR/run/state.json")"
agent_stop
assert_eq "SIGTERM exits 0" 0 "$AGENT_RC"
assert_eq "after kill -9 + restart + SIGTERM the host is exactly as before" "$before" "$(snapshot_host $NS)"

# --- a second helper refuses to run over a live one, and touches nothing
agent_start $NS
during=$(snapshot_host $NS)
out=$(in_ns $NS "$helper" -config "$AGENT_CONFIG" 2>&1)
rc=$?
assert_eq "a second helper exits 1" 1 "$rc"
assert_contains "and says why" "another boundary-agent-helper is running (pid $AGENT_PID)" "$out"
out=$(in_ns $NS "$helper" cleanup -config "$AGENT_CONFIG" 2>&1)
assert_contains "cleanup refuses while the helper runs" "another boundary-agent-helper is running" "$out"
assert_eq "neither touched the running agent's changes" "$during" "$(snapshot_host $NS)"
agent_stop
assert_eq "the host is back" "$before" "$(snapshot_host $NS)"
finish
