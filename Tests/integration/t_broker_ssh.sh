#!/usr/bin/env bash
# ssh through the broker to a real sshd, the 403 fallback (a user who may not list aliases still
# resolves and connects, one authorize-session per name, negative answers cached), and the per-user
# connection cap (one user's many connections do not starve another's).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/broker_lib.sh"
need_root
need_tool ip nft curl nginx dnsmasq runuser python3 getent ssh sshd ssh-keygen socat
need_bin broker-test-server boundary-dev-controller

ns=bca-broker-ssh
dir=$(tmpdir)
chmod 755 "$dir"
test_user bca-u1
test_user bca-u2
SSH_PORT=2222

broker_namespace "$ns"
web_target "$ns" "$dir"

# --- sshd target, bca-u1's key --------------------------------------------------------------------
mkdir -p "$dir/ssh/keys" /run/sshd
# Without PAM, sshd refuses accounts whose password field is locked ("!"), as useradd leaves it.
if getent shadow bca-u1 | cut -d: -f2 | grep -q '^!'; then usermod -p '*' bca-u1; fi
ssh-keygen -q -t ed25519 -N '' -f "$dir/ssh/host_key"
install -d -o bca-u1 -m 700 "$dir/u1"
runuser -u bca-u1 -- ssh-keygen -q -t ed25519 -N '' -f "$dir/u1/id"
cp "$dir/u1/id.pub" "$dir/ssh/keys/bca-u1"
chmod 644 "$dir/ssh/keys/bca-u1"
cat >"$dir/ssh/sshd_config" <<EOF
ListenAddress 127.0.0.1:$SSH_PORT
HostKey $dir/ssh/host_key
PidFile $dir/ssh/sshd.pid
AuthorizedKeysFile $dir/ssh/keys/%u
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowUsers bca-u1
EOF
in_ns "$ns" /usr/sbin/sshd -D -e -f "$dir/ssh/sshd_config" 2>"$dir/ssh/sshd.log" &
wait_for 10 in_ns "$ns" bash -c "echo >/dev/tcp/127.0.0.1/$SSH_PORT" || fatal "sshd did not start"

dev_controller "$ns" "$dir" '{
  "users": [
    {"id": "u_1111111111", "login_name": "alice", "password": "password"},
    {"id": "u_3333333333", "login_name": "carol", "password": "password", "list_resolvable_aliases": false}
  ],
  "targets": [
    {"id": "ttcp_ssh0000001", "name": "ssh", "address": "127.0.0.1", "port": 2222},
    {"id": "ttcp_web0000001", "name": "web", "address": "127.0.0.1", "port": 8080}
  ],
  "aliases": [
    {"value": "ssh.boundary.dev", "target": "ttcp_ssh0000001"},
    {"value": "web.boundary.dev", "target": "ttcp_web0000001"}
  ]
}'
broker_start "$ns" "$dir" 'alias_refresh_interval = "2s"
max_connections_per_user = 5
log_level = "debug"'

alice=$(login "$ns" alice)
carol=$(login "$ns" carol)
api_unix "$ns" bca-u1 "$dir" POST /v1/tokens "{\"boundary_addr\":\"http://$CTL_API\",\"token\":\"$alice\"}" >/dev/null
api_unix "$ns" bca-u2 "$dir" POST /v1/tokens "{\"boundary_addr\":\"http://$CTL_API\",\"token\":\"$carol\"}" >/dev/null
wait_for 10 test -n "$(alias_address "$ns" bca-u1 "$dir" ssh.boundary.dev)" || fatal "alias view never pushed"

# --- ssh -------------------------------------------------------------------------------------------
out=$(in_ns "$ns" runuser -u bca-u1 -- ssh -i "$dir/u1/id" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o BatchMode=yes -o ConnectTimeout=10 bca-u1@ssh.boundary.dev 'echo ssh-through-boundary; id -un' 2>&1)
assert_contains "ssh to ssh.boundary.dev reaches the real sshd" "ssh-through-boundary" "$out"
assert_eq "as bca-u1" "bca-u1" "$(echo "$out" | grep -A1 '^ssh-through-boundary$' | tail -1)"
check_fails "bca-u2 (another user) cannot use bca-u1's alias address" \
    in_ns "$ns" runuser -u bca-u2 -- ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes \
    -o ConnectTimeout=5 "bca-u2@$(alias_address "$ns" bca-u1 "$dir" ssh.boundary.dev)" true

# --- the 403 fallback (carol may not list aliases) ----------------------------------------------
status=$(api_unix "$ns" bca-u2 "$dir" GET /v1/status)
assert_eq "bca-u2's listing is forbidden" "forbidden" "$(echo "$status" | json '["alias_listing"]')"
assert_contains "and status says why" "list-resolvable-aliases" "$(echo "$status" | json '["warnings"]')"
before=$(count_requests "$dir" authorize-session)
addr=$(in_ns "$ns" runuser -u bca-u2 -- getent ahostsv4 web.boundary.dev | awk 'NR==1{print $1}')
assert_contains "bca-u2 resolves web.boundary.dev through authorize-session" "100." "$addr"
body=$(in_ns "$ns" runuser -u bca-u2 -- curl -s --max-time 10 "http://web.boundary.dev:$WEB_PORT/")
assert_eq "and connects on the session the lookup made" "hello from the nginx target" "$body"
assert_eq "one authorize-session for lookup and connect" 1 $(($(count_requests "$dir" authorize-session) - before))
check_fails "a name that is not an alias is not one for bca-u2 either" \
    in_ns "$ns" runuser -u bca-u2 -- getent hosts nothing.boundary.dev
before=$(count_requests "$dir" authorize-session)
in_ns "$ns" runuser -u bca-u2 -- getent hosts nothing.boundary.dev >/dev/null
assert_eq "the negative answer is cached" 0 $(($(count_requests "$dir" authorize-session) - before))
check "other names still resolve for bca-u2" in_ns "$ns" runuser -u bca-u2 -- getent hosts other.bca.test

# --- per-user connection cap ----------------------------------------------------------------------
# bca-u1 holds 5 connections open (its cap); the 6th is refused, bca-u2 still gets through.
for i in 1 2 3 4 5; do
    in_ns "$ns" runuser -u bca-u1 -- socat -u "TCP:web.boundary.dev:$WEB_PORT" - >/dev/null 2>&1 &
done
sleep 1
check_fails "bca-u1's 6th connection is refused" \
    in_ns "$ns" runuser -u bca-u1 -- curl -sf --max-time 5 -o /dev/null "http://web.boundary.dev:$WEB_PORT/"
check "bca-u2 is not starved" \
    in_ns "$ns" runuser -u bca-u2 -- curl -sf --max-time 5 -o /dev/null "http://web.boundary.dev:$WEB_PORT/"
assert_contains "the refusal names the cap" "max_connections_per_user" "$(cat "$dir/broker.err")"

finish
