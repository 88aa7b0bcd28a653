#!/usr/bin/env bash
# boundary-agent's error paths as a real user against the whole agent: usage errors (exit 2), a bad
# password, an unknown auth method and an unreachable controller at login, an expired token, the
# agent down (stopped; killed, leaving a stale socket), and the transport choice (the configured
# socket, falling back to TCP only when the socket does not exist). Exit status 1 and one clear line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cli_fixture.sh"

# Tokens live 4 seconds here, so the expiry is seen without waiting long.
requests=$(mktemp /tmp/bca-cli-errors-requests.XXXXXX)
on_exit "rm -f '$requests'"
cli_setup bca-cli-errors -auth-token-time-to-live 4s -request-log "$requests"
S=(-socket "$CLI_SOCK")

# run_cli USER ARGS...: output (stdout and stderr) in $out, exit status in $rc.
run_cli() {
    local user=$1
    shift
    out=$(as_user "$user" "$@" 2>&1)
    rc=$?
}

# --- usage errors: exit 2, never 64 ---
for args in "status -bogus" "status --format json" "status -format yaml" "explain" "frobnicate" "" \
    "status -client-agent-port 99999" "pause -scope everyone" "token add at_1234567890_s1notreally"; do
    run_cli bca-u1 "$CLI" $args "${S[@]}"
    assert_eq "usage error exits 2: boundary-agent $args" 2 "$rc"
done
run_cli bca-u1 "$CLI" status -bogus
assert_contains "an unknown flag is named" "Unknown option '-bogus'" "$out"
run_cli bca-u1 "$CLI" login -password 'hunter2-literal' -auth-method-id $CLI_METHOD "${S[@]}"
assert_eq "a literal -password is a usage error" 2 "$rc"
assert_not_contains "and is not repeated" "hunter2-literal" "$out"
run_cli bca-u1 "$CLI" login -login-name alice -auth-method-id $CLI_METHOD "${S[@]}"
assert_eq "no password and no terminal: exit 2" 2 "$rc"
assert_contains "says where a password can come from" "BOUNDARY_AUTHENTICATE_PASSWORD_PASSWORD" "$out"
run_cli bca-u1 BOUNDARY_CLIENT_AGENT_LISTENING_PORT=port "$CLI" status
assert_eq "a bad port variable: exit 2" 2 "$rc"

# --- login failures: exit 1 with the controller's message ---
run_cli bca-u1 BOUNDARY_AUTHENTICATE_PASSWORD_PASSWORD=wrong-password "$CLI" login -addr $CLI_CTL \
    -auth-method-id $CLI_METHOD -login-name alice "${S[@]}"
assert_eq "bad password: exit 1" 1 "$rc"
assert_eq "bad password: one line with the controller's message" \
    "Error: Authentication failed: wrong login name or password (the controller said: Unable to authenticate.)" "$out"
assert_contains "still signed out" "Signed In:   no" "$(as_user bca-u1 "$CLI" status "${S[@]}")"
run_cli bca-u1 BOUNDARY_AUTHENTICATE_PASSWORD_PASSWORD="$ALICE_PW" "$CLI" login -addr $CLI_CTL \
    -auth-method-id ampw_9999999999 -login-name alice "${S[@]}"
assert_eq "unknown auth method: exit 1" 1 "$rc"
assert_contains "unknown auth method: a hint" "check -auth-method-id" "$out"
run_cli bca-u1 BOUNDARY_AUTHENTICATE_PASSWORD_PASSWORD="$ALICE_PW" "$CLI" login -addr http://127.0.0.1:9 \
    -auth-method-id $CLI_METHOD -login-name alice "${S[@]}"
assert_eq "unreachable controller: exit 1" 1 "$rc"
assert_contains "unreachable controller: says so" "Cannot reach the controller at http://127.0.0.1:9: connection refused" "$out"

# --- an expired token ---
run_cli bca-u1 BOUNDARY_AUTHENTICATE_PASSWORD_PASSWORD="$ALICE_PW" "$CLI" login -addr $CLI_CTL \
    -auth-method-id $CLI_METHOD -login-name alice "${S[@]}"
assert_eq "login with a short-lived token: exit 0" 0 "$rc"
check "the expiration is seconds away" grep -Eq "Expiration Time:   .* \(in [0-4]s\)" <<<"$out"
token=$(printf '{"command":"login","attributes":{"login_name":"alice","password":"%s"}}' "$ALICE_PW" |
    in_ns "$CLI_NS" curl -s --data-binary @- "$CLI_CTL/v1/auth-methods/$CLI_METHOD:authenticate" | jq -r .attributes.token)
