#!/usr/bin/env bash
# demo/demo.sh (make demo) against this build: it succeeds, shows what it promises (names resolve for
# the signed-in user, curl and ssh reach the targets through Boundary, the other user is refused),
# and leaves nothing behind: namespace, users, processes, files. Also when interrupted half-way.
. "$(dirname "$0")/lib.sh"
need_root
need_tool dnsmasq nginx /usr/sbin/sshd ssh sshpass curl dig jq socat python3
need_bin boundary-agent boundary-agent-helper boundary-agent-dns boundary-agent-proxy boundary-dev-controller
# Not made here: the demo makes the workers' user itself when it is missing, and removes it again.
worker_user_before=$(getent passwd boundary-agent || true)
export DEMO_NS=bca-demo-test DEMO_PREFIX=bca-dt
DEMO=$BCA_ROOT/demo/demo.sh
dir=$(tmpdir)
sshd_dir_before=$([ -d /run/sshd ] && echo yes || echo no)
on_exit "ip netns del $DEMO_NS 2>/dev/null; rm -rf /etc/netns/$DEMO_NS; for u in alice bob ops; do userdel --remove $DEMO_PREFIX-\$u; done"

# leftovers: what must not exist once a demo is over.
leftovers() {
    ip netns list | grep -w "$DEMO_NS"
    ls -d /etc/netns/$DEMO_NS /run/$DEMO_NS.* 2>/dev/null
    getent passwd | grep "^$DEMO_PREFIX-"
    ls -d /home/$DEMO_PREFIX-* 2>/dev/null
    pgrep -af "$BCA_BIN/boundary-(agent|dev-controller)|/run/$DEMO_NS\." | grep -v pgrep
    [ "$sshd_dir_before" = no ] && [ -d /run/sshd ] && echo /run/sshd
    [ "$(getent passwd boundary-agent || true)" = "$worker_user_before" ] || echo "the boundary-agent user changed"
    true
}

start=$SECONDS
bash "$DEMO" >"$dir/out" 2>&1
rc=$?
took=$((SECONDS - start))
out=$(sed 's/\x1b\[[0-9;]*m//g' "$dir/out")
assert_eq "the demo exits 0 (${took}s)" 0 "$rc"
[ $rc = 0 ] || sed 's/^/        | /' "$dir/out" | tail -40
log "demo wall time: ${took}s"
assert_contains "it is a numbered walkthrough" "12. Stop the agent as systemd would" "$out"
assert_contains "it starts the agent through the unit's ExecStart" \
    "ExecStart=/usr/libexec/boundary-client-agent/boundary-agent-helper -config /etc/boundary/boundary-client-agent.hcl" "$out"
assert_contains "the agent reports READY=1 like a Type=notify service" "READY=1 reached" "$out"
assert_contains "the workers run under seccomp with no capabilities" "boundary-agent-dns     CapEff: 0000000000000000 NoNewPrivs: 1 Seccomp: 2" "$out"
assert_contains "alice signs in" "u_1234567890" "$out"
assert_contains "status shows her running" "Status:                  running" "$out"
web=$(sed -n '/^   alice\$ getent hosts web.boundary.dev/{n;p}' <<<"$out" | tail -1)
assert_contains "getent hosts web.boundary.dev gives alice the alias's v6 address" "fd5b:c1a6:e7a0:" "$web"
assert_contains "dig gives her an address in 100.64.0.0/10" "$(printf '   alice$ dig +short web.boundary.dev A\n      100.')" "$out"
assert_contains "curl http://web.boundary.dev/ reaches nginx" "Hello from the web target, reached through a Boundary session." "$out"
assert_contains "her sessions show the brokered credential" "ops-login" "$out"
assert_contains "ssh through ssh.boundary.dev with the brokered password" "logged in as $DEMO_PREFIX-ops on" "$out"
bob=$(sed -n '/^11\. /,/^12\. /p' <<<"$out")
assert_contains "bob's getent finds nothing" "(nothing: NXDOMAIN from the old resolver)" "$bob"
assert_contains "bob's curl to the alias address is refused" "(refused: the address is alice's session, not his)" "$bob"
assert_not_contains "bob never sees the nginx page" "Hello from the web target" "$bob"
assert_not_contains "bob never sees the brokered credential" "ops-login" "$bob"
assert_contains "the host is as before after the stop" "Addresses, local routes, nftables and resolv.conf are exactly as before the start." "$out"
assert_not_contains "no warning about a difference" "DIFFERENCE:" "$out"
assert_eq "nothing is left behind" "" "$(leftovers)"

# Interrupted right after the sign-in: SIGINT to the demo's whole process group, as Ctrl-C sends it
# to a terminal's foreground group, so the command the demo is running ends at once too.
# A shell cannot trap a signal that was ignored when it started, and children inherit an ignored
# SIGINT: a test run started in the background (`cmd &` without job control, nohup) has one, and
# the demo then went on to exit 0 or 1. `env --default-signal=INT` gives the demo the default
# disposition a terminal's would have. Job control on: a background job of this script would get
# SIGINT ignored as well; it also makes the demo the leader of its own process group.
set -m
env --default-signal=INT bash "$DEMO" >"$dir/out2" 2>&1 &
demo=$!
set +m
signed_in() { grep -q "^7\. " "$dir/out2"; }
if wait_for 120 signed_in; then
    kill -INT -- -$demo
    wait $demo
    assert_eq "Ctrl-C ends the demo with 130" 130 "$?"
    check "nothing is left behind after Ctrl-C" wait_for 5 test -z "$(leftovers)"
    [ -z "$(leftovers)" ] || leftovers | sed 's/^/        | /'
else
    kill -KILL $demo
    fail "the second demo never reached step 7: $(tail -5 "$dir/out2")"
fi

finish
