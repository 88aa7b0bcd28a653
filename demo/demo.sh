#!/usr/bin/env bash
# make demo: boundary-client-agent working for real, as a walkthrough. Inside a private network
# namespace (a stand-in for a shared Linux host): a Boundary controller and worker (the dev
# controller), two real targets (nginx, sshd), the agent started the way its systemd unit starts it,
# two real OS users. One signs in; her programs reach web.boundary.dev and ssh.boundary.dev by name;
# the other user gets nothing.
#
# Nothing touches this machine's own resolver, addresses, routes or firewall: all of it happens in
# the namespace. The namespace, the demo's users, processes and files are removed at the end, also
# on Ctrl-C or kill.
#
# Environment: BCA_BIN (binaries; default .build/release), DEMO_NS (namespace, default bca-demo),
# DEMO_PREFIX (prefix of the demo's OS users, default bca-demo).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BCA_BIN:-$ROOT/.build/release}
NS=${DEMO_NS:-bca-demo}
PREFIX=${DEMO_PREFIX:-bca-demo}
ALICE=$PREFIX-alice
BOB=$PREFIX-bob
OPS=$PREFIX-ops
UNIT=$ROOT/systemd/boundary-client-agent.service
CTL=http://127.0.0.1:9200
METHOD=ampw_1234567890
ALICE_PW=alice-demo-$RANDOM$RANDOM
OPS_PW=ops-brokered-$RANDOM$RANDOM$RANDOM

DIR=
helper_pid=
socat_pid=
made_users=()
made_run_sshd=0
made_worker_user=0
started=$(date +%s%N)

if [ -t 1 ]; then
    B=$'\033[1m' D=$'\033[2m' N=$'\033[0m'
else
    B= D= N=
