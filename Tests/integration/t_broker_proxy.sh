#!/usr/bin/env bash
# The broker end to end, as issue 5's "What proves it" asks: real users add tokens over both API
# transports (the official CLI's request shape on 127.0.0.1:9300), DNS answers aliases per user,
# curl reaches an nginx target through the dev worker, sessions are reused (one authorize-session for
# 20 connections) or not (connection limit 1), other users and root are refused at connect and never
# see the owner's sessions, sign-out cancels the sessions at the controller.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/broker_lib.sh"
need_root
need_tool ip nft curl nginx dnsmasq runuser python3 getent
need_bin broker-test-server boundary-dev-controller

ns=bca-broker-proxy
dir=$(tmpdir)
chmod 755 "$dir"
test_user bca-u1
test_user bca-u2
u1=$(id -u bca-u1)
u2=$(id -u bca-u2)

broker_namespace "$ns"
web_target "$ns" "$dir"
dev_controller "$ns" "$dir" '{
  "users": [
    {"id": "u_1111111111", "login_name": "alice", "password": "password"},
    {"id": "u_2222222222", "login_name": "bob", "password": "password", "targets": ["ttcp_other00001"]}
  ],
  "targets": [
    {"id": "ttcp_web0000001", "name": "web", "address": "127.0.0.1", "port": 8080},
    {"id": "ttcp_once000001", "name": "once", "address": "127.0.0.1", "port": 8080, "connection_limit": 1},
    {"id": "ttcp_other00001", "name": "other", "address": "127.0.0.1", "port": 8080}
  ],
  "aliases": [
    {"value": "web.boundary.dev", "target": "ttcp_web0000001"},
    {"value": "once.boundary.dev", "target": "ttcp_once000001"},
    {"value": "other.boundary.dev", "target": "ttcp_other00001"}
  ]
}'
broker_start "$ns" "$dir" 'alias_refresh_interval = "2s"
log_level = "debug"
session_idle_timeout = "10m"'

# --- tokens ------------------------------------------------------------------------------------
alice=$(login "$ns" alice)
bob=$(login "$ns" bob)
[ -n "$alice" ] && [ -n "$bob" ] || fatal "could not sign in at the dev controller"

out=$(api_unix "$ns" bca-u1 "$dir" POST /v1/tokens "{\"boundary_addr\":\"http://$CTL_API\",\"token\":\"$alice\"}")
assert_eq "bca-u1's token accepted over the unix socket" "u_1111111111" "$(echo "$out" | json '["user_id"]')"
assert_eq "the caller is bca-u1 by SO_PEERCRED" "$u1" "$(echo "$out" | json '["uid"]')"
# The official boundary CLI's hook: plain HTTP on 127.0.0.1:9300, {"boundary_addr","token"}.
out=$(api_tcp "$ns" bca-u2 POST /v1/tokens "{\"boundary_addr\":\"http://$CTL_API\",\"token\":\"$bob\"}")
assert_eq "bca-u2's token accepted over TCP (uid by sock_diag)" "$u2" "$(echo "$out" | json '["uid"]')"
assert_eq "a token is checked with the controller" 2 "$(count_requests "$dir" read-auth-token)"
# A uid in the body is ignored: the token lands on the caller.
out=$(api_tcp "$ns" bca-u2 GET /v1/status)
assert_eq "status over TCP is bca-u2's" "u_2222222222" "$(echo "$out" | json '["user_id"]')"
out=$(api_unix "$ns" bca-u2 "$dir" POST /v1/tokens '{"boundary_addr":"http://127.0.0.1:9200","token":"at_1234567890_s1bogus"}')
assert_eq "a token the controller does not know is refused" "Unauthenticated" "$(echo "$out" | json '["kind"]')"

# A uid anywhere in the request (query, header, body) is ignored: bca-u2 pauses only bca-u2.
in_ns "$ns" runuser -u bca-u2 -- curl -s -X POST -H "X-Uid: $u1" -H 'content-type: application/json' \
    -d "{\"uid\":$u1}" "http://127.0.0.1:$API_TCP_PORT/v1/pause?uid=$u1" >/dev/null
assert_eq "a forged uid does not pause bca-u1" "running" "$(api_unix "$ns" bca-u1 "$dir" GET /v1/status | json '["status"]')"
assert_eq "bca-u2 paused itself" "paused" "$(api_tcp "$ns" bca-u2 GET /v1/status | json '["status"]')"
api_tcp "$ns" bca-u2 POST /v1/resume >/dev/null
out=$(in_ns "$ns" runuser -u bca-u1 -- curl -s -H 'Origin: http://evil.example' "http://127.0.0.1:$API_TCP_PORT/v1/sessions")
assert_eq "a browser's request (Origin) is refused" "PermissionDenied" "$(echo "$out" | json '["kind"]')"
out=$(in_ns "$ns" runuser -u bca-u1 -- curl -s -H 'Host: evil.example:9300' "http://127.0.0.1:$API_TCP_PORT/v1/sessions")
assert_eq "a rebound Host is refused" "PermissionDenied" "$(echo "$out" | json '["kind"]')"

