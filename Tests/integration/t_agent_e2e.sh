#!/usr/bin/env bash
# The whole product end to end, as a user on a shared host meets it: the real helper with its
# sandboxed DNS and proxy workers (enforcing seccomp profiles), the dev controller and worker, an
# unbound upstream as the namespace's previous resolver, nginx and sshd targets, two real OS users.
# Every client goes through the namespace's real /etc/resolv.conf (glibc) or asks the agent's DNS
# addresses directly (dig, kdig; UDP and TCP, v4 and v6). The controller and its worker are named by
# host names that only the upstream knows, so the broker's own resolver (UDP to the DNS worker,
# inside the sandbox) carries every controller and data-plane connection.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent.sh"
. "$(dirname "$0")/broker_lib.sh"
. "$(dirname "$0")/dns_helpers.sh"
NS=bca-integ-e2e
need_root
need_tool ip nft dig kdig unbound nginx /usr/sbin/sshd ssh sshpass curl runuser jq getent ss chpasswd
need_bin boundary-agent-helper boundary-agent-dns boundary-agent-proxy boundary-agent boundary-dev-controller
system_user boundary-agent
test_user bca-u1
test_user bca-u2
U1=$(id -u bca-u1)
U2=$(id -u bca-u2)
CLI=$BCA_BIN/boundary-agent
UPSTREAM=127.0.0.1 # unbound, port 53 (start_unbound)
CTL_NAME=controller.bca.test
CTL=http://$CTL_NAME:9200
METHOD=ampw_1234567890
SSH_PORT=2222
SSH_TARGET=bca-e2e-tgt
ALICE_PW=alice-Pw-5113
BOB_PW=bob-Pw-6620
CAROL_PW=carol-Pw-7731
# The password the controller brokers for the ssh target (the test user never types it).
TGT_PW=Brokered-$RANDOM-$RANDOM-Ssh

AGENT_DIR=$(tmpdir)
chmod 755 "$AGENT_DIR"
DIR=$AGENT_DIR
SOCK=$AGENT_DIR/run/agent.sock
netns_create $NS "nameserver $UPSTREAM
search corp.example
options edns0"
original_resolv=$(cat /etc/netns/$NS/resolv.conf)

# --- the previous resolver: unbound, the only one that knows the controller's name ----------------
start_unbound $NS "$DIR" 53 '  local-zone: "bca.test." static
  local-data: "bca.test. 300 IN SOA ns.bca.test. admin.bca.test. 1 3600 600 86400 30"
  local-data: "'$CTL_NAME'. 300 IN A 127.0.0.1"
  local-data: "other.bca.test. 300 IN A 192.0.2.10"
  local-data: "other.bca.test. 300 IN AAAA 2001:db8::10"'
wait_for 10 in_ns $NS dig +short +time=1 +tries=1 @$UPSTREAM $CTL_NAME || fatal "unbound does not answer for $CTL_NAME"

# --- targets: nginx (web) and sshd (ssh, password of a dedicated account, brokered) -------------
web_target $NS "$DIR"
test_user $SSH_TARGET
echo "$SSH_TARGET:$TGT_PW" | chpasswd || fatal "chpasswd"
mkdir -p "$DIR/ssh" /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$DIR/ssh/host_key"
cat >"$DIR/ssh/sshd_config" <<EOF
ListenAddress 127.0.0.1:$SSH_PORT
HostKey $DIR/ssh/host_key
PidFile $DIR/ssh/sshd.pid
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication no
AllowUsers $SSH_TARGET
EOF
in_ns $NS /usr/sbin/sshd -D -e -f "$DIR/ssh/sshd_config" 2>"$DIR/ssh/sshd.log" &
wait_for 10 in_ns $NS bash -c "echo >/dev/tcp/127.0.0.1/$SSH_PORT" || fatal "sshd did not start"

