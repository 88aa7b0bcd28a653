#!/usr/bin/env bash
# boundary-agent as two real OS users against the whole agent and the dev controller: login
# (password from the environment and from file://), status and sessions in table and JSON over the
# unix socket and TCP, each user seeing only their own token, sessions and brokered credentials,
# explain, pause/resume by a user and by root, token add from standard input, logout. The JSON
# output is exactly what the API answers; no token is ever in argv, in status output or in a log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cli_fixture.sh"

cli_setup bca-cli-users
S=(-socket "$CLI_SOCK")
T=(-client-agent-port $CLI_TCP_PORT)

# --- signed out ---
out=$(as_user bca-u1 "$CLI" status "${S[@]}")
assert_eq "status while signed out: exit 0" 0 $?
assert_contains "status names the caller" "OS User:     bca-u1 (uid $U1)" "$out"
assert_contains "status says how to sign in" "Signed In:   no: sign in with \`boundary-agent login\`" "$out"
assert_not_contains "no address while signed out" "Address:" "$out"

# --- alice signs in as bca-u1 (password from BOUNDARY_AUTHENTICATE_PASSWORD_PASSWORD) ---
out=$(as_user bca-u1 BOUNDARY_ADDR=$CLI_CTL BOUNDARY_AUTH_METHOD_ID=$CLI_METHOD \
    BOUNDARY_AUTHENTICATE_PASSWORD_PASSWORD="$ALICE_PW" "$CLI" login -login-name alice "${S[@]}")
assert_eq "alice's login: exit 0" 0 $?
assert_contains "login shows the Boundary user" "User ID:           u_1111111111" "$out"
assert_contains "login shows the auth method" "Auth Method ID:    $CLI_METHOD" "$out"
assert_contains "login says who the agent now serves" "for bca-u1 (uid $U1)" "$out"
alice_token_id=$(sed -n 's/.*this token (\(at_[0-9A-Za-z]*\)).*/\1/p' <<<"$out")
check "login names the token by its public id" grep -Eq '^at_[0-9A-Za-z]{10}$' <<<"$alice_token_id"

# --- bob signs in as bca-u2: -password file://, over TCP chosen by the official CLI's variable ---
printf '%s\n' "$BOB_PW" >"$CLI_DIR/bob.pw"
chown bca-u2 "$CLI_DIR/bob.pw"
chmod 600 "$CLI_DIR/bob.pw"
out=$(as_user bca-u2 BOUNDARY_CLIENT_AGENT_LISTENING_PORT=$CLI_TCP_PORT "$CLI" login -addr $CLI_CTL \
    -auth-method-id $CLI_METHOD -login-name bob -password "file://$CLI_DIR/bob.pw" -format json)
assert_eq "bob's login (TCP, JSON): exit 0" 0 $?
assert_eq "login JSON is the agent's status for bob: user" u_2222222222 "$(json_of "$out" .user_id)"
assert_eq "login JSON: the agent saw bca-u2 over TCP (sock_diag)" "$U2" "$(json_of "$out" .uid)"

# --- status: each user sees their own, in table and JSON, on both transports ---
s1=$(as_user bca-u1 "$CLI" status "${S[@]}")
assert_contains "u1 status: controller" "Address:                 $CLI_CTL" "$s1"
assert_contains "u1 status: alice's token" "Auth Token Id:           $alice_token_id" "$s1"
assert_contains "u1 status: alice's Boundary user" "Boundary User Id:        u_1111111111" "$s1"
check "u1 status: expiration as time left, Go style" grep -Eq "Auth Token Expiration:   16[78]h[0-9]+m[0-9]+s$" <<<"$s1"
assert_contains "u1 status: running" "Status:                  running" "$s1"
check "u1 status: version" grep -Eq "Version:                 [0-9]+\.[0-9]+\.[0-9]+" <<<"$s1"
s1tcp=$(as_user bca-u1 "$CLI" status "${T[@]}")
# The expiration line counts down between the two calls; compare everything else.
assert_eq "u1 status over TCP equals the unix socket's" "$(grep -v 'Auth Token Expiration' <<<"$s1")" \
    "$(grep -v 'Auth Token Expiration' <<<"$s1tcp")"