wait_for 10 test -n "$(alias_address "$ns" bca-u1 "$dir" web.boundary.dev)" || fail "alias view never pushed"
addr=$(alias_address "$ns" bca-u1 "$dir" web.boundary.dev)
log "web.boundary.dev is $addr"

# --- DNS per user --------------------------------------------------------------------------------
assert_eq "bca-u1 resolves the alias" "$addr" "$(in_ns "$ns" runuser -u bca-u1 -- getent ahostsv4 web.boundary.dev | awk 'NR==1{print $1}')"
check_fails "bca-u2 does not resolve an alias outside its view" \
    in_ns "$ns" runuser -u bca-u2 -- getent hosts web.boundary.dev
check "other names still resolve through the upstream" in_ns "$ns" runuser -u bca-u1 -- getent hosts other.bca.test

# --- the proxy ------------------------------------------------------------------------------------
body=$(in_ns "$ns" runuser -u bca-u1 -- curl -s --max-time 10 "http://web.boundary.dev:$WEB_PORT/")
assert_eq "bca-u1 reaches nginx through Boundary" "hello from the nginx target" "$body"
for i in $(seq 1 19); do
    in_ns "$ns" runuser -u bca-u1 -- curl -sf --max-time 10 -o /dev/null "http://web.boundary.dev:$WEB_PORT/" ||
        fail "connection $i through the session failed"
done
assert_eq "20 connections reuse one session" 1 "$(count_requests "$dir" authorize-session)"
sum=$(in_ns "$ns" runuser -u bca-u1 -- curl -s --max-time 20 "http://web.boundary.dev:$WEB_PORT/big.bin" | sha256sum)
assert_eq "3 MB arrive intact" "$(sha256sum <"$dir/www/big.bin")" "$sum"
check "IPv6 alias address works too" in_ns "$ns" runuser -u bca-u1 -- curl -sf -6 --max-time 10 -o /dev/null \
    "http://web.boundary.dev:$WEB_PORT/"

# --- refusals -----------------------------------------------------------------------------------
check_fails "bca-u2 (own token, no grant for web) is refused at connect" \
    in_ns "$ns" runuser -u bca-u2 -- curl -sf --max-time 10 --resolve "web.boundary.dev:$WEB_PORT:$addr" \
    "http://web.boundary.dev:$WEB_PORT/"
check_fails "root without a token is refused at connect" \
    in_ns "$ns" curl -sf --max-time 10 "http://$addr:$WEB_PORT/"
assert_contains "refusals are logged with uid, alias and reason" "connection refused" "$(cat "$dir/broker.err")"

# --- sessions are private ------------------------------------------------------------------------
s1=$(api_unix "$ns" bca-u1 "$dir" GET /v1/sessions)
sid=$(echo "$s1" | json '["items"][0]["session_authorization"]["session_id"]')
assert_contains "bca-u1 sees its session" "s_" "$sid"
for transport in unix tcp; do
    if [ $transport = unix ]; then
        s2=$(api_unix "$ns" bca-u2 "$dir" GET /v1/sessions)
    else
        s2=$(api_tcp "$ns" bca-u2 GET /v1/sessions)
    fi
    assert_not_contains "bca-u2 never sees bca-u1's session over $transport" "$sid" "$s2"
done
s0=$(in_ns "$ns" curl -s --unix-socket "$dir/agent.sock" http://localhost/v1/sessions)
assert_not_contains "root without a token sees no session either" "$sid" "$s0"

# --- connection limit 1 --------------------------------------------------------------------------
before=$(count_requests "$dir" authorize-session)
for i in 1 2 3; do
    in_ns "$ns" runuser -u bca-u1 -- curl -sf --max-time 10 -o /dev/null "http://once.boundary.dev:$WEB_PORT/" ||
        fail "connection $i to a limit-1 target failed"
done
after=$(count_requests "$dir" authorize-session)
assert_eq "each connection to a limit-1 target gets a new session" 3 $((after - before))

# --- sign-out ------------------------------------------------------------------------------------
out=$(api_unix "$ns" bca-u1 "$dir" DELETE /v1/tokens)
assert_eq "signed out" "" "$(echo "$out" | json '["auth_token_id"]')"
check_fails "after sign-out the alias no longer resolves for bca-u1" \
    in_ns "$ns" runuser -u bca-u1 -- getent hosts web.boundary.dev
cancelled() {
    in_ns "$ns" curl -s "http://$CTL_ADMIN/admin/sessions" | python3 -c '
import json,sys
sessions=json.load(sys.stdin)["items"]
mine=[s for s in sessions if s["user_id"]=="u_1111111111"]
sys.exit(0 if mine and all(s["status"] in ("canceling","terminated") for s in mine) else 1)'
}
wait_for 10 cancelled && ok "the controller shows every bca-u1 session cancelled" ||
    fail "bca-u1's sessions not cancelled: $(in_ns "$ns" curl -s "http://$CTL_ADMIN/admin/sessions")"

finish