# --- the dev controller, its worker announced by name ---------------------------------------------
cat >"$DIR/controller.json" <<EOF
{
  "users": [
    {"id": "u_1111111111", "login_name": "alice", "password": "$ALICE_PW"},
    {"id": "u_2222222222", "login_name": "bob", "password": "$BOB_PW"},
    {"id": "u_3333333333", "login_name": "carol", "password": "$CAROL_PW", "list_resolvable_aliases": false}
  ],
  "targets": [
    {"id": "ttcp_web0000001", "name": "web", "address": "127.0.0.1", "port": $WEB_PORT},
    {"id": "ttcp_ssh0000001", "name": "ssh", "address": "127.0.0.1", "port": $SSH_PORT,
     "credentials": [{"type": "username_password", "name": "ssh-login", "username": "$SSH_TARGET", "password": "$TGT_PW"}]},
    {"id": "ttcp_lat0000001", "name": "latency", "address": "127.0.0.1", "port": $WEB_PORT}
  ],
  "aliases": [
    {"value": "web.boundary.dev", "target": "ttcp_web0000001"},
    {"value": "ssh.boundary.dev", "target": "ttcp_ssh0000001"},
    {"value": "first.boundary.dev", "target": "ttcp_lat0000001"}
  ]
}
EOF
ip netns exec $NS "$BCA_BIN/boundary-dev-controller" -config "$DIR/controller.json" \
    -api-listen-address 127.0.0.1:9200 -proxy-listen-address 127.0.0.1:9202 -worker-public-address "$CTL_NAME:9202" \
    -request-log "$DIR/requests.jsonl" >"$DIR/controller.out" 2>"$DIR/controller.err" &
on_exit "kill $! 2>/dev/null"
wait_for 20 grep -q "^api:" "$DIR/controller.out" || fatal "dev controller did not start: $(cat "$DIR/controller.err")"

# --- the agent --------------------------------------------------------------------------------------
agent_config
cat >>"$AGENT_CONFIG" <<HCL
alias_refresh_interval = "2s"
admin_group            = ""
HCL
before=$(snapshot_host $NS)
agent_start $NS
dns_pid=$(agent_worker_pid dns) || fatal "no DNS worker"
proxy_pid=$(agent_worker_pid proxy) || fatal "no proxy worker"
for p in $dns_pid $proxy_pid; do
    st=$(proc_sandbox_status $p)
    assert_contains "worker $p runs under its seccomp filter" "Seccomp: 2" "$st"
    assert_contains "worker $p has no capabilities" "CapEff: 0000000000000000" "$st"
done
assert_contains "resolv.conf now names the agent" "nameserver $AGENT_V4" "$(cat /etc/netns/$NS/resolv.conf)"

# as USER [VAR=value...] CMD...: a clean login-free environment inside the namespace.
as() {
    local user=$1
    shift
    in_ns $NS runuser -u "$user" -- env -i PATH=/usr/bin:/bin HOME=/tmp LANG=C.UTF-8 "$@"
}
explain() { as "$1" "$CLI" explain "$2" -format json -socket "$SOCK"; }
authorizations() { count_requests "$DIR" authorize-session; }
# resolves USER NAME ADDRESS: glibc (getent, through resolv.conf) gives USER that IPv4 address first.
resolves() { [ "$(as "$1" getent ahostsv4 "$2" | awk 'NR==1{print $1}')" = "$3" ]; }
listed() { explain "$1" "$2" | jq -e .resolves >/dev/null; }
has_session() { as "$1" "$CLI" sessions -format json -socket "$SOCK" | jq -e --arg a "$2" 'any(.items[]; .alias == $a)' >/dev/null; }
nxdomain() { as "$1" dig +time=3 +tries=1 "$2" | grep -q 'status: NXDOMAIN'; }

# --- bca-u1 signs in (the CLI reaches the controller by name through the agent's DNS; the broker
# checks the token by name through its own resolver, inside the sandbox) ----------------------------
out=$(as bca-u1 BOUNDARY_AUTHENTICATE_PASSWORD_PASSWORD="$ALICE_PW" "$CLI" login -addr $CTL -auth-method-id $METHOD \
    -login-name alice -socket "$SOCK" -format json)
assert_eq "bca-u1 signs in as alice at $CTL (a name)" u_1111111111 "$(jq -r .user_id <<<"$out")"
assert_eq "the agent knows bca-u1's controller by name" "$CTL" "$(jq -r .boundary_addr <<<"$out")"
check "bca-u1's aliases are listed" wait_for 10 listed bca-u1 web.boundary.dev
ex=$(explain bca-u1 web.boundary.dev)
WEB4=$(jq -r .ipv4 <<<"$ex")
WEB6=$(jq -r .ipv6 <<<"$ex")
log "web.boundary.dev is $WEB4 and $WEB6"

