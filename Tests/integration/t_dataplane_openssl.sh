#!/usr/bin/env bash
# The dev worker checked by a client we did not write (openssl s_client), boundary-protocol.md §3:
# without the session certificate, or without the session id in ALPN/SNI, the TLS handshake is
# refused; with them it succeeds, only http/1.1 is negotiated, and the /v1/proxy upgrade echoes
# Sec-WebSocket-Protocol: boundary-tcp-proxy-v1 with Cache-Control: no-store.
. "$(dirname "$0")/lib.sh"
need_root
need_tool openssl ip
need_bin dataplane-check

NS=bca-dataplane-ossl
netns_create "$NS"
dir=$(tmpdir)
other=$(tmpdir)

# A worker with one minted session (endpoint: nothing listens there; the TLS/HTTP layers do not care).
in_ns "$NS" "$BCA_BIN/dataplane-check" worker --listen 127.0.0.1:9202 --session-dir "$dir" \
    --endpoint 127.0.0.1:9 --request-log "$dir/requests.jsonl" >"$dir/worker.out" 2>&1 &
on_exit "kill $! 2>/dev/null"
wait_for 20 grep -q ready "$dir/worker.out" || fatal "worker did not start: $(cat "$dir/worker.out")"
# A second session on another worker process, whose certificate must not open the first one.
in_ns "$NS" "$BCA_BIN/dataplane-check" worker --listen 127.0.0.1:9212 --session-dir "$other" \
    --endpoint 127.0.0.1:9 >"$other/worker.out" 2>&1 &
on_exit "kill $! 2>/dev/null"
wait_for 20 grep -q ready "$other/worker.out" || fatal "second worker did not start"

sid=$(cat "$dir/session_id")
request='GET /v1/proxy HTTP/1.1\r\nHost: 127.0.0.1:9202\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: boundary-tcp-proxy-v1\r\n\r\n'

# s_client ARGS...: the upgrade request over TLS 1.3 to the worker; prints everything s_client says.
s_client() {
    (printf "$request"; sleep 1) | in_ns "$NS" timeout 10 openssl s_client -connect 127.0.0.1:9202 -ign_eof "$@" 2>&1
}

out=$(s_client -tls1_3 -alpn "http/1.1,$sid" -cert "$dir/cert.pem" -key "$dir/key.pem")
assert_contains "session cert + ALPN session id: TLS 1.3 handshake" "TLSv1.3" "$out"
assert_contains "only http/1.1 is negotiated" "ALPN protocol: http/1.1" "$out"
served=$(echo "$out" | sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' | head -n "$(wc -l <"$dir/cert.pem")")
assert_eq "the worker presents exactly the session certificate" "$(cat "$dir/cert.pem")" "$served"
assert_contains "upgrade accepted" "HTTP/1.1 101" "$out"
assert_contains "subprotocol echoed" "Sec-WebSocket-Protocol: boundary-tcp-proxy-v1" "$out"
assert_contains "Cache-Control: no-store" "Cache-Control: no-store" "$out"

out=$(s_client -tls1_3 -servername "$sid" -alpn http/1.1 -cert "$dir/cert.pem" -key "$dir/key.pem")
assert_contains "session id by SNI (no ALPN value): upgrade accepted" "HTTP/1.1 101" "$out"

out=$(s_client -tls1_3 -alpn "http/1.1,$sid")
assert_not_contains "no client certificate: no HTTP answer" "HTTP/1.1" "$out"
assert_contains "no client certificate: certificate required alert" "alert certificate required" "$out"

out=$(s_client -tls1_3 -alpn http/1.1 -cert "$dir/cert.pem" -key "$dir/key.pem")
assert_not_contains "no session id in ALPN or SNI: refused" "HTTP/1.1" "$out"
assert_contains "no session id: TLS internal_error alert" "alert internal error" "$out"

out=$(s_client -tls1_3 -alpn "http/1.1,s_0000000000" -cert "$dir/cert.pem" -key "$dir/key.pem")
assert_contains "unknown session: TLS internal_error alert" "alert internal error" "$out"

out=$(s_client -tls1_3 -alpn "http/1.1,$sid" -cert "$other/cert.pem" -key "$other/key.pem")
assert_not_contains "another session's certificate: no HTTP answer" "HTTP/1.1" "$out"

out=$(s_client -tls1_3 -alpn "$sid" -cert "$dir/cert.pem" -key "$dir/key.pem")
assert_contains "ALPN without http/1.1: no_application_protocol (Go's rule)" "no application protocol" "$out"

out=$(s_client -tls1_2 -alpn "http/1.1,$sid" -cert "$dir/cert.pem" -key "$dir/key.pem")
assert_not_contains "TLS 1.2 is refused" "HTTP/1.1 101" "$out"

bad_request='GET /v1/proxy HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: boundary-tcp-v1\r\n\r\n'
out=$( (printf "$bad_request"; sleep 1) | in_ns "$NS" timeout 10 openssl s_client -connect 127.0.0.1:9202 -ign_eof \
    -tls1_3 -alpn "http/1.1,$sid" -cert "$dir/cert.pem" -key "$dir/key.pem" 2>&1)
assert_contains "wrong subprotocol: plain HTTP error" "HTTP/1.1 426" "$out"
assert_not_contains "wrong subprotocol: no WebSocket accept" "Sec-WebSocket-Accept" "$out"

log=$(cat "$dir/requests.jsonl")
assert_contains "request log records the ALPN offered" "\"alpn\":[\"http/1.1\",\"$sid\"]" "$log"
assert_contains "request log records the SNI route" "\"sni\":\"$sid\"" "$log"
assert_contains "request log records an unknown session" '"result":"unknown-session"' "$log"
assert_contains "request log records a missing session id" '"result":"no-session-id"' "$log"
finish
