#!/usr/bin/env bash
# A crash followed by a reboot: kill -9 the helper, then remove what a reboot removes (the /run
# files, the addresses, the local routes, the nftables table). The next start must leave DNS for
# other names working, and SIGTERM must put the original resolv.conf back:
#   1. state file on disk (the default, /var/lib): from its backup, byte for byte;
#   2. state file in /run, lost with the reboot: rebuilt from the nameservers our own resolv.conf
#      recorded (never our dead addresses as upstreams), said in the log and in status.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent.sh"
NS=bca-polish-reboot
agent_setup $NS
need_bin boundary-agent
original=$_TEST_TMP/resolv.conf.original
cp /etc/netns/$NS/resolv.conf "$original"
before=$(snapshot_host $NS)
# The host without resolv.conf (the part of the snapshot before its "## resolv.conf" line).
network() { sed '/^## resolv.conf/,$d' <<<"$1"; }

crash_and_reboot() {
    local dns proxy
    dns=$(agent_worker_pid dns)
    proxy=$(agent_worker_pid proxy)
    kill -KILL "$AGENT_PID"
    wait "$AGENT_PID" 2>/dev/null
    wait_for 3 bash -c "! kill -0 $dns 2>/dev/null && ! kill -0 $proxy 2>/dev/null" || fail "the workers outlived the helper"
    rm -rf "$AGENT_DIR/run"
    ip -n $NS addr del $AGENT_V4/32 dev lo
    ip -n $NS addr del $AGENT_V6/128 dev lo
    ip -n $NS route del local 100.64.0.0/10 dev lo table local
    ip -n $NS -6 route del local fd5b:c1a6:e7a0::/64 dev lo table local
    in_ns $NS nft delete table inet boundary_client_agent
    assert_eq "the 'reboot' left only our resolv.conf behind" "$(network "$before")" "$(network "$(snapshot_host $NS)")"
    assert_contains "resolv.conf still names the dead agent" "nameserver $AGENT_V4" "$(cat /etc/netns/$NS/resolv.conf)"
}

lookup() { in_ns $NS dig +short +time=3 +tries=1 example.test; }

# --- 1. the state file on disk survives the reboot
sed -i "s|^state_file .*|state_file = \"$AGENT_DIR/lib/state.json\"|" "$AGENT_CONFIG"
agent_start $NS
assert_eq "DNS through resolv.conf works" "192.0.2.7" "$(lookup)"
crash_and_reboot
check "the state file survived" test -s "$AGENT_DIR/lib/state.json"
agent_start $NS
check "the start undid the record, what the reboot removed included" \
    grep -q "undoing 7 change(s) left by an earlier run" "$AGENT_DIR/agent.log"
check_fails "no change failed to undo" grep -q "could not undo" "$AGENT_DIR/agent.log"
assert_eq "DNS for other names works after the reboot" "192.0.2.7" "$(lookup)"
assert_contains "getent too" "192.0.2.7" "$(in_ns $NS getent ahostsv4 example.test)"
agent_stop
assert_eq "SIGTERM exits 0" 0 "$AGENT_RC"
check "resolv.conf is the original, byte for byte" cmp "$original" /etc/netns/$NS/resolv.conf
assert_eq "the host is as before" "$before" "$(snapshot_host $NS)"

# --- 2. the state file in /run is lost with the reboot
agent_config # state_file back in $AGENT_DIR/run
agent_start $NS
crash_and_reboot
check_fails "the state file is gone" test -e "$AGENT_DIR/run/state.json"
agent_start $NS
check "the log says what happened" grep -q "still pointed at an agent that is gone.*rebuilt it with the nameservers it recorded: $AGENT_UPSTREAM" "$AGENT_DIR/agent.log"
assert_eq "DNS for other names works: the recorded upstream, not our dead address" "192.0.2.7" "$(lookup)"
assert_contains "the upstream is the original one" "upstreams [$AGENT_UPSTREAM:53]" \
    "$(grep "helper: host ready" "$AGENT_DIR/agent.log" | tail -1)"
status_warns() {
    "$BCA_BIN/boundary-agent" status -format json -socket "$AGENT_DIR/run/agent.sock" |
        jq -e '.warnings[] | select(test("rebuilt it with the nameservers it recorded"))'
}
check "status shows it as a warning" wait_for 15 status_warns
agent_stop
assert_eq "SIGTERM exits 0" 0 "$AGENT_RC"
rebuilt=$(cat /etc/netns/$NS/resolv.conf)
assert_not_contains "no marker is left" "managed while the agent runs" "$rebuilt"
assert_not_contains "and none of our addresses" "$AGENT_V4" "$rebuilt"
assert_eq "the rebuilt file is the original plus one comment line" "$(cat "$original")" \
    "$(grep -v '^# boundary-client-agent: rebuilt after an unclean stop' <<<"$rebuilt")"
assert_eq "the network is as before" "$(network "$before")" "$(network "$(snapshot_host $NS)")"
finish
