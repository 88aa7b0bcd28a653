#!/usr/bin/env bash
# Sessions on the dev controller, driven by curl with the Go client's request shapes
# (boundary-protocol.md §1.7, §1.8, §2): authorize-session by alias, the base58 protobuf token
# (decoded here by an independent decoder), the session certificate (read by openssl), reads,
# cancel with current/stale/missing versions, and the fault knobs: API stop/start by signal,
# added latency, injected errors.
. "$(dirname "$0")/lib.sh"
need_root
need_tool curl jq python3 openssl ip
need_bin boundary-dev-controller

ns=bca-api-sess
dir=$(tmpdir)
netns_create "$ns"
cat >"$dir/config.json" <<'EOF'
{
  "targets": [
    {"id": "ttcp_1234567890", "name": "ssh", "address": "127.0.0.1", "port": 22},
    {"id": "ttcp_5432543254", "name": "postgres", "address": "127.0.0.1", "port": 5432,
     "credentials": [{"type": "username_password", "id": "credup_1234567890", "username": "postgres", "password": "password"}]},
    {"id": "ttcp_limit00001", "name": "limited", "address": "127.0.0.1", "port": 2222, "connection_limit": 1,
     "max_seconds": 120,
     "credentials": [{"type": "ssh_private_key", "username": "git", "private_key": "KEY"},
                     {"type": "json", "object": {"api_key": "k"}}]}
  ],
  "aliases": [
    {"value": "ssh.boundary.dev", "target": "ttcp_1234567890"},
    {"value": "postgres.boundary.dev", "target": "ttcp_5432543254"},
    {"value": "limited.example.test", "target": "limited"}
  ]
}
EOF
dev_controller "$ns" "$dir" -config "$dir/config.json" -admin-listen-address 127.0.0.1:9209 \
    -request-log "$dir/requests.jsonl"

api() {
    local method=$1 path=$2 token=$3 body=${4:-}
    local args=(-s -o "$dir/body" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $token"
        -H "Content-Type: application/json")
    [ -n "$body" ] && args+=(--data-binary "$body")
    status=$(in_ns "$ns" curl "${args[@]}" "http://127.0.0.1:9200$path")
}
admin() { in_ns "$ns" curl -sf -X "$1" ${2:+--data-binary "$2"} "http://127.0.0.1:9209$3" >/dev/null; }

api POST /v1/auth-methods/ampw_1234567890:authenticate "" '{"attributes":{"login_name":"user","password":"password"},"command":"login"}'
token=$(jq -r .attributes.token "$dir/body")

# --- authorize-session by alias value, no host_id ---
api POST /v1/targets/postgres.boundary.dev:authorize-session "$token" '{}'
assert_eq "authorize: 200" 200 "$status"
cp "$dir/body" "$dir/auth.json"
sid=$(jq -r .session_id "$dir/auth.json")
check "session id is s_<10>" grep -Eq '^s_[0-9A-Za-z]{10}$' <<<"$sid"
assert_eq "authorize: real target id" ttcp_5432543254 "$(jq -r .target_id "$dir/auth.json")"
assert_eq "authorize: endpoint" tcp://127.0.0.1:5432 "$(jq -r .endpoint "$dir/auth.json")"
assert_eq "authorize: unlimited connections" -1 "$(jq -r .connection_limit "$dir/auth.json")"
assert_eq "authorize: no worker_info in JSON" null "$(jq -r .worker_info "$dir/auth.json")"
assert_eq "authorize: project scope" p_1234567890 "$(jq -r .scope.id "$dir/auth.json")"
assert_eq "brokered credential: typed view" '{"password":"password","username":"postgres"}' "$(jq -c '.credentials[0].credential' "$dir/auth.json")"
assert_eq "brokered credential: raw is base64 of the JSON secret" '{"password":"password","username":"postgres"}' "$(jq -r '.credentials[0].secret.raw' "$dir/auth.json" | base64 -d)"
assert_eq "brokered credential: source" "static username_password credup_1234567890" "$(jq -r '.credentials[0].credential_source | "\(.type) \(.credential_type) \(.id)"' "$dir/auth.json")"

# Decode authorization_token independently: base58 (Bitcoin alphabet) -> protobuf fields.
jq -r .authorization_token "$dir/auth.json" >"$dir/token.txt"
python3 - "$dir/token.txt" "$dir" <<'PY' >"$dir/token.json"
import json, sys
alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
text = open(sys.argv[1]).read().strip()
n = 0
for c in text:
    n = n * 58 + alphabet.index(c)
raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
raw = b"\0" * (len(text) - len(text.lstrip("1"))) + raw
def fields(b):
    i, out = 0, []
    while i < len(b):
        tag = shift = 0
        while True:
            x = b[i]; i += 1; tag |= (x & 0x7F) << shift; shift += 7
            if x < 0x80: break
        num, wt = tag >> 3, tag & 7
        if wt == 0:
            v = shift = 0
            while True:
                x = b[i]; i += 1; v |= (x & 0x7F) << shift; shift += 7
                if x < 0x80: break
            out.append((num, v))
        elif wt == 2:
            l = shift = 0
            while True:
                x = b[i]; i += 1; l |= (x & 0x7F) << shift; shift += 7
                if x < 0x80: break
            out.append((num, b[i:i + l])); i += l
        else:
            raise SystemExit("unexpected wire type %d" % wt)
    return out
f = fields(raw)
get = lambda n: [v for k, v in f if k == n]
open(sys.argv[2] + "/cert.der", "wb").write(get(120)[0])
print(json.dumps({
    "first_bytes": raw[:1].hex(),
    "session_id": get(10)[0].decode(),
    "target_id": get(20)[0].decode(),
    "type": get(80)[0].decode(),
    "connection_limit": get(90)[0] - (1 << 64) if get(90)[0] >= 1 << 63 else get(90)[0],
    "endpoint_port": get(102)[0],
    "endpoint": get(141)[0].decode(),
    "workers": [dict(fields(w))[10].decode() for w in get(150)],
    "private_key_len": len(get(130)[0]),
    "private_key_pub_hex": get(130)[0][32:].hex(),
    "cert_b64": __import__("base64").b64encode(get(120)[0]).decode(),
    "expiration_seconds": dict(fields(get(105)[0]))[1],
}))
PY
check "token decodes" test -s "$dir/token.json"
assert_eq "token: starts with tag 0x52 (session_id)" 52 "$(jq -r .first_bytes "$dir/token.json")"
assert_eq "token: session id" "$sid" "$(jq -r .session_id "$dir/token.json")"
assert_eq "token: worker address" '["127.0.0.1:9202"]' "$(jq -c .workers "$dir/token.json")"
assert_eq "token: 64-byte ed25519 key" 64 "$(jq -r .private_key_len "$dir/token.json")"
assert_eq "token: -1 as a 10-byte varint decodes back" -1 "$(jq -r .connection_limit "$dir/token.json")"
assert_eq "token: endpoint port" 5432 "$(jq -r .endpoint_port "$dir/token.json")"
assert_eq "token: type" tcp "$(jq -r .type "$dir/token.json")"

