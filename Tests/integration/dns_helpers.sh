# Helpers for the t_dns_* tests (sourced after lib.sh): a namespace with the agent's DNS addresses on lo,
# an unbound upstream, and the real DNSServer (dns-test-server, unsandboxed) serving port 53.

DNS_V4=100.64.0.1
DNS_V6=fd5b:c1a6:e7a0::1

# dns_netns NS: namespace whose resolv.conf points at our server, with the DNS addresses on lo.
dns_netns() {
    local ns=$1
    netns_create "$ns" "nameserver $DNS_V4"
    ip -n "$ns" addr add "$DNS_V4/32" dev lo
    ip -n "$ns" addr add "$DNS_V6/128" dev lo nodad
    ip -n "$ns" addr add 127.0.0.2/8 dev lo 2>/dev/null || true
}

# start_unbound NS DIR PORT [EXTRA_CONFIG_LINES]: an unbound on 127.0.0.1@PORT inside NS answering local data.
start_unbound() {
    local ns=$1 dir=$2 port=$3 extra=${4:-}
    cat >"$dir/unbound-$port.conf" <<CONF
server:
  interface: 127.0.0.1@$port
  port: $port
  do-daemonize: no
  use-syslog: no
  logfile: "$dir/unbound-$port.log"
  username: ""
  chroot: ""
  directory: "$dir"
  pidfile: ""
  num-threads: 1
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  local-zone: "example.test." static
  local-data: "example.test. 300 IN SOA ns.example.test. admin.example.test. 1 3600 600 86400 60"
  local-data: "www.example.test. 300 IN A 192.0.2.10"
  local-data: "www.example.test. 300 IN AAAA 2001:db8::10"
  local-zone: "boundary.dev." static
  local-data: "boundary.dev. 300 IN SOA ns.boundary.dev. admin.boundary.dev. 1 3600 600 86400 30"
  local-zone: "example.com." static
  local-data: "example.com. 300 IN A 192.0.2.1"
$extra
CONF
    in_ns "$ns" unbound -c "$dir/unbound-$port.conf" >"$dir/unbound-$port.out" 2>&1 &
    wait_for 10 in_ns "$ns" dig @127.0.0.1 -p "$port" +time=1 +tries=1 www.example.test || fatal "unbound on $port did not start"
}

# start_dns NS DIR ARGS...: dns-test-server on port 53 of the DNS addresses in NS. Commands go to
# fd 7 ("dns_cmd ..."); its output is in $DIR/dns.out.
start_dns() {
    local ns=$1 dir=$2
    shift 2
    mkfifo "$dir/dns.in"
    ip netns exec "$ns" "$BCA_BIN/dns-test-server" --udp "$DNS_V4:53" --tcp "$DNS_V4:53" --udp "[$DNS_V6]:53" \
        --tcp "[$DNS_V6]:53" "$@" <"$dir/dns.in" >"$dir/dns.out" 2>&1 &
    DNS_PID=$!
    exec 7>"$dir/dns.in"
    on_exit "exec 7>&-; kill $DNS_PID"
    wait_for 10 grep -q '^ready' "$dir/dns.out" || { cat "$dir/dns.out"; fatal "dns-test-server did not start"; }
}

dns_cmd() { echo "$*" >&7; }

# dns_counter NAME: one counter from the server's "counters" command.
dns_counter() {
    local before
    before=$(grep -c '^counters' "$DNS_DIR/dns.out")
    dns_cmd counters
    wait_for 5 test "$(grep -c '^counters' "$DNS_DIR/dns.out")" -gt "$before"
    grep '^counters' "$DNS_DIR/dns.out" | tail -1 | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# stop_dns DIR: stops the server started by start_dns and waits until its port is free.
stop_dns() {
    exec 7>&-
    kill "$DNS_PID" 2>/dev/null
    wait_for 5 sh -c "! kill -0 $DNS_PID 2>/dev/null"
    rm -f "$1/dns.in"
}
