#!/usr/bin/env python3
"""Writes the committed seed corpora under fuzz/corpus/NAME/ (deterministic; rerun after a format
change). The DNS target also reads Tests/fixtures/dns/ and the HCL target Tests/integration/configs/
and config/ (fuzz/run.sh passes those directories too), so only what they lack is here."""
import json
import os
import struct

ROOT = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    d = os.path.join(ROOT, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --- DNS: upstream answers (what the scanner and the full reader see from resolvers) ----------
def name(text):
    out = b""
    for label in text.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def rr(owner, rtype, rdata, ttl=300, rclass=1):
    return owner + struct.pack(">HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def message(ident, flags, questions, answers=(), authority=(), additional=()):
    head = struct.pack(">HHHHHH", ident, flags, len(questions), len(answers), len(authority), len(additional))
    return head + b"".join(questions) + b"".join(answers) + b"".join(authority) + b"".join(additional)


q = name("host.example.com") + struct.pack(">HH", 1, 1)
ptr = b"\xc0\x0c"
opt = b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0)
put("dns", "answer-a-cname", message(7, 0x8180, [q], [rr(ptr, 5, name("x.example.com")), rr(name("x.example.com"), 1, bytes([192, 0, 2, 1]))], additional=[opt]))
put("dns", "answer-nxdomain-soa", message(8, 0x8183, [q], authority=[rr(name("example.com"), 6, name("ns.example.com") + name("hostmaster.example.com") + struct.pack(">IIIII", 1, 2, 3, 4, 60))]))
put("dns", "answer-aaaa-mx-txt-srv", message(9, 0x8180, [name("host.example.com") + struct.pack(">HH", 28, 1)], [
    rr(ptr, 28, bytes(range(16))), rr(ptr, 15, struct.pack(">H", 10) + ptr), rr(ptr, 16, b"\x05hello\x00"),
    rr(ptr, 33, struct.pack(">HHH", 1, 2, 443) + name("srv.example.com"))]))
put("dns", "answer-truncated", message(10, 0x8380, [q]))
put("dns", "answer-tsig", message(11, 0x8180, [q], additional=[rr(name("key."), 250, b"\x00" * 20, ttl=0, rclass=255)]))
put("dns", "query-edns-cookie", message(12, 0x0100, [name("web.boundary.dev") + struct.pack(">HH", 1, 1)], additional=[b"\0" + struct.pack(">HHIH", 41, 4096, 0x8000, 12) + struct.pack(">HH", 10, 8) + b"\x01" * 8]))

# --- JSON / controller responses (boundary-protocol.md §1) -----------------------------------
ts = "2026-11-25T10:00:00.123456Z"
auth_token = {"id": "at_1234567890", "scope_id": "global", "token": "at_1234567890_s1abc", "user_id": "u_1234567890",
              "auth_method_id": "ampw_1234567890", "account_id": "acctpw_1234567890", "created_time": ts,
              "updated_time": ts, "approximate_last_used_time": ts, "expiration_time": ts,
              "authorized_actions": ["read:self", "delete:self"],
              "scope": {"id": "global", "type": "global", "name": "global", "description": "Global Scope"}}
authenticate = {"command": "login", "attributes": auth_token}
aliases = {"items": [{"id": "alt_1234567890", "value": "db.corp", "type": "target", "destination_id": "ttcp_1234567890",
                      "created_time": ts, "updated_time": ts}], "response_type": "complete", "list_token": "GzusqckarbczHoLGQ4UA25Dr",
           "sort_by": "created_time", "sort_dir": "desc", "removed_ids": ["alt_0987654321"], "est_item_count": 1}
authorization = {"session_id": "s_1234567890", "target_id": "ttcp_1234567890", "scope": {"id": "p_1234567890", "type": "project"},
                 "created_time": ts, "user_id": "u_1234567890", "host_set_id": "hsst_1234567890", "host_id": "hst_1234567890",
                 "type": "tcp", "authorization_token": "3vQB7B6MrGQZaxCuFg4oh", "endpoint": "tcp://127.0.0.1:22",
                 "connection_limit": -1, "expiration": ts, "endpoint_port": 22,
                 "credentials": [{"credential_source": {"id": "credup_1234567890", "name": "pg", "type": "username_password",
                                                        "credential_type": "username_password", "credential_store_id": "csst_1234567890"},
                                  "secret": {"raw": "eyJ1c2VybmFtZSI6ImRiYSJ9", "decoded": {"username": "dba", "password": "x"}},
                                  "credential": {"username": "dba", "password": "x"}}]}
session = {"id": "s_1234567890", "target_id": "ttcp_1234567890", "scope": {"id": "p_1234567890", "type": "project"},
           "created_time": ts, "updated_time": ts, "version": 2, "type": "tcp", "expiration_time": ts, "auth_token_id": "at_1234567890",
           "user_id": "u_1234567890", "endpoint": "tcp://127.0.0.1:22", "status": "active",
           "states": [{"status": "active", "start_time": ts}, {"status": "pending", "start_time": ts, "end_time": ts}],
           "certificate": "AAEC", "connections": [{"client_tcp_address": "127.0.0.1", "client_tcp_port": 5000,
                                                  "endpoint_tcp_address": "127.0.0.1", "endpoint_tcp_port": 22,
                                                  "bytes_up": "10", "bytes_down": "20", "closed_reason": "closed by end-user"}],
           "authorized_actions": ["read:self", "cancel:self"]}
error = {"kind": "InvalidArgument", "message": "Error in provided request.", "details": {
    "request_fields": [{"name": "attributes.login_name", "description": "This field is required."}],
    "wrapped_errors": [{"message": "m", "op": "authenticate"}], "error_id": "e_1"}}
for key, doc in [("auth-token", auth_token), ("authenticate", authenticate), ("aliases", aliases),
                 ("authorize-session", authorization), ("session", session), ("error", error),
                 ("forbidden", {"kind": "PermissionDenied", "message": "Forbidden."}),
                 ("invalid-list-token", {"kind": "invalid list token", "message": "list token expired"})]:
    put("controller-json", key + ".json", json.dumps(doc))
    put("json", key + ".json", json.dumps(doc, indent=2))
put("json", "numbers.json", '[0,-0,1e308,-1.5e-300,9223372036854775807,-9223372036854775808,9223372036854775808,0.1]')
put("json", "strings.json", '["\\u0000\\ud83d\\ude00\\n\\"\\\\", "\u00e9", ""]')
put("json", "deep.json", "[" * 63 + "]" * 63)

# --- session token: protobuf SessionAuthorizationData, handshakes, token texts ----------------
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58(data):
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def varint(v):
    v &= (1 << 64) - 1
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(number, wire, payload):
    key = varint(number << 3 | wire)
    if wire == 0:
        return key + varint(payload)
    return key + varint(len(payload)) + payload


worker = field(1, 2, b"127.0.0.1:9202")
sad = (field(1, 2, b"s_1234567890") + field(2, 2, b"\x30\x82" + b"\x01" * 40) + field(3, 2, b"\x07" * 64)
       + field(4, 2, b"tcp") + field(5, 2, field(1, 0, 1764064800) + field(2, 0, 5)) + field(6, 0, (1 << 64) - 1)
       + field(7, 0, 1) + field(8, 2, worker) + field(9, 0, 22))
put("session-token", "authorization-data.pb", sad)
put("session-token", "authorization-token.txt", b58(sad))
put("session-token", "client-handshake.pb", field(10, 2, b"abcdefghij0123456789") + field(20, 0, 1))
put("session-token", "handshake-result.pb", field(1, 2, field(1, 0, 1764064800)) + field(2, 0, (1 << 64) - 1) + field(3, 0, 5))
put("session-token", "auth-token.txt", "at_1234567890_s1" + b58(b"\x01" * 32))
put("session-token", "leading-zeros.txt", "111" + b58(b"\x00\x00\xff"))

# --- WebSocket: the upgrade response, then frames as a worker sends them -----------------------
accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # RFC 6455 §1.3 example, for key dGhlIHNhbXBsZSBub25jZQ==
head = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: boundary-tcp-proxy-v1\r\n\r\n" % accept).encode()


def frame(opcode, payload, fin=True):
    first = (0x80 if fin else 0) | opcode
    n = len(payload)
    if n < 126:
        return bytes([first, n]) + payload
    if n < 65536:
        return bytes([first, 126]) + struct.pack(">H", n) + payload
    return bytes([first, 127]) + struct.pack(">Q", n) + payload


result = field(2, 0, (1 << 64) - 1) + field(3, 0, 5)
put("websocket", "upgrade-then-handshake", b"\x03" + head + frame(2, result) + frame(2, b"hello") + frame(8, struct.pack(">H", 1000)))
put("websocket", "fragmented-ping", b"\x05" + frame(2, b"ab", fin=False) + frame(9, b"p") + frame(0, b"cd") + frame(10, b""))
put("websocket", "long-lengths", b"\x01" + frame(2, b"x" * 200) + frame(2, b"y" * 70000)[:300])
put("websocket", "close-reason", b"\x09" + frame(8, struct.pack(">H", 1008) + b"tofu token not allowed"))
put("websocket", "refused", b"\x02HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

# --- CLI: responses of the local API ----------------------------------------------------------
status = json.dumps({"boundary_addr": "http://127.0.0.1:9200", "auth_token_id": "at_1234567890",
                     "auth_token_expiry": ts, "version": "0.1.0", "status": "running", "errors": [], "warnings": [],
                     "uid": 1001, "user_id": "u_1234567890", "alias_count": 3, "alias_listing": "ok", "session_count": 1})


def response(status_line, body, extra=""):
    return ("HTTP/1.1 %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n%s\r\n" % (status_line, len(body), extra)).encode() + body.encode()


put("cli-http", "status", response("200 OK", status))
put("cli-http", "error", response("403 Forbidden", json.dumps({"kind": "PermissionDenied", "message": "only root"})))
body = json.dumps({"items": [{"alias": "pg.corp", "connections": 1, "session_authorization": authorization}]})
put("cli-http", "chunked", ("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\nx-trailer: 1\r\n\r\n" % (len(body), body)).encode())
put("cli-http", "until-eof", b"HTTP/1.0 200 OK\r\n\r\n" + json.dumps({"status": "paused", "pause_scope": "user"}).encode())
put("cli-http", "no-content", b"HTTP/1.1 204 No Content\r\n\r\n")

# --- local API requests (first byte: read size and transport) ---------------------------------
token = json.dumps({"boundary_addr": "http://127.0.0.1:9200", "token": "at_1234567890_s1abc", "uid": 0})
put("local-api", "status-unix", b"\x05GET /v1/status HTTP/1.1\r\nHost: localhost\r\n\r\n")
put("local-api", "tokens-tcp", b"\x87" + ("POST /v1/tokens?uid=0 HTTP/1.1\r\nHost: 127.0.0.1:9300\r\nX-Uid: 0\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(token), token)).encode())
put("local-api", "pipelined", b"\x3fPOST /v1/pause?scope=agent HTTP/1.1\r\nHost: localhost\r\n\r\nGET /v1/explain?name=db%2Ecorp&uid=0 HTTP/1.1\r\nHost: [::1]:9300\r\n\r\nDELETE /v1/tokens HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
put("local-api", "browser", b"\x90GET /v1/sessions HTTP/1.1\r\nHost: evil.example\r\nOrigin: http://evil.example\r\n\r\n")
put("local-api", "chunked-body", b"\x02POST /v1/tokens HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n")

# --- IPC: direction byte, then messages as flags u8 | length u16 | kind u16 flags u16 length u32 payload
def ipc_message(kind, payload=b"", fd=False, more=False):
    body = struct.pack(">HHI", kind, 1 if more else 0, len(payload)) + payload
    return bytes([1 if fd else 0]) + struct.pack(">H", len(body)) + body


def s(text):
    b = text.encode()
    return struct.pack(">I", len(b)) + b


config = 'dns_request_timeout = "3s"\nlog_level = "debug"\n'
put("ipc", "helper-to-dns-bootstrap", bytes([0]) + ipc_message(100, s(config)) + ipc_message(101, struct.pack(">I", 1) + bytes([4]) + bytes([127, 0, 0, 2]) + struct.pack(">H", 53))
    + ipc_message(102, fd=True) + ipc_message(110, fd=True) + ipc_message(130) + ipc_message(135, struct.pack(">IB", 7, 1) + s("ok")))
put("ipc", "proxy-to-helper", bytes([3]) + ipc_message(200) + ipc_message(202, struct.pack(">I", 1) + s("auto-paused")) + ipc_message(204, struct.pack(">I", 2)) + ipc_message(210, struct.pack(">I", 3)))
entry = s("db.corp") + bytes([100, 64, 0, 7]) + bytes(16)
put("ipc", "broker-to-dns", bytes([4]) + ipc_message(300, struct.pack(">II", 1001, 2) + entry + entry) + ipc_message(301, struct.pack(">II", 1, 1002))
    + ipc_message(302, struct.pack(">II", 9, 1001) + s("db.corp") + bytes([3]) + bytes([100, 64, 0, 7]) + bytes(16)) + ipc_message(303))
put("ipc", "dns-to-broker", bytes([5]) + ipc_message(400, struct.pack(">I", 1001) + s("db.corp")) + ipc_message(401, struct.pack(">II", 5, 1001) + s("x.corp")) + ipc_message(402, bytes(8 * 11 + 4)))
put("ipc", "fragments", bytes([0]) + ipc_message(100, s("#" + "x" * 16379)[:16384], more=True) + ipc_message(100, b"\n"))

# --- HCL: every key once, with comments and the forms the lexer knows --------------------------
put("hcl", "every-key.hcl", '''# every key
alias_refresh_interval = "1m30s"
dns_request_timeout = "5s" // trailing comment
interface_to_use = "lo"
log_file = "/var/log/boundary-client-agent.log"
log_level = "WARNING"
log_to_stdout = true
operational_state_file = "/var/lib/boundary-client-agent/operational-state.json"
override_upstream_dns_servers = ["127.0.0.1", "127.0.0.2:5353", "[::1]:53",]
state_file = "/run/boundary-client-agent/state.json"
v4_prefix = "100.64.0.0/10"
v6_prefix = "fd5b:c1a6:e7a0::/64"
api_listen_port = 9300
api_socket_path = "/run/boundary-client-agent/agent.sock"
dns_mode = "resolv.conf"
resolv_conf_path = "/etc/resolv.conf"
dns_cache_size = 10000
admin_group = "sudo"
worker_user = "boundary-agent"
tls_ca_file = "/etc/ssl/certs/ca-certificates.crt"
tls_insecure = false
auto_pause_failures = 20
auto_pause_window = "1m"
session_idle_timeout = "15m"
max_connections_per_user = 1024
/* block
comment */
''')
put("hcl", "escapes.hcl", 'log_file = "/tmp/a\\"b\\\\c\\u00e9\\n"\nadmin_group = ""\n')