# The certificate, read by openssl: self-signed Ed25519 CA, empty subject, SANs, EKU.
openssl x509 -inform DER -in "$dir/cert.der" -noout -text >"$dir/cert.txt" 2>&1
check "openssl parses the certificate" grep -q "Signature Algorithm: ED25519" "$dir/cert.txt"
check "certificate: CA:TRUE" grep -q "CA:TRUE" "$dir/cert.txt"
check "certificate: session id DNS SAN" grep -q "DNS:$sid" "$dir/cert.txt"
check "certificate: worker IP SAN" grep -q "IP Address:127.0.0.1" "$dir/cert.txt"
check "certificate: client and server auth" grep -q "TLS Web Server Authentication, TLS Web Client Authentication" "$dir/cert.txt"
assert_eq "certificate: empty subject" "subject=" "$(openssl x509 -inform DER -in "$dir/cert.der" -noout -subject 2>&1 | tr -d ' ')"
pub=$(openssl x509 -inform DER -in "$dir/cert.der" -noout -pubkey | openssl pkey -pubin -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n')
assert_eq "certificate key = the token key's public half" "$(jq -r .private_key_pub_hex "$dir/token.json")" "$pub"

# --- read and cancel ---
api GET "/v1/sessions/$sid" "$token"
assert_eq "read session: 200" 200 "$status"
assert_eq "read session: pending, version 1" "pending 1" "$(jq -r '"\(.status) \(.version)"' "$dir/body")"
assert_eq "read session: certificate = the token's" "$(jq -r .cert_b64 "$dir/token.json")" "$(jq -r .certificate "$dir/body")"
api POST "/v1/sessions/$sid:cancel" "$token" '{}'
assert_eq "cancel without version: 400" 400 "$status"
assert_eq "cancel without version: field" '["version: Required field."]' "$(jq -c '[.details.request_fields[] | .name + ": " + .description]' "$dir/body")"
api POST "/v1/sessions/$sid:cancel" "$token" '{"version":9}'
assert_eq "cancel with a stale version: 500" 500 "$status"
api GET "/v1/sessions/$sid" "$token"
assert_eq "stale cancel changed nothing" pending "$(jq -r .status "$dir/body")"
api POST "/v1/sessions/$sid:cancel" "$token" '{"version":1}'
assert_eq "cancel: 200" 200 "$status"
assert_eq "cancel: terminated, canceled, version 2" "terminated canceled 2" "$(jq -r '"\(.status) \(.termination_reason) \(.version)"' "$dir/body")"
api POST "/v1/sessions/$sid:cancel" "$token" '{"version":1}'
assert_eq "cancel again: 200, unchanged" "200 terminated" "$status $(jq -r .status "$dir/body")"

# --- errors ---
api POST /v1/targets/nope.example.test:authorize-session "$token" '{}'
assert_eq "unknown alias: 404" 404 "$status"
assert_eq "unknown alias: message" 'resource alias not found with value "nope.example.test"' "$(jq -r .message "$dir/body")"
api POST /v1/targets/ssh.boundary.dev:authorize-session "" '{}'
assert_eq "authorize as anonymous: 401" 401 "$status"
api GET "/v1/sessions/$sid" ""
assert_eq "read session as anonymous: 401" 401 "$status"
api GET /v1/sessions/s_0000000000 "$token"
assert_eq "unknown session: 404" 404 "$status"
api POST /v1/targets/limited.example.test:authorize-session "$token" '{}'
assert_eq "limited target: limit 1 in JSON" 1 "$(jq -r .connection_limit "$dir/body")"
assert_eq "limited target: ssh key and json credentials" "ssh_private_key json" "$(jq -r '[.credentials[].credential_source.credential_type] | join(" ")' "$dir/body")"
exp=$(jq -r .expiration "$dir/body")
check "limited target: expiration is RFC 3339" grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\.[0-9]+)?Z$' <<<"$exp"
admin POST '{"user":"u_0987654321","target":"ttcp_limit00001","allow":false}' /admin/grants
api POST /v1/targets/limited.example.test:authorize-session "$token" '{}'
assert_eq "revoked target: 403" 403 "$status"

# Every authorize-session made a new session.
assert_eq "request log: authorize-session calls" 5 "$(jq -r 'select(.event=="authorize-session") | .status' "$dir/requests.jsonl" | wc -l)"
assert_eq "request log: alias recorded" postgres.boundary.dev "$(jq -r 'select(.event=="authorize-session") | .alias' "$dir/requests.jsonl" | head -1)"

# --- fault knobs ---
kill -USR1 "$DC_PID"
wait_for 5 sh -c "! ip netns exec $ns curl -s -o /dev/null http://127.0.0.1:9200/v1/sessions/x"
in_ns "$ns" curl -s -o /dev/null "http://127.0.0.1:9200/v1/auth-tokens/at_1"
assert_eq "SIGUSR1: API refuses connections (curl exit 7)" 7 "$?"
kill -USR2 "$DC_PID"
wait_for 5 in_ns "$ns" curl -s -o /dev/null "http://127.0.0.1:9200/v1/auth-tokens/at_1"
api GET "/v1/sessions/$sid" "$token"
assert_eq "SIGUSR2: API back, same state" 200 "$status"

admin POST '{"endpoint":"read-session","latency":"3s"}' /admin/faults
in_ns "$ns" curl -s -m 1 -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:9200/v1/sessions/$sid"
assert_eq "latency knob: curl -m 1 times out (exit 28)" 28 "$?"
admin POST '{"endpoint":"read-session","latency":0,"error_rate":1,"error_status":503}' /admin/faults
api GET "/v1/sessions/$sid" "$token"
assert_eq "error knob: 503 Unavailable" "503 Unavailable" "$status $(jq -r .kind "$dir/body")"
admin DELETE "" /admin/faults
api GET "/v1/sessions/$sid" "$token"
assert_eq "faults cleared" 200 "$status"
finish
