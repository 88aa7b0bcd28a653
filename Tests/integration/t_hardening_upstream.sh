#!/usr/bin/env bash
# Upstream DNS faults against the agent's DNS worker: the only upstream replying garbage, a
# well-formed answer with the wrong ID (and a poisoned address), no answer at all, an answer
# slower than dns_request_timeout, or down (port closed): the client gets SERVFAIL within the
# timeout, never silence and never the poisoned address; with a good second upstream, the answer
# comes from it (failover). The DNS worker survives all of it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent.sh"
need_tool python3 jq
need_bin boundary-agent
NS=bca-hardening-upstream
agent_setup $NS
echo 'override_upstream_dns_servers = ["127.0.0.9:5353"]' >>"$AGENT_CONFIG"
cat >"$AGENT_DIR/upstream.py" <<'EOF'
# A hostile upstream: what it does to each query is read from the mode file.
import os, socket, struct, sys, threading, time
mode_file = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.9", 5353))
def answer(query, ident, address):
    end = 12
    while query[end] != 0:
        end += query[end] + 1
    question = query[12:end + 5]
    head = struct.pack(">HHHHHH", ident, 0x8180, 1, 1, 0, 0)
    return head + question + b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton(address)
def handle(query, peer):
    mode = open(mode_file).read().strip()
    ident = struct.unpack(">H", query[:2])[0]
    if mode == "ok":
        s.sendto(answer(query, ident, "192.0.2.99"), peer)
    elif mode == "garbage":
        s.sendto(os.urandom(40), peer)
        s.sendto(b"\x00" * 3, peer)
    elif mode == "wrongid":
        for other in (ident ^ 1, (ident + 7) & 0xFFFF):
            s.sendto(answer(query, other, "203.0.113.66"), peer)
    elif mode == "noquestion":
        s.sendto(struct.pack(">HHHHHH", ident, 0x8180, 0, 0, 0, 0), peer)
    elif mode == "slow":
        time.sleep(6)
        s.sendto(answer(query, ident, "192.0.2.99"), peer)
    # "silent": nothing
while True:
    query, peer = s.recvfrom(4096)
    threading.Thread(target=handle, args=(query, peer), daemon=True).start()
EOF
echo ok >"$AGENT_DIR/mode"
ip netns exec $NS python3 "$AGENT_DIR/upstream.py" "$AGENT_DIR/mode" &
UPSTREAM=$!
on_exit "kill $UPSTREAM 2>/dev/null"
upstream_up() { in_ns $NS dig +short +time=1 +tries=1 @127.0.0.9 -p 5353 probe.example.test | grep -q 192.0.2.99; }
wait_for 20 upstream_up || fatal "the fake upstream did not start"
agent_start $NS
dns=$(agent_worker_pid dns)
n=0
# ask NAME: "STATUS|ADDRESS|SECONDS" as dig sees it (one try, 8 s patience: silence would show).
ask() {
    n=$((n + 1))
    local t0 out
    t0=$(date +%s%N)
    out=$(in_ns $NS dig +time=8 +tries=1 @$AGENT_V4 "q$n-$1.example.test")
    printf '%s|%s|%s\n' "$(sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$out")" \
        "$(awk '/^;; ANSWER SECTION/ {getline; print $5}' <<<"$out")" $((($(date +%s%N) - t0) / 1000000000))
}
IFS="|" read -r status address took < <(ask ok)
assert_eq "a good upstream answers through the agent" "NOERROR 192.0.2.99" "$status $address"

for mode in garbage wrongid noquestion silent slow; do
    echo $mode >"$AGENT_DIR/mode"
    IFS="|" read -r status address took < <(ask $mode)
    assert_eq "upstream $mode: SERVFAIL, never silence" SERVFAIL "$status"
    assert_eq "upstream $mode: no address accepted" "" "$address"
    check "upstream $mode: within dns_request_timeout (3 s) plus a second (took ${took}s)" test "$took" -le 4
done
# The short garbage datagram and the two wrong-ID answers matched no query: counted, and shown.
rejected() {
    in_ns $NS "$BCA_BIN/boundary-agent" status -format json -socket "$AGENT_DIR/run/agent.sock" |
        jq -r '.dns.rejected_answers // 0'
}
three_rejected() { [ "$(rejected)" -ge 3 ]; }
check "status shows the rejected upstream answers (reported every 5 s)" wait_for 8 three_rejected
kill $UPSTREAM
wait $UPSTREAM 2>/dev/null
IFS="|" read -r status address took < <(ask down)
assert_eq "upstream down: SERVFAIL" SERVFAIL "$status"
check "upstream down: within the timeout (took ${took}s)" test "$took" -le 4
assert_eq "the DNS worker survived every fault (same pid)" "$dns" "$(agent_worker_pid dns)"

# Failover: the hostile upstream first, the real one (dnsmasq) second.
echo ok >"$AGENT_DIR/mode"
ip netns exec $NS python3 "$AGENT_DIR/upstream.py" "$AGENT_DIR/mode" &
UPSTREAM=$!
on_exit "kill $UPSTREAM 2>/dev/null"
wait_for 20 upstream_up || fatal "the fake upstream did not restart"
echo "override_upstream_dns_servers = [\"127.0.0.9:5353\", \"$AGENT_UPSTREAM\"]" >>"$AGENT_CONFIG"
sed -i '0,/^override_upstream_dns_servers = \["127.0.0.9:5353"\]$/{//d}' "$AGENT_CONFIG"
kill -HUP $AGENT_PID
check "reloaded with two upstreams" wait_for 5 grep -q "boundary-agent-dns: configuration reloaded" "$AGENT_DIR/agent.log"
for mode in garbage wrongid silent; do
    echo $mode >"$AGENT_DIR/mode"
    in_ns $NS dig +short +time=8 +tries=1 @$AGENT_V4 "warm-$mode.example.test" >/dev/null
    out=$(in_ns $NS dig +short +time=8 +tries=1 @$AGENT_V4 example.test)
    assert_eq "first upstream $mode: the second one answers" 192.0.2.7 "$out"
done
assert_eq "the DNS worker is still the same" "$dns" "$(agent_worker_pid dns)"
agent_stop
assert_eq "SIGTERM exits 0" 0 "$AGENT_RC"
finish