fi
n=0
step() {
    n=$((n + 1))
    printf '\n%s%d. %s%s\n' "$B" "$n" "$*" "$N"
}
say() { printf '   %s\n' "$*"; }
indent() { sed 's/^/      /'; }
# show CMD...: print the command, run it (as root, in the namespace), print its output indented.
show() {
    printf '   %s#%s %s\n' "$D" "$N" "$*"
    ip netns exec "$NS" "$@" 2>&1 | indent
    return "${PIPESTATUS[0]}"
}
# as USER CMD...: the same as an OS user, with a login-free environment; the agent's socket is
# found from the demo's config file (BOUNDARY_CLIENT_AGENT_CONFIG), as from /etc/boundary normally.
as() {
    local user=$1
    shift
    printf '   %s%s$%s %s\n' "$D" "${user#"$PREFIX"-}" "$N" "$(printf '%s ' "$@" | sed 's/ $//')"
    run_as "$user" "$@" 2>&1 | indent
    return "${PIPESTATUS[0]}"
}
run_as() {
    local user=$1
    shift
    ip netns exec "$NS" runuser -u "$user" -- env -i PATH="$BIN:/usr/bin:/bin" HOME=/tmp LANG=C.UTF-8 \
        BOUNDARY_CLIENT_AGENT_CONFIG="$DIR/agent.hcl" "$@"
}
die() {
    printf '\ndemo: %s\n' "$*" >&2
    [ -n "$DIR" ] && [ -f "$DIR/agent.log" ] && tail -15 "$DIR/agent.log" | sed 's/^/  log| /' >&2
    exit 1
}
wait_until() {
    local tries=$1
    shift
    local i
    for ((i = 0; i < tries; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

cleanup() {
    trap '' INT TERM
    disown -a 2>/dev/null  # no "Killed" lines for the targets and the controller
    [ -n "$helper_pid" ] && kill -TERM "$helper_pid" 2>/dev/null && sleep 0.5
    [ -n "$socat_pid" ] && kill "$socat_pid" 2>/dev/null
    local pids
    pids=$(ip netns pids "$NS" 2>/dev/null)
    [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
    sleep 0.2
    # The unit's ExecStopPost: undoes whatever the helper could not (it is in the namespace anyway).
    if [ -n "$DIR" ] && [ -f "$DIR/agent.hcl" ] && ip netns list | grep -qw "$NS"; then
        ip netns exec "$NS" "$ROOT/packaging/unit-exec" $(unit_args) "$UNIT" stop-post >/dev/null 2>&1
    fi
    ip netns del "$NS" 2>/dev/null
    rm -rf "/etc/netns/$NS"
    local u
    for u in "${made_users[@]}"; do
        pkill -KILL -u "$u" 2>/dev/null
        userdel --remove "$u" 2>/dev/null
    done
    [ $made_run_sshd = 1 ] && rmdir /run/sshd 2>/dev/null
    [ $made_worker_user = 1 ] && userdel boundary-agent 2>/dev/null
    [ -n "$DIR" ] && rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ "$(id -u)" = 0 ] || { echo "demo: run as root (it makes a network namespace and users)" >&2; exit 1; }
for b in boundary-agent boundary-agent-helper boundary-agent-dns boundary-agent-proxy boundary-dev-controller; do
    [ -x "$BIN/$b" ] || { echo "demo: $BIN/$b is not built (make build)" >&2; exit 1; }
done
for t in dnsmasq nginx /usr/sbin/sshd ssh sshpass curl dig jq socat python3 useradd; do
    command -v "$t" >/dev/null || { echo "demo: $t is missing (make deps installs it)" >&2; exit 1; }
done
BIN=$(cd "$BIN" && pwd)
ip netns list | grep -qw "$NS" && { echo "demo: namespace $NS exists (another demo running?)" >&2; exit 1; }
# Under /run, not /tmp: the unit's PrivateTmp=yes would hide /tmp from the agent.
DIR=$(mktemp -d "/run/$NS.XXXXXX")
chmod 755 "$DIR"

# The unit's ExecStart/ExecStopPost, run by packaging/unit-exec with the unit's sandbox (systemd is
# not PID 1 here): the binaries and the config file are this build's; the demo's files live in
# $DIR instead of /run, /var/lib and /var/log (what a drop-in would say).
unit_args() {
    echo "--replace /usr/libexec/boundary-client-agent=$BIN --replace /etc/boundary/boundary-client-agent.hcl=$DIR/agent.hcl"
    echo "--set RuntimeDirectory= --set StateDirectory= --set ReadWritePaths= --set ReadWritePaths=/etc/resolv.conf"
    echo "--set ReadWritePaths=$DIR"
}

echo "${B}boundary-client-agent: a walkthrough${N} (everything runs in the network namespace $NS)"

# --- 1 --------------------------------------------------------------------------------------------
step "A private network namespace plays a shared Linux host"
say "Its resolver (dnsmasq on 127.0.0.2) knows www.example.com; boundary.dev is not in its DNS."
ip netns add "$NS" || die "ip netns add $NS"
ip -n "$NS" link set lo up
mkdir -p "/etc/netns/$NS"
printf 'nameserver 127.0.0.2\nsearch example.com\n' >"/etc/netns/$NS/resolv.conf"
ip netns exec "$NS" dnsmasq --no-resolv --no-hosts --listen-address=127.0.0.2 --bind-interfaces --port=53 \
    --address=/www.example.com/192.0.2.80 --local=/boundary.dev/ --pid-file="$DIR/dnsmasq.pid" --user=root ||
    die "dnsmasq did not start"
show cat /etc/resolv.conf
show getent hosts www.example.com
snapshot() {
    ip -n "$NS" addr show
    ip -n "$NS" route show table local
    ip -n "$NS" -6 route show table local
    ip netns exec "$NS" nft list ruleset
    cat "/etc/netns/$NS/resolv.conf"
}
before=$(snapshot)

# --- 2 --------------------------------------------------------------------------------------------
step "Two real targets that only Boundary may reach: nginx (HTTP) and OpenSSH"
say "Both listen on 127.0.0.1 in the namespace. The ssh account $OPS has a password only the"
say "controller knows: Boundary brokers it to whoever it authorizes."
mkdir -p "$DIR/www" "$DIR/nginx" "$DIR/ssh"
echo "Hello from the web target, reached through a Boundary session." >"$DIR/www/index.html"
cat >"$DIR/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $DIR/nginx/nginx.pid;
error_log $DIR/nginx/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $DIR/nginx/body;
    proxy_temp_path $DIR/nginx/proxy;
    fastcgi_temp_path $DIR/nginx/fastcgi;
    uwsgi_temp_path $DIR/nginx/uwsgi;
    scgi_temp_path $DIR/nginx/scgi;
    server { listen 127.0.0.1:80; root $DIR/www; }
}
EOF
ip netns exec "$NS" nginx -c "$DIR/nginx/nginx.conf" >/dev/null 2>&1 &
for u in "$ALICE" "$BOB" "$OPS"; do
    id "$u" >/dev/null 2>&1 && die "the user $u exists already (another demo running?)"
    useradd --create-home --shell /bin/bash "$u" || die "useradd $u"
    made_users+=("$u")
done
echo "$OPS:$OPS_PW" | chpasswd
[ -d /run/sshd ] || { mkdir -p /run/sshd && made_run_sshd=1; }
ssh-keygen -q -t ed25519 -N '' -f "$DIR/ssh/host_key"
cat >"$DIR/ssh/sshd_config" <<EOF
ListenAddress 127.0.0.1:22
HostKey $DIR/ssh/host_key
PidFile $DIR/ssh/sshd.pid
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication no
AllowUsers $OPS
EOF
ip netns exec "$NS" /usr/sbin/sshd -D -e -f "$DIR/ssh/sshd_config" 2>"$DIR/ssh/sshd.log" &
wait_until 100 ip netns exec "$NS" curl -sf http://127.0.0.1/ || die "nginx did not start"
wait_until 100 ip netns exec "$NS" bash -c 'echo >/dev/tcp/127.0.0.1/22' || die "sshd did not start"
show ss -ltn 'sport = :80 or sport = :22'

# --- 3 --------------------------------------------------------------------------------------------
step "A Boundary controller and worker (boundary-dev-controller, Boundary's API and wire protocol)"
say "One Boundary user (alice) and two targets with aliases: web.boundary.dev and ssh.boundary.dev."
cat >"$DIR/controller.json" <<EOF
{
  "users": [{"id": "u_1234567890", "login_name": "alice", "password": "$ALICE_PW"}],
  "targets": [
    {"id": "ttcp_web0000001", "name": "web", "address": "127.0.0.1", "port": 80},
    {"id": "ttcp_ssh0000001", "name": "ssh", "address": "127.0.0.1", "port": 22,
     "credentials": [{"type": "username_password", "name": "ops-login", "username": "$OPS", "password": "$OPS_PW"}]}
  ],
  "aliases": [
    {"value": "web.boundary.dev", "target": "ttcp_web0000001"},
    {"value": "ssh.boundary.dev", "target": "ttcp_ssh0000001"}
  ]
}
EOF
ip netns exec "$NS" "$BIN/boundary-dev-controller" -config "$DIR/controller.json" \
    -api-listen-address 127.0.0.1:9200 -proxy-listen-address 127.0.0.1:9202 >"$DIR/controller.out" 2>&1 &
wait_until 200 grep -q '^api:' "$DIR/controller.out" || die "the dev controller did not start"
sed -n 's/^\(api\|proxy\): /\1: /p' "$DIR/controller.out" | indent

# --- 4 --------------------------------------------------------------------------------------------
step "Start the agent exactly as its systemd unit does"
say "The unit's ExecStart and ExecStopPost (systemd/boundary-client-agent.service):"
grep -E '^Exec(Start|StopPost)=' "$UNIT" | indent
say "systemd is not PID 1 here, so packaging/unit-exec applies the unit's sandbox itself (7"
say "capabilities, seccomp, read-only /, no_new_privs, MemoryDenyWriteExecute, ...) and execs that"
say "line, with this build's binaries and the demo's config file:"
# The workers' system user (the package creates it; the demo makes it for the run when missing).
if ! id boundary-agent >/dev/null 2>&1; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
        boundary-agent || die "useradd boundary-agent"
    made_worker_user=1
fi
cat >"$DIR/agent.hcl" <<HCL
# The demo's files live in $DIR; everything else is at its default.
state_file             = "$DIR/lib/state.json"
operational_state_file = "$DIR/lib/operational-state.json"
log_file               = "$DIR/agent.log"
api_socket_path        = "$DIR/run/agent.sock"
alias_refresh_interval = "5s"
HCL
chmod 644 "$DIR/agent.hcl"
: >"$DIR/agent.log"
socat -u UNIX-RECV:"$DIR/notify.sock" OPEN:"$DIR/notify.log",creat,append &
socat_pid=$!
wait_until 30 test -S "$DIR/notify.sock"
printf '   %s#%s packaging/unit-exec --replace /usr/libexec/boundary-client-agent=%s \\\n' "$D" "$N" "$BIN"
printf '       --replace /etc/boundary/boundary-client-agent.hcl=%s/agent.hcl [...] boundary-client-agent.service start\n' "$DIR"
t0=$(date +%s%N)
NOTIFY_SOCKET=$DIR/notify.sock ip netns exec "$NS" "$ROOT/packaging/unit-exec" $(unit_args) "$UNIT" start \
    >"$DIR/helper.out" 2>&1 &
helper_pid=$!
wait_until 300 grep -q "READY=1" "$DIR/notify.log" || die "the agent did not start: $(tail -3 "$DIR/helper.out")"
say "READY=1 reached \$NOTIFY_SOCKET after $((($(date +%s%N) - t0) / 1000000)) ms (Type=notify)."
say "Three processes: the root helper and its two workers, which dropped to boundary-agent:"
printf '      %-7s %-15s %-22s %s\n' PID USER PROGRAM "/proc/PID/status"
for p in $helper_pid $(pgrep -P "$helper_pid"); do
    printf '      %-7s %-15s %-22s %s\n' "$p" "$(ps -o user:15= -p "$p")" "$(basename "$(readlink /proc/$p/exe)")" \
        "$(grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/$p/status | tr -s '\t' ' ' | paste -sd' ')"
done
say "It took 100.64.0.1 and fd5b:c1a6:e7a0::1 for its DNS server and pointed the resolver at them:"
show cat /etc/resolv.conf

# --- 5 --------------------------------------------------------------------------------------------
step "Before anyone signs in, alias names do not resolve; every other name resolves as before"
as "$ALICE" getent hosts web.boundary.dev || say "(nothing: the name went to the old resolver, which says NXDOMAIN)"
as "$ALICE" getent hosts www.example.com

# --- 6 --------------------------------------------------------------------------------------------
step "alice signs in (OS user $ALICE); her password is read from a file of hers, never from argv"
install -m 0600 -o "$ALICE" /dev/null "$DIR/alice.password"
printf '%s' "$ALICE_PW" >"$DIR/alice.password"
as "$ALICE" boundary-agent login -addr $CTL -auth-method-id $METHOD -login-name alice \
    -password "file://$DIR/alice.password" || die "login failed"
rm -f "$DIR/alice.password"
listed() { run_as "$ALICE" boundary-agent explain web.boundary.dev -format json | jq -e .resolves; }
wait_until 100 listed || die "alice's aliases were not listed"
as "$ALICE" boundary-agent status

# --- 7 --------------------------------------------------------------------------------------------
step "Her programs now resolve the alias names (glibc through resolv.conf, and dig)"
as "$ALICE" getent hosts web.boundary.dev
as "$ALICE" dig +short web.boundary.dev A
as "$ALICE" dig +short ssh.boundary.dev AAAA

# --- 8 --------------------------------------------------------------------------------------------
step "curl reaches nginx by name: the agent carries the connection through a Boundary session"
as "$ALICE" curl -s --max-time 10 http://web.boundary.dev/

# --- 9 --------------------------------------------------------------------------------------------
step "Her sessions, with the credential Boundary brokered for the ssh target"
as "$ALICE" getent hosts ssh.boundary.dev >/dev/null
has_ssh() { run_as "$ALICE" boundary-agent sessions -format json | jq -e 'any(.items[]; .alias == "ssh.boundary.dev")'; }
wait_until 100 has_ssh || die "no session for ssh.boundary.dev"
as "$ALICE" boundary-agent sessions

# --- 10 -------------------------------------------------------------------------------------------
step "ssh through ssh.boundary.dev with the brokered password (read from the sessions JSON)"
say "SSHPASS=\$(boundary-agent sessions -format json | jq -r '... .credential.password')"
pw=$(run_as "$ALICE" boundary-agent sessions -format json | jq -r '.items[] | select(.alias == "ssh.boundary.dev")
    | .session_authorization.credentials[0] | (.credential.password // .secret.decoded.password)')
printf '   %s%s$%s SSHPASS=... sshpass -e ssh -o StrictHostKeyChecking=no %s@ssh.boundary.dev %s\n' "$D" alice "$N" \
    "$OPS" "'echo \"logged in as \$(id -un) on \$(hostname)\"'"
run_as "$ALICE" SSHPASS="$pw" sshpass -e ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o LogLevel=ERROR -o PreferredAuthentications=password -o PubkeyAuthentication=no -o ConnectTimeout=10 \
    "$OPS@ssh.boundary.dev" 'echo "logged in as $(id -un) on $(hostname)"' 2>&1 | indent
say "(Boundary workers present a new host key on every connection: see docs/troubleshooting.md.)"

# --- 11 -------------------------------------------------------------------------------------------
step "bob (OS user $BOB, not signed in) gets nothing: the names fall through, the addresses refuse him"
as "$BOB" getent hosts web.boundary.dev || say "(nothing: NXDOMAIN from the old resolver)"
as "$BOB" dig +short web.boundary.dev || true
say "(no answer)"
web4=$(run_as "$ALICE" boundary-agent explain web.boundary.dev -format json | jq -r .ipv4)
as "$BOB" curl -sS --max-time 5 "http://$web4/" || say "(refused: the address is alice's session, not his)"
as "$BOB" boundary-agent explain web.boundary.dev
as "$BOB" boundary-agent sessions

# --- 12 -------------------------------------------------------------------------------------------
step "Stop the agent as systemd would (SIGTERM, then ExecStopPost): the host is as before"
t0=$(date +%s%N)
kill -TERM "$helper_pid"
wait "$helper_pid"
rc=$?
helper_pid=
ip netns exec "$NS" "$ROOT/packaging/unit-exec" $(unit_args) "$UNIT" stop-post
grep -q STOPPING=1 "$DIR/notify.log" && say "The helper told systemd STOPPING=1 (\$NOTIFY_SOCKET)."
say "It restored the resolver first, stopped its workers, undid the rest, and"
say "exited $rc after $((($(date +%s%N) - t0) / 1000000)) ms; ExecStopPost (cleanup) found nothing left to undo."
show cat /etc/resolv.conf
if [ "$before" = "$(snapshot)" ]; then
    say "Addresses, local routes, nftables and resolv.conf are exactly as before the start."
else
    say "DIFFERENCE:"
    diff <(echo "$before") <(snapshot) | indent
fi
printf '\n%sDone in %d s.%s The namespace, the users %s, %s, %s and every file of the demo are removed now.\n' \
    "$B" $((($(date +%s%N) - started) / 1000000000)) "$N" "$ALICE" "$BOB" "$OPS"
