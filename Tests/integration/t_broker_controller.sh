#!/usr/bin/env bash
# Aliases follow the controller (added ones resolve within a refresh interval, removed ones stop),
# pause semantics (a user pauses only themselves; only root or the admin group pauses everyone), the
# controller going away (other names keep resolving, new alias connections fail fast, the agent
# auto-pauses and says why, root resumes it), and shutdown cancelling every session.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/broker_lib.sh"
need_root
need_tool ip nft curl nginx dnsmasq runuser python3 getent
need_bin broker-test-server boundary-dev-controller

ns=bca-broker-ctl
dir=$(tmpdir)
chmod 755 "$dir"
test_user bca-u1
test_user bca-u2

broker_namespace "$ns"
web_target "$ns" "$dir"
dev_controller "$ns" "$dir" '{
  "users": [{"id": "u_1111111111", "login_name": "alice", "password": "password"}],
  "targets": [{"id": "ttcp_web0000001", "name": "web", "address": "127.0.0.1", "port": 8080}],
  "aliases": [
    {"value": "web.boundary.dev", "target": "ttcp_web0000001"},
    {"value": "web2.boundary.dev", "target": "ttcp_web0000001"}
  ]
}'
broker_start "$ns" "$dir" 'alias_refresh_interval = "2s"
auto_pause_failures = 3
auto_pause_window = "1m"
log_level = "debug"' --admin-group nogroup-bca-test

alice=$(login "$ns" alice)
api_unix "$ns" bca-u1 "$dir" POST /v1/tokens "{\"boundary_addr\":\"http://$CTL_API\",\"token\":\"$alice\"}" >/dev/null
wait_for 10 test -n "$(alias_address "$ns" bca-u1 "$dir" web.boundary.dev)" || fatal "alias view never pushed"
resolves() { in_ns "$ns" runuser -u "$1" -- getent hosts "$2" >/dev/null; }
fetch() { in_ns "$ns" runuser -u "$1" -- curl -sf --max-time "${3:-10}" -o /dev/null "http://$2:$WEB_PORT/"; }

# --- aliases follow the controller -----------------------------------------------------------------
in_ns "$ns" curl -sf -X POST "http://$CTL_ADMIN/admin/aliases" \
    -d '{"value":"new.boundary.dev","target":"ttcp_web0000001"}' >/dev/null || fatal "admin: add alias"
start=$SECONDS
wait_for 8 resolves bca-u1 new.boundary.dev && ok "an alias added at the controller resolves ($((SECONDS - start))s, interval 2s)" ||
    fail "new alias never resolved"
check "and carries connections" fetch bca-u1 new.boundary.dev
newaddr=$(alias_address "$ns" bca-u1 "$dir" new.boundary.dev)
in_ns "$ns" curl -sf -X DELETE "http://$CTL_ADMIN/admin/aliases/new.boundary.dev" >/dev/null || fatal "admin: delete alias"
wait_for 8 bash -c "! ip netns exec $ns runuser -u bca-u1 -- getent hosts new.boundary.dev >/dev/null" &&
    ok "a removed alias stops resolving" || fail "removed alias still resolves"
check_fails "and its address refuses connections" fetch bca-u1 "$newaddr" 5

# --- pause -------------------------------------------------------------------------------------
out=$(api_unix "$ns" bca-u1 "$dir" POST /v1/pause)
assert_eq "a user pauses only themselves" "user" "$(echo "$out" | json '["pause_scope"]')"
check_fails "paused: bca-u1's aliases no longer resolve" resolves bca-u1 web.boundary.dev
out=$(api_unix "$ns" bca-u2 "$dir" POST '/v1/pause?scope=agent')
assert_eq "bca-u2 may not pause the whole agent" "PermissionDenied" "$(echo "$out" | json '["kind"]')"
assert_not_contains "and the helper was not asked" "pause reason" "$(cat "$dir/broker.out")"
api_unix "$ns" bca-u1 "$dir" POST /v1/resume >/dev/null
wait_for 5 resolves bca-u1 web.boundary.dev && ok "resumed: aliases resolve again" || fail "no alias after resume"
check "a session for web.boundary.dev" fetch bca-u1 web.boundary.dev

# --- the controller goes away ------------------------------------------------------------------
kill -USR1 "$(cat "$dir/controller.pid")"
api_down() { ! in_ns "$ns" curl -s -o /dev/null "http://$CTL_API/v1/scopes"; }
wait_for 10 api_down || fatal "the controller's API did not go away"
check "other names keep resolving" in_ns "$ns" runuser -u bca-u1 -- getent hosts other.bca.test
start=$SECONDS
check_fails "a new alias connection (no session yet) fails" fetch bca-u1 web2.boundary.dev 20
took=$((SECONDS - start))
[ $took -le 3 ] && ok "and fails fast (${took}s)" || fail "took ${took}s to fail"
wait_for 15 grep -q "^pause reason=auto-paused" "$dir/broker.out" && ok "auto-paused after 3 failures" ||
    fail "no auto-pause: $(tail -5 "$dir/broker.out")"
status=$(api_unix "$ns" bca-u1 "$dir" GET /v1/status)
assert_eq "status says paused" "paused" "$(echo "$status" | json '["status"]')"
assert_eq "for everyone" "agent" "$(echo "$status" | json '["pause_scope"]')"
assert_contains "and why" "auto-paused after 3 failures" "$(echo "$status" | json '["errors"][0]')"
check_fails "a paused agent answers no alias" resolves bca-u1 web.boundary.dev
out=$(api_unix "$ns" bca-u1 "$dir" POST '/v1/resume?scope=agent')
assert_eq "a user cannot resume the whole agent" "PermissionDenied" "$(echo "$out" | json '["kind"]')"
kill -USR2 "$(cat "$dir/controller.pid")"
# The controller reopens its API asynchronously: an authorize-session sent before it listens fails
# (and with it the fetch below; seen once under load).
wait_for 10 in_ns "$ns" curl -s -o /dev/null "http://$CTL_API/v1/scopes" || fatal "the controller's API did not come back"
out=$(in_ns "$ns" curl -s --unix-socket "$dir/agent.sock" -X POST http://localhost/v1/resume)
assert_eq "root resumes the whole agent" "agent" "$(echo "$out" | json '["pause_scope"]')"
grep -q "^resume$" "$dir/broker.out" && ok "through the helper" || fail "helper not asked to resume"
wait_for 8 resolves bca-u1 web.boundary.dev && ok "aliases resolve after the resume" || fail "no alias after resume"

# --- shutdown cancels every session ------------------------------------------------------------
check "a live session before shutdown" fetch bca-u1 web.boundary.dev
kill -TERM "$(cat "$dir/broker.pid")"
wait_for 10 grep -q "^stopped" "$dir/broker.out" || fail "broker did not stop"
live=$(in_ns "$ns" curl -s "http://$CTL_ADMIN/admin/sessions" | python3 -c '
import json,sys
print(sum(1 for s in json.load(sys.stdin)["items"] if s["status"] in ("pending","active")))')
assert_eq "no session is left live at the controller" 0 "$live"

finish