sleep 5
signed_out() { as_user bca-u1 "$CLI" status "${S[@]}" | grep -q "Signed In:   no"; }
wait_for 10 signed_out
assert_eq "the agent dropped the expired token" 0 $?
run_cli bca-u1 BOUNDARY_TOKEN="$token" "$CLI" token add -addr $CLI_CTL "${S[@]}"
assert_eq "token add of an expired token: exit 1" 1 "$rc"
assert_contains "the agent's reason" "Error from the client agent: the controller does not accept this token" "$out"
assert_contains "with the status" "(HTTP 401, Unauthenticated)" "$out"
assert_not_contains "the token is not echoed" "${token#at_*_}" "$out"
run_cli bca-u1 BOUNDARY_TOKEN="$token" "$CLI" token add -addr $CLI_CTL -format json "${S[@]}"
assert_eq "JSON mode: the API error as JSON" 401 "$(json_of "$out" .status_code)"
assert_eq "JSON mode: its kind" Unauthenticated "$(json_of "$out" .api_error.kind)"

# --- which socket: the configured one, TCP only when it does not exist ---
printf 'api_socket_path = "%s"\napi_listen_port = %s\n' "$CLI_SOCK" $CLI_TCP_PORT >"$CLI_DIR/cli-view.hcl"
printf 'api_socket_path = "%s"\napi_listen_port = %s\n' "$CLI_DIR/missing.sock" $CLI_TCP_PORT >"$CLI_DIR/cli-fallback.hcl"
chmod 644 "$CLI_DIR"/cli-*.hcl
run_cli bca-u1 BOUNDARY_CLIENT_AGENT_CONFIG="$CLI_DIR/cli-view.hcl" "$CLI" status
assert_eq "the config's socket by default: exit 0" 0 "$rc"
run_cli bca-u1 BOUNDARY_CLIENT_AGENT_CONFIG="$CLI_DIR/cli-fallback.hcl" "$CLI" status
assert_eq "no socket: TCP $CLI_TCP_PORT: exit 0" 0 "$rc"
assert_contains "and the agent still knows who asked" "OS User:     bca-u1" "$out"

# --- the agent down ---
authenticates=$(grep -c ':authenticate' "$requests")
check "the controller's request log records the logins so far" test "$authenticates" -ge 4
agent_stop
for how in "-socket $CLI_SOCK" "-client-agent-port $CLI_TCP_PORT"; do
    run_cli bca-u1 "$CLI" status $how
    assert_eq "agent down ($how): exit 1" 1 "$rc"
    assert_eq "agent down ($how): one line" 1 "$(wc -l <<<"$out")"
    assert_contains "agent down ($how): says so" "The Boundary client agent is not running" "$out"
    assert_contains "agent down ($how): says how to start it" "sudo systemctl start boundary-client-agent" "$out"
done
run_cli bca-u1 BOUNDARY_CLIENT_AGENT_CONFIG="$CLI_DIR/cli-fallback.hcl" "$CLI" status
assert_contains "agent down, default transport: names both places" \
    "$CLI_DIR/missing.sock does not exist and nothing listens on 127.0.0.1:$CLI_TCP_PORT" "$out"
run_cli bca-u1 BOUNDARY_AUTHENTICATE_PASSWORD_PASSWORD="$ALICE_PW" "$CLI" login -addr $CLI_CTL \
    -auth-method-id $CLI_METHOD -login-name alice "${S[@]}"
assert_eq "login with the agent down: exit 1" 1 "$rc"
assert_eq "login with the agent down: no token made at the controller" "$authenticates" \
    "$(grep -c ':authenticate' "$requests")"
run_cli bca-u1 "$CLI" version "${S[@]}"
assert_eq "version with the agent down: exit 0" 0 "$rc"
assert_contains "version says the agent is not running" "not running" "$out"

# A socket file nobody listens on (the helper was killed, its workers died with it): the same line.
agent_start "$CLI_NS"
kill -KILL "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
check "the stale socket file is still there" test -S "$CLI_SOCK"
run_cli bca-u1 "$CLI" status "${S[@]}"
assert_eq "stale socket: exit 1" 1 "$rc"
assert_contains "stale socket: not running" "The Boundary client agent is not running (nothing listens on $CLI_SOCK)" "$out"

finish
