#!/usr/bin/env bash
# A link-local system resolver: resolv.conf says `nameserver fe80::53%lldns` (as NetworkManager writes
# a router's RDNSS). The helper keeps the interface, the DNS worker connects on that link, and names
# the agent does not own are answered by that resolver. A zone naming no interface is left out.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent.sh"
need_tool dig dnsmasq
NS=bca-dns-linklocal
agent_setup $NS

# The link: a veth pair inside the namespace, fe80::53 on one end (nodad: usable at once).
in_ns $NS ip link add lldns type veth peer name lldns-peer || fatal "no veth pair"
in_ns $NS ip link set lldns up
in_ns $NS ip link set lldns-peer up
in_ns $NS ip addr add fe80::53/64 dev lldns nodad || fatal "no link-local address"
# Its resolver answers example.test with an address of its own (agent_setup's 127.0.0.2 says 192.0.2.7).
in_ns $NS dnsmasq --no-resolv --no-hosts --interface=lldns --except-interface=lo --bind-interfaces --port=53 \
    --address=/example.test/192.0.2.77 --pid-file="$AGENT_DIR/lldns.pid" --user=root ||
    fatal "dnsmasq on fe80::53%lldns did not start"
on_exit "kill \$(cat '$AGENT_DIR/lldns.pid') 2>/dev/null"
check "the link-local resolver answers on its link" \
    bash -c "[ \"\$(ip netns exec $NS dig +short +time=2 +tries=1 @fe80::53%lldns www.example.test)\" = 192.0.2.77 ]"

printf 'nameserver fe80::99%%nosuch\nnameserver fe80::53%%lldns\nsearch corp.example\n' >/etc/netns/$NS/resolv.conf
agent_start $NS

out=$(in_ns $NS dig +time=4 +tries=1 @$AGENT_V4 www.example.test)
assert_contains "a name the agent does not own is forwarded to fe80::53%lldns" "192.0.2.77" "$out"
assert_contains "... and answered NOERROR" "status: NOERROR" "$out"
out=$(in_ns $NS dig +short +time=4 +tries=1 @$AGENT_V6 www.example.test)
assert_eq "... and asked over IPv6 as well" 192.0.2.77 "$out"
assert_contains "the DNS worker's upstream is that resolver on its link" "fe80::53%lldns" \
    "$(grep 'serving DNS' "$AGENT_DIR/agent.log" | tail -1)"
assert_not_contains "... and the interface that is not there was left out" "fe80::99" \
    "$(grep 'serving DNS' "$AGENT_DIR/agent.log" | tail -1)"
resolv=$(cat /etc/netns/$NS/resolv.conf)
assert_contains "resolv.conf points at the agent" "nameserver $AGENT_V4" "$resolv"
assert_contains "... and records both original nameservers, zones included" \
    "nameservers before the agent: fe80::99%nosuch fe80::53%lldns" "$resolv"

agent_stop
assert_eq "the agent stops cleanly" 0 "$AGENT_RC"
assert_eq "resolv.conf is the original again" \
    "$(printf 'nameserver fe80::99%%nosuch\nnameserver fe80::53%%lldns\nsearch corp.example')" \
    "$(cat /etc/netns/$NS/resolv.conf)"
finish
