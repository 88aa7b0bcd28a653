#!/usr/bin/env bash
# The systemd unit: `systemd-analyze verify` passes, `systemd-analyze security` scores it at most
# what docs/security.md records, and the helper runs (DNS, API, reload, stop, crash + ExecStopPost)
# inside the unit's own sandbox (capability bounding set, seccomp filter, read-only file system,
# MemoryDenyWriteExecute, ...), reproduced by packaging/unit-exec since PID 1 here is not systemd.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pkg_lib.sh"
need_root
need_tool systemd-analyze socat
UNIT=$PKG_UNIT

# --- static checks ----------------------------------------------------------------------------
dir=$(tmpdir)
# verify wants the binaries the unit names to exist: point it at this build.
sed "s|/usr/libexec/boundary-client-agent/|$BCA_BIN/|g" "$UNIT" >"$dir/boundary-client-agent.service"
check "systemd-analyze verify passes" systemd-analyze verify --man=no "$dir/boundary-client-agent.service"
out=$(systemd-analyze security --offline=yes "$dir/boundary-client-agent.service" 2>&1)
score=$(sed -n 's/.*Overall exposure level for boundary-client-agent.service: \([0-9.]*\).*/\1/p' <<<"$out")
documented=$(sed -n 's/.*`systemd-analyze security --offline=yes` exposure: \*\*\([0-9.]*\)\*\*.*/\1/p' "$BCA_ROOT/docs/security.md")
log "systemd-analyze security: $score (docs/security.md: $documented)"
assert_eq "docs/security.md records the score the unit gets" "$score" "$documented"
check "the exposure score is at most 2.5" python3 -c "import sys; sys.exit(0 if float('$score') <= 2.5 else 1)"
show() { "$PKG_EXEC" "$UNIT" show "$1"; }
assert_eq "Type=notify" "notify" "$(show Type)"
assert_eq "ExecStopPost undoes leftovers" \
    "/usr/libexec/boundary-client-agent/boundary-agent-helper cleanup -config /etc/boundary/boundary-client-agent.hcl" \
    "$(show ExecStopPost)"
assert_eq "SIGTERM goes to the helper alone (it stops its workers itself)" "mixed" "$(show KillMode)"
assert_eq "the capability bounding set" \
    "CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_KILL CAP_SETUID CAP_SETGID CAP_SETPCAP CAP_SYS_CHROOT" \
    "$(show CapabilityBoundingSet)"

# --- the helper inside the unit's sandbox ----------------------------------------------------
ns=bca-pkg-unit
pkg_setup $ns
before=$(snapshot_host $ns)
socat -u UNIX-RECV:"$PKG_DIR/notify.sock" OPEN:"$PKG_DIR/notify.log",creat,append &
on_exit "kill $! 2>/dev/null"
wait_for 3 test -S "$PKG_DIR/notify.sock" || fatal "socat notify socket"
NOTIFY_SOCKET=$PKG_DIR/notify.sock pkg_start $ns || {
    sed 's/^/        | /' "$PKG_DIR/helper.out" "$PKG_DIR/agent.log" | tail -30
    fatal "the helper did not start inside the unit's sandbox"
}
ok "the helper serves inside the unit's sandbox"
check "READY=1 reached \$NOTIFY_SOCKET" wait_for 3 grep -q "READY=1" "$PKG_DIR/notify.log"
st=$(grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/$PKG_PID/status | tr -s '\t ' ' ')
want=$(pkg_cap_mask net_admin net_bind_service kill setuid setgid setpcap sys_chroot)
assert_contains "the helper's bounding set is the unit's" "CapBnd: $want" "$st"
assert_contains "its effective set too (root gets nothing beyond it)" "CapEff: $want" "$st"
assert_contains "NoNewPrivileges" "NoNewPrivs: 1" "$st"
assert_contains "the unit's seccomp filter is on the helper" "Seccomp: 2" "$st"
check "the helper's / is read-only (ProtectSystem=strict)" \
    grep -qE '^[0-9]+ [0-9]+ [^ ]+ / / ro' /proc/$PKG_PID/mountinfo
helper_filters=$(sed -n 's/^Seccomp_filters:[[:space:]]*//p' /proc/$PKG_PID/status)
for w in dns proxy; do
    pid=$(pkg_worker_pid $w) || {
        fail "no $w worker"
        continue
    }
    st=$(grep -E '^(Uid|CapBnd|Seccomp_filters):' /proc/$pid/status | tr -s '\t ' ' ')
    assert_contains "the $w worker dropped to boundary-agent" "Uid: $(id -u boundary-agent) " "$st"
    assert_contains "the $w worker has no capabilities" "CapBnd: 0000000000000000" "$st"
    # The unit's filters (inherited from the helper) plus the worker's own: seccomp within seccomp.
    n=$(sed -n 's/^Seccomp_filters: //p' <<<"$st" | tr -d ' ')
    check "the $w worker stacked its own filter on the unit's ($helper_filters + $((n - helper_filters)))" \
        test "$n" -gt "$helper_filters"
done

# What the helper did to the namespace, through the sandbox.
resolv=$(cat /etc/netns/$ns/resolv.conf)
assert_contains "resolv.conf was rewritten in place through the ReadWritePaths bind mount" \
    "nameserver 100.64.0.1" "$resolv"
assert_eq "dig through the agent" "192.0.2.7" "$(in_ns $ns dig +short +time=3 +tries=1 @100.64.0.1 example.test)"
assert_contains "getent through the system resolver" "192.0.2.7" "$(in_ns $ns getent hosts example.test)"
check "the nftables table is installed" in_ns $ns nft list table inet boundary_client_agent
status=$(in_ns $ns "$BCA_BIN/boundary-agent" status -format json -socket "$PKG_DIR/run/agent.sock")
assert_eq "the local API answers (boundary-agent status)" "running" "$(jq -r .status <<<"$status")"

# ExecReload=/bin/kill -HUP $MAINPID
echo 'dns_cache_size = 500' >>"$PKG_CONFIG"
kill -HUP $PKG_PID
reloaded() { [ "$(grep -c 'configuration reloaded.*dns_cache_size' "$PKG_DIR/agent.log")" = 2 ]; }
check "SIGHUP reloads inside the sandbox (both workers take the new file)" wait_for 5 reloaded
assert_eq "still serving after the reload" "192.0.2.7" \
    "$(in_ns $ns dig +short +time=3 +tries=1 @100.64.0.1 example.test)"

# Stop (systemd sends SIGTERM to the main process: KillMode=mixed).
kill -TERM $PKG_PID
wait $PKG_PID
assert_eq "SIGTERM: the helper exits 0" 0 "$?"
check "ExecStopPost after a clean stop succeeds" pkg_stop_post $ns
assert_eq "the namespace is exactly as before" "$before" "$(snapshot_host $ns)"

# A crash: SIGKILL leaves everything in place; ExecStopPost (cleanup, same sandbox) undoes it.
pkg_start $ns || fatal "second start failed: $(tail -5 "$PKG_DIR/agent.log")"
kill -KILL $PKG_PID
wait $PKG_PID 2>/dev/null
assert_contains "after SIGKILL the resolver still points at the agent" "nameserver 100.64.0.1" \
    "$(cat /etc/netns/$ns/resolv.conf)"
check "ExecStopPost (cleanup) in the sandbox" pkg_stop_post $ns
assert_eq "after the crash and ExecStopPost the namespace is exactly as before" "$before" "$(snapshot_host $ns)"
check_fails "no agent process is left" pgrep -f "$BCA_BIN/boundary-agent-(helper|dns|proxy)"

finish
