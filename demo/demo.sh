#!/usr/bin/env bash
# The walkthrough (stage 1, issue 2): the root helper and its two sandboxed workers, running for real
# in a private network namespace, forwarding DNS. Later stages add aliases and sessions.
#
# Nothing here touches this machine's own resolver, addresses, routes or firewall: everything
# happens inside the namespace `bca-demo`, which is removed at the end (also on Ctrl-C).
set -uo pipefail

BIN=${BCA_BIN:-.build/release}
NS=bca-demo
DIR=$(mktemp -d /tmp/bca-demo.XXXXXX)
created_user=0
helper_pid=

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
say() { printf '    %s\n' "$*"; }
show() {
    printf '    $ %s\n' "$*"
    "$@" 2>&1 | sed 's/^/      /'
}

cleanup() {
    [ -n "$helper_pid" ] && kill -KILL "$helper_pid" 2>/dev/null
    pids=$(ip netns pids $NS 2>/dev/null)
    [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
    ip netns del $NS 2>/dev/null
    rm -rf "/etc/netns/$NS" "$DIR"
    [ $created_user = 1 ] && userdel boundary-agent 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || { echo "demo: run as root (it makes a network namespace)" >&2; exit 1; }
for b in boundary-agent-helper boundary-agent-dns boundary-agent-proxy; do
    [ -x "$BIN/$b" ] || { echo "demo: $BIN/$b is not built (make build)" >&2; exit 1; }
done
BIN=$(cd "$BIN" && pwd)

step "A private network namespace with a resolver of its own"
say "It plays a laptop: its /etc/resolv.conf names a local resolver (dnsmasq on 127.0.0.2) that"
say "knows www.example.test. The agent must keep every such name working."
ip netns del $NS 2>/dev/null
ip netns add $NS
ip -n $NS link set lo up
mkdir -p /etc/netns/$NS
printf 'nameserver 127.0.0.2\nsearch example.test\n' >/etc/netns/$NS/resolv.conf
ip netns exec $NS dnsmasq --no-resolv --no-hosts --listen-address=127.0.0.2 --bind-interfaces --port=53 \
    --address=/www.example.test/192.0.2.80 --pid-file="$DIR/dnsmasq.pid" --user=root
if ! id boundary-agent >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin boundary-agent
    created_user=1
fi
show cat /etc/netns/$NS/resolv.conf
snapshot() {
    ip -n $NS addr show
    ip -n $NS -4 route show table local
    ip -n $NS -6 route show table local
    ip netns exec $NS nft list ruleset
    cat /etc/netns/$NS/resolv.conf
}
before=$(snapshot)

step "The configuration"
cat >"$DIR/agent.hcl" <<HCL
# Defaults for everything else: v4_prefix 100.64.0.0/10, v6_prefix fd5b:c1a6:e7a0::/64, lo.
state_file             = "$DIR/run/state.json"
operational_state_file = "$DIR/lib/operational-state.json"
log_file               = "$DIR/agent.log"
api_socket_path        = "$DIR/run/agent.sock"
HCL
chmod 600 "$DIR/agent.hcl"
show cat "$DIR/agent.hcl"
show "$BIN/boundary-agent-helper" -config "$DIR/agent.hcl" -validate

step "Start the helper (root), in the namespace"
say "It records each change in the state file before making it, adds 100.64.0.1 and"
say "fd5b:c1a6:e7a0::1 to lo, makes the whole prefixes local (AnyIP routes), binds :53 and the"
say "proxy listeners, installs one nftables table, starts both workers with their sockets as fds,"
say "and then points resolv.conf at itself."
t0=$(date +%s%N)
ip netns exec $NS "$BIN/boundary-agent-helper" -config "$DIR/agent.hcl" >"$DIR/helper.out" 2>&1 &
helper_pid=$!
for _ in $(seq 1 300); do grep -q "helper: serving (" "$DIR/agent.log" 2>/dev/null && break; sleep 0.05; done
say "serving after $((($(date +%s%N) - t0) / 1000000)) ms"
show grep -E "helper: (host ready|serving)" "$DIR/agent.log"

step "Three processes; the workers run as boundary-agent, sandboxed"
show ps -o pid,user,comm --ppid "$helper_pid" -p "$helper_pid"
for p in $(pgrep -P "$helper_pid"); do
    say "$(basename "$(readlink /proc/$p/exe)") (pid $p):"
    show grep -E "^(Uid|CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/$p/status
done
say "The DNS worker is also chrooted to an empty directory:"
show readlink /proc/$(pgrep -P "$helper_pid" -f boundary-agent-dns)/root

step "What the helper changed"
show ip netns exec $NS ss -lunpt
show ip -n $NS -4 route show table local
show ip netns exec $NS nft list ruleset
show cat /etc/netns/$NS/resolv.conf

step "DNS goes through the agent and keeps working"
say "Every name that is not a Boundary alias is forwarded to the resolver the system had before."
show ip netns exec $NS dig +short @100.64.0.1 www.example.test
show ip netns exec $NS dig +short @fd5b:c1a6:e7a0::1 www.example.test
show ip netns exec $NS getent hosts www.example.test

step "Any TCP connection to the alias range lands on the (sandboxed) proxy worker"
say "It reads the original destination (SO_ORIGINAL_DST) and the connecting user (sock_diag) from"
say "the kernel. At this stage it only logs them and closes."
ip netns exec $NS runuser -u nobody -- curl -s -m 2 http://100.64.12.34:5432/ >/dev/null
show grep "redirected connection" "$DIR/agent.log"

step "A worker that dies comes back, on the same sockets"
old=$(pgrep -P "$helper_pid" -f boundary-agent-dns)
kill -KILL "$old"
t0=$(date +%s%N)
for _ in $(seq 1 100); do
    new=$(pgrep -P "$helper_pid" -f boundary-agent-dns)
    [ -n "$new" ] && [ "$new" != "$old" ] && grep -q "pid=$new," <(ip netns exec $NS ss -lunp) && break
    sleep 0.02
done
say "killed pid $old; pid $new holds :53 after $((($(date +%s%N) - t0) / 1000000)) ms"
show ip netns exec $NS dig +short @100.64.0.1 www.example.test

step "Stop (SIGTERM): everything is undone"
t0=$(date +%s%N)
kill -TERM "$helper_pid"
wait "$helper_pid"
rc=$?
helper_pid=
say "exit $rc after $((($(date +%s%N) - t0) / 1000000)) ms"
show cat /etc/netns/$NS/resolv.conf
if [ "$before" = "$(snapshot)" ]; then
    say "addresses, local routes, nftables and resolv.conf are exactly as before the start."
else
    say "DIFFERENCE:"
    diff <(echo "$before") <(snapshot) | sed 's/^/      /'
fi
echo