s2=$(as_user bca-u2 "$CLI" status -format json "${S[@]}")
assert_eq "u2 status JSON: bob's user" u_2222222222 "$(json_of "$s2" .user_id)"
assert_eq "u2 status JSON: u2's uid" "$U2" "$(json_of "$s2" .uid)"
assert_not_contains "u2 does not see alice's token" "$alice_token_id" "$s2"
raw=$(as_user bca-u2 curl -s --unix-socket "$CLI_SOCK" http://localhost/v1/status)
assert_eq "-format json is exactly the API's body" "$(jq -S . <<<"$raw")" "$(jq -S . <<<"$s2")"
assert_eq "-format json is pretty-printed" "{" "$(head -1 <<<"$s2")"

# --- sessions: authorized when a program connects to an alias, with brokered credentials ---
cli_session bca-u1 pg.corp.test
cli_session bca-u1 box.corp.test
cli_session bca-u2 ssh.corp.test
assert_eq "u1 has two sessions" 2 "$(as_user bca-u1 "$CLI" sessions -format json "${S[@]}" | jq '.items | length')"
assert_eq "u2 has one" 1 "$(as_user bca-u2 "$CLI" sessions -format json "${S[@]}" | jq '.items | length')"
t1=$(as_user bca-u1 "$CLI" sessions "${S[@]}")
assert_contains "u1 sessions: the pg alias" "Alias:                    pg.corp.test" "$t1"
assert_contains "u1 sessions: the box alias" "Alias:                    box.corp.test" "$t1"
check "u1 sessions: a session id" grep -Eq "Session ID:             s_[0-9A-Za-z]{10}" <<<"$t1"
assert_contains "u1 sessions: the endpoint" "Endpoint:               tcp://127.0.0.1:5432" "$t1"
assert_contains "u1 sessions: brokered username" "username:   dba" "$t1"
assert_contains "u1 sessions: brokered password" "password:   Brokered-Pg-Secret" "$t1"
assert_contains "u1 sessions: the private key, line by line" "private_key:   -----BEGIN OPENSSH PRIVATE KEY-----" "$t1"
assert_contains "u1 sessions: the key's next line in the value column" "$(printf '\n%23s' '')b3BlbnNzaC1rZXktdjEAAAAA" "$t1"
j1=$(as_user bca-u1 "$CLI" sessions -format json "${S[@]}")
raw=$(as_user bca-u1 curl -s --unix-socket "$CLI_SOCK" http://localhost/v1/sessions)
assert_eq "sessions -format json is exactly the API's body" "$(jq -S . <<<"$raw")" "$(jq -S . <<<"$j1")"
t2=$(as_user bca-u2 "$CLI" sessions "${T[@]}")
assert_contains "u2 sessions: their own alias" "Alias:                    ssh.corp.test" "$t2"
assert_not_contains "u2 never sees u1's sessions" "pg.corp.test" "$t2"
assert_not_contains "u2 never sees u1's brokered password" "Brokered-Pg-Secret" "$t2"

# --- explain ---
e1=$(as_user bca-u1 "$CLI" explain PG.corp.test. "${S[@]}")
assert_eq "explain: exit 0" 0 $?
assert_contains "explain: verdict first" "pg.corp.test is a Boundary alias for you: 100." "$e1"
assert_contains "explain: alias check" "[ok] Alias in your view" "$e1"
assert_contains "explain: session check" "[ok] Session" "$e1"
assert_contains "explain: the system resolver points at the agent" "[ok] System resolver     /etc/resolv.conf points at the agent (100.64.0.1)" "$e1"
e2=$(as_user bca-u2 "$CLI" explain pg.corp.test "${S[@]}")
assert_contains "explain for u2: bob's view has pg too" "[ok] Alias in your view" "$e2"
e3=$(as_user bca-u2 "$CLI" explain www.example.org "${S[@]}")
assert_contains "explain: a plain name" "[NO] Alias in your view" "$e3"
assert_eq "explain -format json: resolves" true "$(as_user bca-u1 "$CLI" explain pg.corp.test -format json "${S[@]}" | jq .resolves)"

# --- pause and resume ---
out=$(as_user bca-u1 "$CLI" pause "${S[@]}")
assert_contains "u1 pauses only themselves" "paused for bca-u1 (uid $U1) only" "$out"
assert_contains "u1 status: paused" "Status:                  paused" "$(as_user bca-u1 "$CLI" status "${S[@]}")"
assert_contains "u2 unaffected" "Status:                  running" "$(as_user bca-u2 "$CLI" status "${S[@]}")"
out=$(as_user bca-u1 "$CLI" pause -scope agent "${S[@]}" 2>&1)
assert_eq "u1 may not pause the whole agent: exit 1" 1 $?
assert_contains "the agent's message is printed" "only root" "$out"
assert_contains "with the HTTP status and kind" "(HTTP 403, PermissionDenied)" "$out"
out=$(as_user bca-u1 "$CLI" resume "${S[@]}")
assert_eq "u1 resumes" "The Client Agent has been successfully resumed." "$out"
out=$(in_ns "$CLI_NS" "$CLI" pause "${S[@]}")
assert_contains "root pauses every user" "paused for every user" "$out"
out=$(as_user bca-u2 "$CLI" status "${S[@]}")
assert_contains "u2 sees the agent paused for everyone" "Paused:                  for every user: paused by uid 0" "$out"
out=$(as_user bca-u2 "$CLI" explain pg.corp.test "${S[@]}")
assert_contains "explain while paused: the agent check fails" "[NO] Agent running" "$out"
assert_contains "explain while paused: the resolver was restored, as expected" "expected while the agent is paused" "$out"
out=$(as_user bca-u2 "$CLI" resume "${S[@]}")
assert_contains "u2 cannot resume everyone, and is told so" "still paused for every user" "$out"
out=$(in_ns "$CLI_NS" "$CLI" resume -format json "${S[@]}")
assert_eq "root resume JSON: scope" agent "$(json_of "$out" .pause_scope)"
assert_eq "root resume JSON: running" running "$(json_of "$out" .status)"
assert_contains "u2 running again" "Status:                  running" "$(as_user bca-u2 "$CLI" status "${S[@]}")"

# --- token add from standard input: the token is never in argv, status or logs ---
token=$(printf '{"command":"login","attributes":{"login_name":"alice","password":"%s"}}' "$ALICE_PW" |
    in_ns "$CLI_NS" curl -s --data-binary @- "$CLI_CTL/v1/auth-methods/$CLI_METHOD:authenticate" | jq -r .attributes.token)
check "a token from the controller" grep -Eq '^at_[0-9A-Za-z]{10}_s1' <<<"$token"
token_id=$(cut -d_ -f1-2 <<<"$token")
mkfifo "$CLI_DIR/token.in"
as_user bca-u1 "$CLI" token add -addr $CLI_CTL "${S[@]}" <"$CLI_DIR/token.in" >"$CLI_DIR/token-add.out" 2>&1 &
adder=$!
exec 8>"$CLI_DIR/token.in"
wait_for 10 pgrep -u bca-u1 -f "boundary-agent token add" || fail "token add did not start"
no_token_anywhere "token add waiting on stdin" "$token"
printf '%s\n' "$token" >&8
exec 8>&-
wait $adder
assert_eq "token add: exit 0" 0 $?
assert_contains "token add names the token by its id" "now uses token $token_id from $CLI_CTL for bca-u1" "$(cat "$CLI_DIR/token-add.out")"
out=$(as_user bca-u1 "$CLI" status "${S[@]}")
assert_contains "status shows the new token's id" "Auth Token Id:           $token_id" "$out"
assert_not_contains "status never shows the token" "${token#at_*_}" "$out"
assert_not_contains "status JSON never shows the token" "${token#at_*_}" "$(as_user bca-u1 "$CLI" status -format json "${S[@]}")"
no_token_anywhere "after token add" "$token"
no_token_anywhere "alice's password" "$ALICE_PW"
no_token_anywhere "bob's password" "$BOB_PW"
check_fails "no brokered secret in the agent's log" grep -q Brokered-Pg-Secret "$CLI_DIR/agent.log"

# --- logout ---
out=$(as_user bca-u1 "$CLI" logout "${S[@]}")
assert_contains "logout says what happened" "no longer holds a token for bca-u1 (uid $U1)" "$out"
out=$(as_user bca-u1 "$CLI" status "${S[@]}")
assert_contains "u1 signed out" "Signed In:   no" "$out"
assert_eq "u1's sessions are gone" "No sessions found" "$(as_user bca-u1 "$CLI" sessions "${S[@]}")"
assert_eq "u2 still signed in" u_2222222222 "$(as_user bca-u2 "$CLI" status -format json "${S[@]}" | jq -r .user_id)"
out=$(as_user bca-u2 "$CLI" logout -format json "${S[@]}")
assert_eq "logout JSON: the status after" null "$(json_of "$out" .auth_token_id)"

finish
