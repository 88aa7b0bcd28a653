#!/usr/bin/env bash
# Supervision and reload: a worker killed with SIGKILL is back within 2 s on the very same sockets;
# SIGHUP pushes a good configuration to the workers and refuses a bad one.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent.sh"
NS=bca-privsep-super
agent_setup $NS
before=$(snapshot_host $NS)
agent_start $NS

# The kernel inode of the DNS worker's UDP socket on the v4 address: the same socket after a restart
# means the helper re-sent its own copy and the port was never unbound.
udp_inode() { in_ns $NS ss -lunpe 2>/dev/null | grep -F " $AGENT_V4:53 " | grep -o 'ino:[0-9]*'; }
inode=$(udp_inode)

# --- the DNS worker
old=$(agent_worker_pid dns)
kill -KILL "$old"
t0=$(date +%s%N)
back() {
    local p
    p=$(agent_worker_pid dns) || return 1
    [ "$p" != "$old" ] && in_ns $NS ss -lunp | grep -F " $AGENT_V4:53 " | grep -q "pid=$p," &&
        grep -q "the dns worker is serving" <(tail -n 5 "$AGENT_DIR/agent.log")
}
wait_for 5 back
took=$((($(date +%s%N) - t0) / 1000000))
log "DNS worker back after $took ms"
check "a killed DNS worker is back within 2 s (serving, holding :53)" test "$took" -lt 2000
new=$(agent_worker_pid dns)
ss_out=$(in_ns $NS ss -lunpt)
for proto in udp tcp; do
    for addr in "$AGENT_V4:53" "[$AGENT_V6]:53"; do
        assert_contains "the new DNS worker holds $proto $addr" "pid=$new," "$(echo "$ss_out" | grep "^$proto" | grep -F " $addr ")"
    done
done
assert_eq "on the same socket as before" "$inode" "$(udp_inode)"
assert_eq "and answers" "192.0.2.7" "$(in_ns $NS dig +short +time=4 +tries=1 @$AGENT_V4 example.test)"
assert_contains "the sandbox is back too" "Seccomp: 2" "$(proc_sandbox_status "$new")"
check "the event was logged" grep -q "dns worker (pid $old) killed by signal 9 (SIGKILL)" "$AGENT_DIR/agent.log"

# --- the proxy worker
old=$(agent_worker_pid proxy)
kill -KILL "$old"
t0=$(date +%s%N)
proxy_back() { grep -c "the proxy worker is serving" "$AGENT_DIR/agent.log" | grep -qx 2; }
wait_for 5 proxy_back
took=$((($(date +%s%N) - t0) / 1000000))
log "proxy worker back after $took ms"
check "a killed proxy worker is back within 2 s" test "$took" -lt 2000
in_ns $NS curl -s -m 3 http://100.64.9.9:80/ >/dev/null 2>&1
check "the new proxy worker takes redirected connections" grep -q "no alias has address 100.64.9.9:80" "$AGENT_DIR/agent.log"
# Links attached by a broker: at start, when the DNS worker restarted (a fresh link pushed to the
# running broker), and by the new broker.
assert_eq "every (re)start got a fresh dns <-> broker link" 3 "$(grep -c 'dns worker link attached' "$AGENT_DIR/agent.log")"
assert_eq "and so did every DNS worker (start, its restart, the broker's restart)" 3 "$(grep -c 'broker link attached' "$AGENT_DIR/agent.log")"

# --- SIGHUP: a good file is pushed to both workers, which keep running
dns=$(agent_worker_pid dns)
proxy=$(agent_worker_pid proxy)
# A second upstream that answers differently: the override must win after the reload.
in_ns $NS dnsmasq --no-resolv --no-hosts --listen-address=127.0.0.3 --bind-interfaces --port=53 \
    --address=/example.test/192.0.2.8 --pid-file="$AGENT_DIR/dnsmasq2.pid" --user=root || fatal "dnsmasq 2"
echo 'override_upstream_dns_servers = ["127.0.0.3"]' >>"$AGENT_CONFIG"
kill -HUP "$AGENT_PID"
check "the helper reloads" wait_for 3 grep -q "helper: configuration reloaded" "$AGENT_DIR/agent.log"
check "the DNS worker applies it" wait_for 3 grep -q "boundary-agent-dns: configuration reloaded changed=override_upstream_dns_servers" "$AGENT_DIR/agent.log"
check "the proxy worker applies it" wait_for 3 grep -q "boundary-agent-proxy: configuration reloaded changed=override_upstream_dns_servers" "$AGENT_DIR/agent.log"
assert_eq "queries now go to the override upstream" "192.0.2.8" "$(in_ns $NS dig +short +time=4 +tries=1 @$AGENT_V4 example.test)"
assert_eq "the DNS worker was not restarted" "$dns" "$(agent_worker_pid dns)"
assert_eq "the proxy worker was not restarted" "$proxy" "$(agent_worker_pid proxy)"

# --- SIGHUP: dns_queries_per_user replaces the nftables table (a new rate, or no meter at all)
meter() { in_ns $NS nft list table inet boundary_client_agent 2>&1; }
assert_contains "the per-uid DNS meter is on at start" "limit rate over 2000/second burst 4000 packets" "$(meter)"
echo 'dns_queries_per_user = 50' >>"$AGENT_CONFIG"
kill -HUP "$AGENT_PID"
check "a reload with a new rate replaces the table" wait_for 3 grep -q "dns_queries_per_user is now 50" "$AGENT_DIR/agent.log"
assert_contains "with the new rate" "limit rate over 50/second burst 100 packets" "$(meter)"
assert_contains "and the redirect still there" "meta l4proto tcp redirect to :" "$(meter)"
sed -i 's/^dns_queries_per_user = 50$/dns_queries_per_user = 0/' "$AGENT_CONFIG"
kill -HUP "$AGENT_PID"
check "0 turns the meter off" wait_for 3 grep -q "dns_queries_per_user is now 0" "$AGENT_DIR/agent.log"
assert_not_contains "no meter left" "dns_per_user" "$(meter)"
assert_eq "DNS still answers" "192.0.2.8" "$(in_ns $NS dig +short +time=4 +tries=1 @$AGENT_V4 example.test)"

# --- SIGHUP: a bad file is refused, the old configuration stays
echo 'dns_request_timeout = "soon"' >>"$AGENT_CONFIG"
kill -HUP "$AGENT_PID"
check "a bad file is refused with its diagnostic" wait_for 3 grep -q "agent.hcl:[0-9]*:[0-9]*: .*dns_request_timeout" "$AGENT_DIR/agent.log"
check "and the refusal says the running configuration stays" grep -q "reload refused, keeping the running configuration" "$AGENT_DIR/agent.log"
assert_eq "the agent still answers with the previous configuration" "192.0.2.8" \
    "$(in_ns $NS dig +short +time=4 +tries=1 @$AGENT_V4 example.test)"
assert_eq "no worker was restarted" "$dns $proxy" "$(agent_worker_pid dns) $(agent_worker_pid proxy)"

agent_stop
assert_eq "SIGTERM exits 0" 0 "$AGENT_RC"
assert_eq "the host is exactly as before" "$before" "$(snapshot_host $NS)"
finish
