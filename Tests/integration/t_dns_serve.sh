#!/usr/bin/env bash
# The DNS server on the agent's addresses (UDP+TCP, v4+v6): dig and kdig with and without EDNS get alias
# answers (AA, short TTL, case-insensitive, trailing dot ignored), NODATA with an SOA for other types,
# forwarded answers for everything else, and glibc's getent through resolv.conf.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_helpers.sh"
need_root
need_tool dig kdig unbound getent
need_bin dns-test-server
NS=bca-dns-serve
DNS_DIR=$(tmpdir)
dns_netns $NS
start_unbound $NS "$DNS_DIR" 5301
start_dns $NS "$DNS_DIR" --upstream 127.0.0.1:5301 --view "0:Web.Boundary.Dev.=100.64.0.5,fd5b:c1a6:e7a0::5"

for server in $DNS_V4 $DNS_V6; do
    for transport in +notcp +tcp; do
        for edns in +edns +noedns; do
            what="$server $transport $edns"
            out=$(in_ns $NS dig @$server $transport $edns +time=2 +tries=1 web.boundary.dev A)
            assert_contains "A answer ($what)" "web.boundary.dev.	5	IN	A	100.64.0.5" "$out"
            assert_contains "AA flag ($what)" "flags: qr aa rd ra" "$out"
            if [ $edns = +edns ]; then assert_contains "OPT echoed ($what)" "EDNS: version: 0" "$out"; fi
            out=$(in_ns $NS kdig @$server $transport $edns +time=2 +retry=0 WEB.BOUNDARY.DEV. AAAA)
            assert_contains "kdig AAAA answer to an upper-case query ($what)" "5	IN	AAAA	fd5b:c1a6:e7a0::5" "$out"
        done
    done
done

out=$(in_ns $NS dig @$DNS_V4 +time=2 +tries=1 web.boundary.dev MX)
assert_contains "MX on an alias: NOERROR" "status: NOERROR" "$out"
assert_contains "MX on an alias: no answer" "ANSWER: 0" "$out"
assert_contains "MX on an alias: SOA in authority" "IN	SOA" "$out"
out=$(in_ns $NS dig @$DNS_V4 +time=2 +tries=1 www.example.test A)
assert_contains "other names are forwarded" "192.0.2.10" "$out"
assert_contains "forwarded answers keep the upstream's TTL" "www.example.test.	300	IN	A" "$out"
out=$(in_ns $NS dig @$DNS_V6 +tcp +time=2 +tries=1 nothing.boundary.dev A)
assert_contains "unknown names get the upstream's NXDOMAIN" "status: NXDOMAIN" "$out"
out=$(in_ns $NS getent hosts web.boundary.dev)
assert_contains "getent through resolv.conf" "web.boundary.dev" "$out"
out=$(in_ns $NS getent ahostsv4 web.boundary.dev)
assert_contains "getent ahostsv4" "100.64.0.5" "$out"
assert_contains "the query was reported to the broker" "aliasQueried uid=0 alias=Web.Boundary.Dev." "$(cat "$DNS_DIR/dns.out")"
assert_eq "no SERVFAIL" 0 "$(dns_counter servfail)"
finish
