#!/usr/bin/env bash
# The malformed/edge-case corpus (Tests/fixtures/dns/*.bin) over UDP and TCP, v4: each packet is answered
# as its name says (FORMERR, NOTIMP, BADVERS, an answer) or dropped, and after every packet a valid query
# is still answered.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_helpers.sh"
need_root
need_tool python3 unbound
need_bin dns-test-server
NS=bca-dns-corpus
DNS_DIR=$(tmpdir)
dns_netns $NS
start_unbound $NS "$DNS_DIR" 5301
start_dns $NS "$DNS_DIR" --upstream 127.0.0.1:5301 --timeout-ms 1500 --view "0:web.boundary.dev=100.64.0.5"
count=$(ls "$BCA_ROOT"/Tests/fixtures/dns/*.bin | wc -l)
check "the corpus has at least 50 packets ($count)" test "$count" -ge 50
in_ns $NS python3 - "$BCA_ROOT/Tests/fixtures/dns" "$DNS_V4" >"$DNS_DIR/corpus.out" 2>&1 <<'PY'
import os, socket, struct, sys
folder, server = sys.argv[1], sys.argv[2]
valid = struct.pack(">HHHHHH", 0x7777, 0x0100, 1, 0, 0, 0) + b"\x03web\x08boundary\x03dev\x00" + struct.pack(">HH", 1, 1)
failures = 0

def udp(packet, wait):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(wait)
    s.sendto(packet, (server, 53))
    try:
        return s.recv(65535)
    except socket.timeout:
        return None
    finally:
        s.close()

def tcp(packet, wait):
    s = socket.create_connection((server, 53), timeout=wait)
    try:
        s.sendall(struct.pack(">H", len(packet)) + packet)
        head = b""
        while len(head) < 2:
            chunk = s.recv(2 - len(head))
            if not chunk:
                return None
            head += chunk
        length = struct.unpack(">H", head)[0]
        body = b""
        while len(body) < length:
            chunk = s.recv(length - len(body))
            if not chunk:
                return None
            body += chunk
        return body
    except socket.timeout:
        return None
    finally:
        s.close()

def rcode(answer):
    code = answer[3] & 0x0F
    # Extended RCODE: the OPT's TTL high byte (BADVERS = 16).
    if len(answer) >= 23 and answer[-10:-8] == b"\x00\x29":
        code |= answer[-6] << 4
    return code

expected = {"formerr": 1, "notimp": 4, "badvers": 16}
for name in sorted(os.listdir(folder)):
    if not name.endswith(".bin"):
        continue
    packet = open(os.path.join(folder, name), "rb").read()
    kind = name.split("-")[0]
    for transport, send in (("udp", udp), ("tcp", tcp)):
        if transport == "udp" and len(packet) > 1400:
            continue  # would fragment; covered over TCP
        answer = send(packet, 0.4 if kind == "drop" else 3)
        problem = None
        if kind == "drop":
            if answer is not None:
                problem = "answered a packet that must be dropped"
        elif answer is None:
            problem = "no answer"
        elif answer[:2] != packet[:2]:
            problem = "wrong ID"
        elif answer[2] & 0x80 == 0:
            problem = "not a response"
        elif kind in expected and rcode(answer) != expected[kind]:
            problem = "rcode %d, expected %d" % (rcode(answer), expected[kind])
        alive = udp(valid, 3)
        if alive is None or alive[:2] != b"\x77\x77" or b"\x64\x40\x00\x05" not in alive:
            problem = (problem or "") + " and the server stopped answering"
        if problem:
            failures += 1
            print("FAIL", transport, name, problem)
        else:
            print("ok", transport, name)
print("corpus failures:", failures)
sys.exit(1 if failures else 0)
PY
rc=$?
grep -E "^FAIL" "$DNS_DIR/corpus.out" | head -20
assert_eq "every corpus packet handled as expected over UDP and TCP" 0 "$rc"
assert_eq "the server process is still running" 0 "$(kill -0 $DNS_PID 2>/dev/null; echo $?)"
check "counters: FORMERR answers counted" test "$(dns_counter formerr)" -gt 40
finish
