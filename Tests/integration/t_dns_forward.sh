#!/usr/bin/env bash
# Forwarding to real upstreams: unbound and dnsmasq in the namespace. The first upstream dead → the second
# answers; all dead → SERVFAIL within dns_request_timeout; an answer too large for UDP → TC from the
# upstream → our TCP retry; long answers and queries read whole over UDP; the cache answers repeats.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_helpers.sh"
need_root
need_tool dig unbound dnsmasq
need_bin dns-test-server
NS=bca-dns-fwd
DNS_DIR=$(tmpdir)
dns_netns $NS
big=""
for i in $(seq 1 40); do big+="  local-data: 'big.example.test. 300 IN TXT \"record $i padding padding padding\"'"$'\n'; done
# The same 40 records (~1.9 KB) under a name nothing asks first, so its first answer comes over UDP.
for i in $(seq 1 40); do big+="  local-data: 'wide.example.test. 300 IN TXT \"record $i padding padding padding\"'"$'\n'; done
start_unbound $NS "$DNS_DIR" 5301 "$big"
in_ns $NS dnsmasq --keep-in-foreground --no-resolv --no-hosts --listen-address=127.0.0.2 --port=5302 \
    --bind-interfaces --address=/only.dnsmasq.test/192.0.2.77 --pid-file="$DNS_DIR/dnsmasq.pid" \
    >"$DNS_DIR/dnsmasq.out" 2>&1 &
wait_for 10 in_ns $NS dig @127.0.0.2 -p 5302 +time=1 +tries=1 only.dnsmasq.test || fatal "dnsmasq did not start"
# 127.0.0.3:5399 has nothing listening: the first upstream is dead.
start_dns $NS "$DNS_DIR" --upstream 127.0.0.3:5399 --upstream 127.0.0.1:5301 --timeout-ms 2000

out=$(in_ns $NS dig @$DNS_V4 +time=3 +tries=1 www.example.test A)
assert_contains "first upstream dead, the second (unbound) answers" "192.0.2.10" "$out"
failures=$(dns_counter failures)
assert_contains "the dead upstream's failure is counted" "127.0.0.3:5399:" "$failures"
out=$(in_ns $NS dig @$DNS_V4 +time=3 +tries=1 www.example.test A)
assert_contains "repeat answered" "192.0.2.10" "$out"
assert_eq "the repeat came from the cache" 1 "$(dns_counter cacheHits)"

# TC: without EDNS unbound truncates the 40 TXT records; we retry over TCP; our UDP answer to a 512-byte
# client is TC too, so dig retries over TCP and gets all 40.
out=$(in_ns $NS dig @$DNS_V4 +noedns +time=3 +tries=1 big.example.test TXT)
assert_contains "the full TXT set arrives (after TC and TCP)" "ANSWER: 40" "$out"
assert_contains "our UDP answer was truncated first" "Truncated, retrying in TCP mode" "$out"
retries=$(dns_counter tcpRetries)
check "an upstream TC answer was retried over TCP" test "$retries" -ge 1
# Over TCP from the client (query without EDNS, so the upstream truncates and we retry): exactly one answer.
answers=$(in_ns $NS python3 - "$DNS_V4" <<'PY'
import socket, struct, sys
q = struct.pack(">HHHHHH", 0x5151, 0x0100, 1, 0, 0, 0) + b"\x03big\x07example\x04test\x00" + struct.pack(">HH", 16, 1)
s = socket.create_connection((sys.argv[1], 53), timeout=3)
s.sendall(struct.pack(">H", len(q)) + q)
s.settimeout(1.5)
count, data = 0, b""
try:
    while True:
        chunk = s.recv(65535)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    pass
while len(data) >= 2:
    n = struct.unpack(">H", data[:2])[0]
    if len(data) < 2 + n:
        break
    if struct.unpack(">H", data[8:10])[0] == 40:
        count += 1
    data = data[2 + n:]
print(count)
PY
)
assert_eq "a TCP client gets exactly one full answer after the upstream's TC" 1 "$answers"
out=$(in_ns $NS dig @$DNS_V4 +bufsize=4096 +time=3 +tries=1 big.example.test TXT)
assert_contains "with EDNS 4096 the answer fits UDP" "ANSWER: 40" "$out"
assert_not_contains "no TCP fallback needed" "Truncated" "$out"

# Answers and queries longer than NIO's default receive slices (256 bytes an answer, 128 a query), which
# came back SERVFAIL after the timeout and FORMERR: both are read whole.
retries_before=$(dns_counter tcpRetries)
out=$(in_ns $NS dig @$DNS_V4 +bufsize=4096 +time=3 +tries=1 wide.example.test TXT)
assert_contains "a 1.9 KB upstream answer arrives whole over UDP" "ANSWER: 40" "$out"
assert_not_contains "... without TC" "Truncated" "$out"
assert_eq "... and without a TCP retry upstream" "$retries_before" "$(dns_counter tcpRetries)"
long=$(printf 'l%.0s' $(seq 60)).$(printf 'm%.0s' $(seq 60)).example.test
out=$(in_ns $NS dig @$DNS_V4 +cookie +time=3 +tries=1 "$long" A)
assert_contains "a 170-byte query (long name, EDNS cookie) is read whole: unbound's NXDOMAIN" "status: NXDOMAIN" "$out"

# Reload-free second server pointed at dnsmasq after a dead one, over TCP from the client.
stop_dns "$DNS_DIR"
start_dns $NS "$DNS_DIR" --upstream 127.0.0.3:5399 --upstream 127.0.0.2:5302 --timeout-ms 2000
out=$(in_ns $NS dig @$DNS_V6 +tcp +time=3 +tries=1 only.dnsmasq.test A)
assert_contains "dnsmasq answers when the first is dead (client over TCP, v6)" "192.0.2.77" "$out"

# All dead: SERVFAIL, within the 1 s timeout, never silence.
stop_dns "$DNS_DIR"
start_dns $NS "$DNS_DIR" --upstream 127.0.0.3:5399 --upstream 127.0.0.4:5399 --timeout-ms 1000
start=$(date +%s%N)
out=$(in_ns $NS dig @$DNS_V4 +time=5 +tries=1 www.example.test A)
took=$((($(date +%s%N) - start) / 1000000))
assert_contains "all upstreams dead: SERVFAIL" "status: SERVFAIL" "$out"
check "SERVFAIL within dns_request_timeout (${took} ms)" test $took -le 1500
# Blackholed upstream (a socket that never answers): SERVFAIL at the timeout.
in_ns $NS python3 -c 'import socket,time; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.5",5399)); time.sleep(30)' &
on_exit "kill $! 2>/dev/null"
stop_dns "$DNS_DIR"
start_dns $NS "$DNS_DIR" --upstream 127.0.0.5:5399 --timeout-ms 1000
sleep 0.3
start=$(date +%s%N)
out=$(in_ns $NS dig @$DNS_V4 +time=5 +tries=1 +tcp www.example.test A)
took=$((($(date +%s%N) - start) / 1000000))
assert_contains "silent upstream: SERVFAIL" "status: SERVFAIL" "$out"
check "SERVFAIL after about dns_request_timeout (${took} ms)" test $took -ge 900 -a $took -le 1600
finish
