#!/usr/bin/env bash
# The helper starts the whole skeleton for real in a private namespace: sandboxed workers running
# as boundary-agent, :53 held by the DNS worker, resolv.conf, nftables and AnyIP routes in place,
# real DNS clients answered; SIGTERM puts the host back byte for byte.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent.sh"
NS=bca-privsep-life
agent_setup $NS
before=$(snapshot_host $NS)
# systemd's side of Type=notify: a datagram socket the helper reports READY=1 / STOPPING=1 to.
need_tool socat kdig
socat -u UNIX-RECV:"$AGENT_DIR/notify.sock" OPEN:"$AGENT_DIR/notify.log",creat,append &
on_exit "kill $! 2>/dev/null"
wait_for 3 test -S "$AGENT_DIR/notify.sock" || fatal "socat notify socket"
NOTIFY_SOCKET=$AGENT_DIR/notify.sock agent_start $NS
check "READY=1 went to \$NOTIFY_SOCKET once serving" wait_for 2 grep -q "READY=1" "$AGENT_DIR/notify.log"

# --- processes
uid=$(id -u boundary-agent)
for w in dns proxy; do
    pid=$(agent_worker_pid $w) || fatal "no $w worker"
    st=$(proc_sandbox_status "$pid")
    assert_contains "$w worker runs as boundary-agent" "Uid: $uid $uid $uid $uid" "$st"
    assert_contains "$w worker gid" "Gid: $(id -g boundary-agent) " "$st"
    assert_contains "$w worker has no capabilities" "CapEff: 0000000000000000" "$st"
    assert_contains "$w worker has an empty bounding set" "CapBnd: 0000000000000000" "$st"
    assert_contains "$w worker has no_new_privs" "NoNewPrivs: 1" "$st"
    assert_contains "$w worker is under a seccomp filter" "Seccomp: 2" "$st"
    # Nothing but stdio, the control socket, the passed sockets, the log, NIO's own fds.
    fds=$(for f in /proc/$pid/fd/*; do readlink "$f"; done)
    assert_eq "$w worker inherited no stray fds" "" \
        "$(echo "$fds" | grep -vE '^(socket:|anon_inode:|/dev/null|/tmp/bca-)' || true)"
done
dns=$(agent_worker_pid dns)
assert_eq "the DNS worker is chrooted to the empty directory" "$AGENT_DIR/run/empty" "$(readlink /proc/$dns/root)"
assert_eq "the empty directory is empty" "" "$(ls -A "$AGENT_DIR/run/empty")"

# --- sockets: ss -lunpt shows :53 UDP+TCP on both DNS addresses, held by the DNS worker
ss_out=$(in_ns $NS ss -lunpt)
for proto in udp tcp; do
    for addr in "$AGENT_V4:53" "[$AGENT_V6]:53"; do
        line=$(echo "$ss_out" | grep "^$proto" | grep -F " $addr " || true)
        assert_contains "$proto $addr is held by the DNS worker" "pid=$dns," "$line"
    done
done
proxy=$(agent_worker_pid proxy)
assert_contains "the API TCP port is held by the proxy worker" "pid=$proxy," "$(echo "$ss_out" | grep -F '127.0.0.1:9300 ')"
assert_eq "the API socket is mode 0666" "666" "$(stat -c %a "$AGENT_DIR/run/agent.sock")"

# --- resolver, firewall, routes
resolv=$(cat /etc/netns/$NS/resolv.conf)
assert_contains "resolv.conf carries the marker" "# boundary-client-agent: managed" "$resolv"
assert_contains "resolv.conf names the v4 DNS address" "nameserver $AGENT_V4" "$resolv"
assert_contains "resolv.conf names the v6 DNS address" "nameserver $AGENT_V6" "$resolv"
assert_contains "resolv.conf keeps the search domains" "search corp.example" "$resolv"
assert_not_contains "resolv.conf no longer names the old upstream" "nameserver $AGENT_UPSTREAM" "$resolv"
nft=$(in_ns $NS nft list table inet boundary_client_agent 2>&1)
assert_contains "nftables redirects v4 alias traffic" "ip daddr 100.64.0.0/10 ip daddr != $AGENT_V4 meta l4proto tcp redirect to :" "$nft"
assert_contains "nftables redirects v6 alias traffic" "ip6 daddr fd5b:c1a6:e7a0::/64 ip6 daddr != $AGENT_V6 meta l4proto tcp redirect to :" "$nft"
meter="update @dns_per_user { meta skuid limit rate over 2000/second burst 4000 packets } counter packets"
for rule in "ip daddr $AGENT_V4 udp dport 53" "ip6 daddr $AGENT_V6 udp dport 53" \
    "ip daddr $AGENT_V4 tcp dport 53 tcp flags syn / syn,ack" "ip6 daddr $AGENT_V6 tcp dport 53 tcp flags syn / syn,ack"; do
    check "nftables meters DNS per uid: $rule" grep -qF "$rule meta skuid != " <<<"$(grep -F "$meter" <<<"$nft")"
done
assert_contains "AnyIP route for the v4 prefix" "local 100.64.0.0/10 dev lo" "$(ip -n $NS -4 route show table local)"
assert_contains "AnyIP route for the v6 prefix" "local fd5b:c1a6:e7a0::/64 dev lo" "$(ip -n $NS -6 route show table local)"

# --- real clients (per-user alias answers, which need the broker and a controller: t_agent_e2e)
for server in $AGENT_V4 $AGENT_V6; do
    for tcp in "" +tcp; do
        assert_eq "dig $tcp @$server gets the upstream's answer" "192.0.2.7" \
            "$(in_ns $NS dig +short +time=4 +tries=1 $tcp @$server example.test)"
    done
done
test_user bca-u1
u1=$(id -u bca-u1)
assert_eq "a real user's dig gets an answer" "192.0.2.7" \
    "$(in_ns $NS runuser -u bca-u1 -- dig +short +time=4 +tries=1 @$AGENT_V4 example.test)"
assert_eq "kdig over TCP and IPv6 too" "192.0.2.7" \
    "$(in_ns $NS runuser -u bca-u1 -- kdig +short +time=4 +retry=0 +tcp @$AGENT_V6 example.test)"
# dnsmasq without upstreams refuses names it does not know: the DNS worker relays that, it invents nothing.
assert_contains "a name the upstream does not know: its answer (REFUSED), not ours" "status: REFUSED" \
    "$(in_ns $NS dig +time=4 +tries=1 @$AGENT_V4 nothing.invalid)"
assert_contains "getent goes through resolv.conf to the agent" "192.0.2.7" "$(in_ns $NS getent hosts example.test)"
# A TCP connection to any alias address is redirected to the proxy worker (the broker), which reads
# the original destination and the client's uid from the kernel and, as no alias has that address,
# refuses it with a log line naming both.
in_ns $NS runuser -u bca-u1 -- curl -s -m 3 http://100.64.7.7:22/ >/dev/null 2>&1
check "a v4 alias address reaches the proxy, which sees the original destination and the user" \
    grep -q "connection refused: no alias has address 100.64.7.7:22 .*uid=$u1" "$AGENT_DIR/agent.log"
in_ns $NS curl -s -m 3 "http://[fd5b:c1a6:e7a0::7]:443/" >/dev/null 2>&1
check "a v6 alias address reaches the proxy, from root" \
    grep -q "no alias has address \[fd5b:c1a6:e7a0::7\]:443 .*uid=0" "$AGENT_DIR/agent.log"
check "the state file records the changes" grep -q '"kind": "resolver"' "$AGENT_DIR/run/state.json"

# --- stop
t0=$(date +%s%N)
agent_stop
took=$((($(date +%s%N) - t0) / 1000000))
log "stop took ${took} ms"
assert_eq "SIGTERM exits 0" 0 "$AGENT_RC"
check "STOPPING=1 went to \$NOTIFY_SOCKET" grep -q "STOPPING=1" "$AGENT_DIR/notify.log"
assert_eq "after SIGTERM the host is exactly as before" "$before" "$(snapshot_host $NS)"
check_fails "the state file is gone" test -e "$AGENT_DIR/run/state.json"
check_fails "the API socket file is gone" test -e "$AGENT_DIR/run/agent.sock"
check_fails "no worker is left" pgrep -f "$BCA_BIN/boundary-agent-(dns|proxy)"
finish
