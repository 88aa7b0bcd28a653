#!/usr/bin/env bash
# The DNS worker as the whole host sees it, through the whole agent (helper + sandboxed workers),
# the dev controller and real users: its counters in `status` (API and CLI) move with the queries
# made, for every user.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cli_fixture.sh"
need_tool dig
cli_setup bca-polish-dns
S=(-socket "$CLI_SOCK")
as_user bca-u1 BOUNDARY_ADDR=$CLI_CTL BOUNDARY_AUTH_METHOD_ID=$CLI_METHOD \
    BOUNDARY_AUTHENTICATE_PASSWORD_PASSWORD="$ALICE_PW" "$CLI" login -login-name alice "${S[@]}" >/dev/null ||
    fatal "alice's login failed"
# The fixture's upstream answers with TTL 0 (dnsmasq's default for --address), which no cache keeps:
# the same upstream again, with a TTL.
stop_upstream() {
    local pid
    pid=$(cat "$AGENT_DIR/dnsmasq.pid")
    kill "$pid"
    wait_for 5 bash -c "! kill -0 $pid 2>/dev/null"
}
stop_upstream
in_ns $CLI_NS dnsmasq --no-resolv --no-hosts --listen-address=$AGENT_UPSTREAM --bind-interfaces --port=53 \
    --address=/example.test/192.0.2.7 --local-ttl=60 --pid-file="$AGENT_DIR/dnsmasq.pid" --user=root ||
    fatal "dnsmasq did not start"
# dig as USER straight at the agent's DNS address (1 try: each query counts once).
ask() {
    local user=$1
    shift
    as_user "$user" dig +short +time=4 +tries=1 @$AGENT_V4 "$@"
}
resolves() { [ -n "$(ask "$1" "$2")" ]; }
wait_for 15 resolves bca-u1 ssh.corp.test || fatal "ssh.corp.test does not resolve for bca-u1"

# --- counters in status -------------------------------------------------------------------------
# dns_status [USER]: the `dns` member of USER's (default root's) status, compact JSON.
dns_status() { as_user "${1:-root}" "$CLI" status -format json "${S[@]}" | jq -c '.dns // empty'; }
count() { jq -r ".$2 // 0" <<<"$1"; }
has_counters() { [ -n "$(dns_status)" ]; }
check "status has the DNS worker's counters (reported every 5 s)" wait_for 8 has_counters
c0=$(dns_status)
for i in 1 2 3; do ask bca-u1 ssh.corp.test >/dev/null; done
ask bca-u2 q1.example.test >/dev/null
ask bca-u2 q2.example.test >/dev/null
ask bca-u1 q1.example.test >/dev/null # cached
moved() {
    local c
    c=$(dns_status)
    [ "$(count "$c" queries)" -ge $(($(count "$c0" queries) + 6)) ] &&
        [ "$(count "$c" alias_answers)" -ge $(($(count "$c0" alias_answers) + 3)) ] &&
        [ "$(count "$c" forwarded)" -ge $(($(count "$c0" forwarded) + 2)) ] &&
        [ "$(count "$c" cache_hits)" -ge $(($(count "$c0" cache_hits) + 1)) ]
}
check "queries, alias answers, forwarded and cache hits move with the queries" wait_for 8 moved
c1=$(dns_status)
log "before: $c0"
log "after:  $c1"
assert_eq "a user without a token sees the same host-wide counters" "$c1" "$(dns_status bca-u2)"
table=$(as_user bca-u2 "$CLI" status "${S[@]}")
assert_contains "the table has a DNS block" "DNS (this host, since the DNS worker started):" "$table"
assert_contains "with the query count" "Queries:             $(count "$c1" queries)" "$table"
raw=$(as_user bca-u2 curl -s --unix-socket "$CLI_SOCK" http://localhost/v1/status)
assert_eq "-format json shows the API's body as is" "$(jq -cS .dns <<<"$raw")" "$(jq -cS . <<<"$c1")"

# --- an upstream that fails: server failures and that upstream's failures ----------------------
stop_upstream
check_fails "a name only the dead upstream knows fails" test -n "$(ask bca-u2 dead.example.test)"
failed() {
    local c
    c=$(dns_status)
    [ "$(count "$c" server_failures)" -ge $(($(count "$c1" server_failures) + 1)) ] &&
        [ "$(jq -r ".upstream_failures[\"$AGENT_UPSTREAM:53\"] // 0" <<<"$c")" -ge 1 ]
}
check "server failures and $AGENT_UPSTREAM:53's failures are counted" wait_for 8 failed
assert_contains "the table lists the failing upstream" "Upstream failures:   $AGENT_UPSTREAM:53: " \
    "$(as_user bca-u1 "$CLI" status "${S[@]}")"
finish
