#!/usr/bin/env bash
# The unit's CapabilityBoundingSet is minimal: take away any one of its capabilities (as a drop-in
# would) and the agent fails in the way docs/security.md says; with all of them, a worker that
# hangs at stop is still killed in time (CAP_KILL: the workers run as another user).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pkg_lib.sh"
ns=bca-pkg-caps
pkg_setup $ns
all=$("$PKG_EXEC" "$PKG_UNIT" show CapabilityBoundingSet)
before=$(snapshot_host $ns)

without() { tr ' ' '\n' <<<"$all" | grep -vx "$1" | paste -sd' '; }

# start_without CAP: the agent must not come up; its output must name what failed.
start_without() {
    local cap=$1 expect=$2
    : >"$PKG_DIR/agent.log"
    : >"$PKG_DIR/helper.out"
    if pkg_start $ns "CapabilityBoundingSet=" "CapabilityBoundingSet=$(without "$cap")"; then
        fail "without $cap the agent still started"
        kill -TERM $PKG_PID
    else
        ok "without $cap the agent does not start"
    fi
    wait $PKG_PID 2>/dev/null
    assert_contains "without $cap: $expect" "$expect" "$(cat "$PKG_DIR/helper.out" "$PKG_DIR/agent.log")"
    pkg_stop_post $ns >/dev/null 2>&1
}

start_without CAP_NET_ADMIN "RTM_NEWADDR 100.64.0.1/32 dev lo: Operation not permitted"
start_without CAP_NET_BIND_SERVICE "bind 100.64.0.1:53: Permission denied"
start_without CAP_SETUID "setresuid: Operation not permitted"
start_without CAP_SETGID "setgroups: Operation not permitted"
start_without CAP_SETPCAP "cap_drop_bound 0: Operation not permitted"
start_without CAP_SYS_CHROOT "chroot $PKG_DIR/lib/empty: Operation not permitted"

# CAP_KILL: a DNS worker stopped with SIGSTOP does not answer `shutdown`; the helper kills it after
# its 3 s deadline. Without CAP_KILL that kill fails (EPERM) and the helper never exits.
stop_hung() {
    local dns
    dns=$(pkg_worker_pid dns) || return 1
    kill -STOP "$dns"
    kill -TERM $PKG_PID
    local i
    for i in $(seq 1 60); do
        kill -0 $PKG_PID 2>/dev/null || return 0
        sleep 0.1
    done
    return 1
}
pkg_start $ns || fatal "the agent did not start with the unit's capabilities: $(tail -5 "$PKG_DIR/agent.log")"
check "with the unit's capabilities a hung worker is killed and the helper stops within 6 s" stop_hung
wait $PKG_PID 2>/dev/null
pkg_start $ns "CapabilityBoundingSet=" "CapabilityBoundingSet=$(without CAP_KILL)" ||
    fatal "the agent did not start without CAP_KILL"
check_fails "without CAP_KILL the helper cannot kill the hung worker and does not stop" stop_hung
kill -KILL $PKG_PID 2>/dev/null
wait $PKG_PID 2>/dev/null
pkill -KILL -f "^$BCA_BIN/boundary-agent-(dns|proxy)" 2>/dev/null
pkg_stop_post $ns >/dev/null 2>&1
assert_eq "after all of it ExecStopPost leaves the namespace as it was" "$before" "$(snapshot_host $ns)"

finish
