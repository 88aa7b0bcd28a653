#!/usr/bin/env bash
# Per-user views with two real OS users: the user whose view has the alias gets it (UDP and TCP, v4 and
# v6, dig and getent); the other gets the upstream's answer (NXDOMAIN). The querier is found with
# NETLINK_SOCK_DIAG. A user's empty view (pause) falls through; the broker hears (uid, alias).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_helpers.sh"
need_root
need_tool dig unbound runuser getent
need_bin dns-test-server
test_user bca-u1
test_user bca-u2
U1=$(id -u bca-u1)
U2=$(id -u bca-u2)
NS=bca-dns-users
DNS_DIR=$(tmpdir)
chmod 755 "$DNS_DIR"
dns_netns $NS
start_unbound $NS "$DNS_DIR" 5301
start_dns $NS "$DNS_DIR" --upstream 127.0.0.1:5301 --cache-size 0 \
    --view "$U1:web.boundary.dev=100.64.0.5,fd5b:c1a6:e7a0::5"

as() { local user=$1; shift; in_ns $NS runuser -u "$user" -- "$@"; }
for server in $DNS_V4 $DNS_V6; do
    for transport in +notcp +tcp; do
        out=$(as bca-u1 dig @$server $transport +time=2 +tries=1 +short web.boundary.dev A)
        assert_eq "bca-u1 gets the alias ($server $transport)" "100.64.0.5" "$out"
        out=$(as bca-u2 dig @$server $transport +time=2 +tries=1 web.boundary.dev A)
        assert_contains "bca-u2 gets the upstream's NXDOMAIN ($server $transport)" "status: NXDOMAIN" "$out"
        assert_not_contains "bca-u2 never sees the alias address ($server $transport)" "100.64.0.5" "$out"
    done
done
out=$(as bca-u1 getent ahostsv4 web.boundary.dev)
assert_contains "bca-u1 getent through resolv.conf" "100.64.0.5" "$out"
check_fails "bca-u2 getent finds nothing" as bca-u2 getent hosts web.boundary.dev
out=$(in_ns $NS dig @$DNS_V4 +time=2 +tries=1 web.boundary.dev A)
assert_contains "root (no view) gets NXDOMAIN too" "status: NXDOMAIN" "$out"
assert_contains "the broker heard bca-u1's query" "aliasQueried uid=$U1 alias=web.boundary.dev" "$(cat "$DNS_DIR/dns.out")"
assert_not_contains "nothing reported for bca-u2" "aliasQueried uid=$U2 " "$(cat "$DNS_DIR/dns.out")"

# The view moves from bca-u1 to bca-u2; bca-u1 paused (empty view).
dns_cmd view "$U1"
dns_cmd view "$U2" "web.boundary.dev=100.64.0.6"
sleep 0.3
out=$(as bca-u1 dig @$DNS_V4 +time=2 +tries=1 web.boundary.dev A)
assert_contains "paused bca-u1 falls through to the upstream" "status: NXDOMAIN" "$out"
out=$(as bca-u2 dig @$DNS_V4 +time=2 +tries=1 +short web.boundary.dev A)
assert_eq "bca-u2 now has it" "100.64.0.6" "$out"

# A caching stub (a uid in the union list) gets the union of views.
stop_dns "$DNS_DIR"
start_dns $NS "$DNS_DIR" --upstream 127.0.0.1:5301 --union "$U2" --view "$U1:web.boundary.dev=100.64.0.5"
out=$(as bca-u2 dig @$DNS_V4 +time=2 +tries=1 +short web.boundary.dev A)
assert_eq "a union uid gets the union of views" "100.64.0.5" "$out"
assert_contains "reported with the unknown uid" "aliasQueried uid=4294967295 alias=web.boundary.dev" "$(cat "$DNS_DIR/dns.out")"

# A fallback user's unknown name is asked of the broker, which answers it.
stop_dns "$DNS_DIR"
start_dns $NS "$DNS_DIR" --upstream 127.0.0.1:5301 --fallback "$U1" --resolve "db.corp=100.64.0.9"
out=$(as bca-u1 dig @$DNS_V4 +time=2 +tries=1 +short db.corp A)
assert_eq "fallback user: the broker's answer" "100.64.0.9" "$out"
out=$(as bca-u1 dig @$DNS_V4 +time=2 +tries=1 +short www.example.test A)
assert_eq "fallback user: other names still forwarded" "192.0.2.10" "$out"
out=$(as bca-u2 dig @$DNS_V4 +time=2 +tries=1 db.corp A)
assert_not_contains "not a fallback user: no broker question" "100.64.0.9" "$out"
assert_contains "resolveRequest carried bca-u1's uid" "resolveRequest id=1 uid=$U1 name=db.corp" "$(cat "$DNS_DIR/dns.out")"
finish
