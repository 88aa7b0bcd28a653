#!/usr/bin/env bash
# Another program overwrites resolv.conf while the agent runs (as a DHCP client or a VPN would):
# the helper sees it within seconds, logs it, and points the resolver at the agent again, taking
# the other program's nameservers as the new upstreams and its file as the new backup; the status
# warns; after 3 re-assertions it leaves the file to the other program (no endless fight). DNS
# for other names keeps working throughout, and a stop restores the other program's file.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent.sh"
need_tool curl jq
NS=bca-hardening-resolv
agent_setup $NS
# The other program's resolver: answers example.test differently, so we can tell who was asked.
in_ns $NS dnsmasq --no-resolv --no-hosts --listen-address=127.0.0.3 --bind-interfaces --port=53 \
    --address=/example.test/192.0.2.8 --pid-file="$AGENT_DIR/dnsmasq2.pid" --user=root || fatal "dnsmasq 2"
agent_start $NS
log=$AGENT_DIR/agent.log
sock=$AGENT_DIR/run/agent.sock
resolv=/etc/netns/$NS/resolv.conf
theirs="# written by another program
nameserver 127.0.0.3"

# overwrite: in place, through the namespace's bind mount, as `>` in a script would.
overwrite() { in_ns $NS sh -c "printf '%s\n' '$theirs' >/etc/resolv.conf"; }
ours() { grep -q 'boundary-client-agent: managed' "$resolv"; }

check "the agent's resolv.conf is in place" ours
for n in 1 2 3; do
    overwrite
    t0=$SECONDS
    if wait_for 12 grep -q "pointed it at the agent again ($n of 3)" "$log"; then
        ok "overwrite $n: noticed and re-asserted after $((SECONDS - t0)) s"
    else
        fail "overwrite $n: not re-asserted: $(grep -i resolv "$log" | tail -3)"
    fi
    check "overwrite $n: resolv.conf points at the agent again" ours
done
assert_eq "the system resolver asks the agent, which now forwards to the other program's nameserver" \
    "192.0.2.8" "$(in_ns $NS dig +short +time=4 +tries=1 example.test)"
status() { in_ns $NS curl -s --unix-socket "$sock" http://localhost/v1/status; }
warned() { status | jq -e '.warnings | any(test("overwrote the system resolver"))' >/dev/null; }
wait_for 25 warned && ok "status warns that the resolver was overwritten" || fail "no warning in status: $(status)"

overwrite
check "the 4th overwrite is noticed and left alone" wait_for 12 grep -q "leaving it to the other program" "$log"
sleep 6
assert_eq "resolv.conf stays the other program's" "$theirs" "$(cat "$resolv")"
assert_eq "DNS for other names still works (the other program's resolver)" "192.0.2.8" \
    "$(in_ns $NS dig +short +time=4 +tries=1 example.test)"
assert_eq "and through the agent" "192.0.2.8" "$(in_ns $NS dig +short +time=4 +tries=1 @$AGENT_V4 example.test)"
agent_stop
assert_eq "SIGTERM exits 0" 0 "$AGENT_RC"
assert_eq "the stop leaves the other program's file" "$theirs" "$(cat "$resolv")"
finish