# --- names through glibc and the namespace's resolv.conf ---------------------------------------------
before_auth=$(authorizations)
assert_eq "bca-u1: getent ahostsv4 web.boundary.dev is the alias address" "$WEB4" \
    "$(as bca-u1 getent ahostsv4 web.boundary.dev | awk 'NR==1{print $1}')"
authorized() { [ "$(authorizations)" -eq "$1" ]; }
check "the lookup alone authorized bca-u1's session (before any connect)" wait_for 10 authorized $((before_auth + 1))
assert_eq "bca-u1: getent hosts (AAAA first) is the v6 alias address" "$WEB6" \
    "$(as bca-u1 getent hosts web.boundary.dev | awk '{print $1}')"
check_fails "bca-u2 (not signed in): getent hosts web.boundary.dev finds nothing" as bca-u2 getent hosts web.boundary.dev
assert_contains "bca-u2 gets the upstream's NXDOMAIN" "status: NXDOMAIN" \
    "$(as bca-u2 dig +time=3 +tries=1 web.boundary.dev)"
assert_contains "with the upstream's SOA, not ours" "admin.boundary.dev." "$(as bca-u2 dig +time=3 +tries=1 web.boundary.dev)"
check_fails "root (not signed in) gets nothing either" in_ns $NS getent hosts web.boundary.dev
assert_eq "a name that is not an alias resolves through the upstream (glibc, bca-u1)" "192.0.2.10" \
    "$(as bca-u1 getent ahostsv4 other.bca.test | awk 'NR==1{print $1}')"
assert_eq "and for bca-u2" "2001:db8::10" "$(as bca-u2 getent hosts other.bca.test | awk '{print $1}')"

# --- dig and kdig on every transport --------------------------------------------------------------
for server in $AGENT_V4 $AGENT_V6; do
    for tcp in "" +tcp; do
        assert_eq "dig $tcp @$server web.boundary.dev A (bca-u1)" "$WEB4" \
            "$(as bca-u1 dig +short +time=3 +tries=1 $tcp @$server web.boundary.dev A)"
        assert_eq "kdig $tcp @$server web.boundary.dev AAAA (bca-u1)" "$WEB6" \
            "$(as bca-u1 kdig +short +time=3 +retry=0 $tcp @$server web.boundary.dev AAAA)"
        assert_contains "dig $tcp @$server web.boundary.dev (bca-u2): NXDOMAIN" "status: NXDOMAIN" \
            "$(as bca-u2 dig +time=3 +tries=1 $tcp @$server web.boundary.dev A)"
        assert_eq "kdig $tcp @$server other.bca.test (bca-u2): the upstream's answer" "192.0.2.10" \
            "$(as bca-u2 kdig +short +time=3 +retry=0 $tcp @$server other.bca.test A)"
    done
done
flags=$(as bca-u1 dig +time=3 +tries=1 @$AGENT_V4 web.boundary.dev A | grep '^;; flags:')
assert_contains "an alias answer is authoritative" " aa" "$flags"
assert_contains "other types of an alias name get NODATA" "ANSWER: 0" \
    "$(as bca-u1 dig +time=3 +tries=1 @$AGENT_V4 web.boundary.dev MX)"

# --- connections by name ----------------------------------------------------------------------------
body=$(as bca-u1 curl -s --max-time 10 "http://web.boundary.dev:$WEB_PORT/")
assert_eq "bca-u1: curl http://web.boundary.dev reaches nginx through Boundary" "hello from the nginx target" "$body"
assert_eq "the connect used the session the DNS query authorized: one authorize-session in all" \
    $((before_auth + 1)) "$(authorizations)"
check_fails "bca-u2 is refused at connect (by address)" \
    as bca-u2 curl -sf --max-time 5 -o /dev/null "http://$WEB4:$WEB_PORT/"
check "and the refusal names bca-u2" grep -q "uid=$U2" <(grep -i "refused" "$DIR/agent.log")
check_fails "root is refused at connect too" in_ns $NS curl -sf --max-time 5 -o /dev/null "http://[$WEB6]:$WEB_PORT/"

# A cold alias: DNS answer, authorize-session and the first byte through the dev worker, timed.
t=$(as bca-u1 curl -s -o /dev/null --max-time 10 -w '%{time_namelookup} %{time_connect} %{time_starttransfer}' \
    "http://first.boundary.dev:$WEB_PORT/")
warm=$(as bca-u1 curl -s -o /dev/null --max-time 10 -w '%{time_starttransfer}' "http://first.boundary.dev:$WEB_PORT/")
log "first connection (lookup, connect, first byte in s): $t; the next one: first byte after $warm s"
check "the first connection to a cold alias works" test -n "$t"

# --- ssh with the brokered credential -----------------------------------------------------------------
as bca-u1 getent hosts ssh.boundary.dev >/dev/null
check "the lookup authorized the ssh session" wait_for 10 has_session bca-u1 ssh.boundary.dev
sessions=$(as bca-u1 "$CLI" sessions -format json -socket "$SOCK")
pw=$(jq -r '.items[] | select(.alias == "ssh.boundary.dev") | .session_authorization.credentials[0]
    | (.credential.password // .secret.decoded.password)' <<<"$sessions")
assert_eq "bca-u1 sees the brokered password in its sessions" "$TGT_PW" "$pw"
assert_not_contains "bca-u2 does not" "$TGT_PW" "$(as bca-u2 "$CLI" sessions -format json -socket "$SOCK")"
out=$(as bca-u1 SSHPASS="$pw" sshpass -e ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o PreferredAuthentications=password -o PubkeyAuthentication=no -o ConnectTimeout=10 \
    "$SSH_TARGET@ssh.boundary.dev" 'echo ssh-through-boundary; id -un' 2>&1)
assert_contains "bca-u1: ssh to ssh.boundary.dev with the brokered password reaches sshd" "ssh-through-boundary" "$out"
assert_contains "as the target account" "$SSH_TARGET" "$out"
SSH4=$(jq -r .ipv4 <<<"$(explain bca-u1 ssh.boundary.dev)")
out=$(as bca-u2 SSHPASS="$pw" sshpass -e ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o ConnectTimeout=5 "$SSH_TARGET@$SSH4" true 2>&1)
assert_not_contains "bca-u2, even with the password, is refused before sshd" "Permission denied" "$out"
check "bca-u2's ssh failed" test -n "$out"

# --- bca-u2 signs in as bob; bca-u1 pauses only itself ------------------------------------------------
out=$(as bca-u2 BOUNDARY_AUTHENTICATE_PASSWORD_PASSWORD="$BOB_PW" "$CLI" login -addr $CTL -auth-method-id $METHOD \
    -login-name bob -socket "$SOCK" -format json)
assert_eq "bca-u2 signs in as bob" u_2222222222 "$(jq -r .user_id <<<"$out")"
check "bca-u2 now resolves web.boundary.dev to the same address" wait_for 10 resolves bca-u2 web.boundary.dev "$WEB4"
out=$(as bca-u1 "$CLI" pause -format json -socket "$SOCK")
assert_eq "bca-u1's pause is its own" user "$(jq -r .pause_scope <<<"$out")"
check "bca-u1's lookups now fall through to the upstream (NXDOMAIN)" wait_for 10 nxdomain bca-u1 web.boundary.dev
check "bca-u2 still gets the alias" resolves bca-u2 web.boundary.dev "$WEB4"
check_fails "paused bca-u1 cannot connect" as bca-u1 curl -sf --max-time 5 -o /dev/null "http://$WEB4:$WEB_PORT/"
as bca-u1 "$CLI" resume -socket "$SOCK" >/dev/null
check "after resume bca-u1 resolves again" wait_for 10 resolves bca-u1 web.boundary.dev "$WEB4"

# --- the admin pauses the whole agent: the system resolver goes back; resume re-applies it -------
out=$(in_ns $NS "$CLI" pause -format json -socket "$SOCK")
assert_eq "root's pause is the agent's" agent "$(jq -r .pause_scope <<<"$out")"
resolv_is_original() { [ "$(cat /etc/netns/$NS/resolv.conf)" = "$original_resolv" ]; }
check "resolv.conf is the original again" wait_for 5 resolv_is_original
assert_eq "names resolve through the upstream, as before the agent" "192.0.2.10" \
    "$(as bca-u1 getent ahostsv4 other.bca.test | awk 'NR==1{print $1}')"
in_ns $NS "$CLI" resume -socket "$SOCK" >/dev/null
check "resume points resolv.conf at the agent again" wait_for 5 grep -q "nameserver $AGENT_V4" /etc/netns/$NS/resolv.conf
check "and bca-u1's alias resolves through it" wait_for 10 resolves bca-u1 web.boundary.dev "$WEB4"

# --- a user who may not list aliases: the DNS worker asks the broker (resolveRequest), which tries
# the name with authorize-session and answers (resolveResult) before the DNS answer goes out --------
carol=$(in_ns $NS curl -sf -X POST "http://127.0.0.1:9200/v1/auth-methods/$METHOD:authenticate" \
    -H 'content-type: application/json' \
    -d "{\"command\":\"login\",\"attributes\":{\"login_name\":\"carol\",\"password\":\"$CAROL_PW\"}}" |
    jq -r .attributes.token)
out=$(as bca-u2 BOUNDARY_TOKEN="$carol" "$CLI" token add -addr $CTL -socket "$SOCK" -format json)
assert_eq "bca-u2 switches to carol with token add" u_3333333333 "$(jq -r .user_id <<<"$out")"
forbidden() { [ "$(as "$1" "$CLI" status -format json -socket "$SOCK" | jq -r .alias_listing)" = forbidden ]; }
check "carol's listing is forbidden" wait_for 10 forbidden bca-u2
before_auth=$(authorizations)
check "bca-u2 (carol) resolves web.boundary.dev through the broker" resolves bca-u2 web.boundary.dev "$WEB4"
body=$(as bca-u2 curl -s --max-time 10 "http://web.boundary.dev:$WEB_PORT/")
assert_eq "and reaches nginx on the session the lookup made" "hello from the nginx target" "$body"
assert_eq "one authorize-session for lookup and connect" $((before_auth + 1)) "$(authorizations)"
check "a name that is not an alias still goes to the upstream for her" nxdomain bca-u2 nothing.boundary.dev

# --- nothing was killed by its sandbox; memory at rest --------------------------------------------
assert_eq "the DNS worker ran the whole test (no seccomp kill, no restart)" "$dns_pid" "$(agent_worker_pid dns)"
assert_eq "so did the proxy worker" "$proxy_pid" "$(agent_worker_pid proxy)"
assert_not_contains "the helper saw no worker die" "killed by signal" "$(cat "$DIR/agent.log")"
sleep 1
for p in $AGENT_PID $dns_pid $proxy_pid; do
    log "$(basename "$(readlink /proc/$p/exe)"): $(grep -E '^(VmRSS|RssAnon)' /proc/$p/status | tr -s '\t ' ' ' | tr '\n' ' ')"
done


# --- worker restarts: each new dns <-> broker link starts from what the broker knows now ----------
kill -KILL "$dns_pid"
new_dns() {
    local p
    p=$(agent_worker_pid dns) && [ "$p" != "$dns_pid" ]
}
check "a killed DNS worker is restarted" wait_for 10 new_dns
check "the broker gives the new DNS worker bca-u1's view again" wait_for 10 resolves bca-u1 web.boundary.dev "$WEB4"
kill -KILL "$proxy_pid"
new_proxy() {
    local p
    p=$(agent_worker_pid proxy) && [ "$p" != "$proxy_pid" ]
}
check "a killed broker is restarted" wait_for 10 new_proxy
# The new broker has no tokens (they lived in the old one's memory): the DNS worker dropped the views
# the old broker had pushed, so bca-u1's lookups fall through to the upstream until it signs in again.
check "the DNS worker forgot the old broker's views" wait_for 10 nxdomain bca-u1 web.boundary.dev
as bca-u1 BOUNDARY_AUTHENTICATE_PASSWORD_PASSWORD="$ALICE_PW" "$CLI" login -addr $CTL -auth-method-id $METHOD \
    -login-name alice -socket "$SOCK" >/dev/null
check "signed in again, bca-u1's alias has the same address" wait_for 10 resolves bca-u1 web.boundary.dev "$WEB4"
assert_eq "and connects" "hello from the nginx target" \
    "$(as bca-u1 curl -s --max-time 10 "http://web.boundary.dev:$WEB_PORT/")"

# --- stop ----------------------------------------------------------------------------------------------
agent_stop
assert_eq "SIGTERM exits 0" 0 "$AGENT_RC"
assert_eq "the host is byte for byte as before" "$before" "$(snapshot_host $NS)"
assert_eq "resolv.conf is the original" "$original_resolv" "$(cat /etc/netns/$NS/resolv.conf)"
finish
