# Shared setup for the broker's integration tests (t_broker_*.sh): a namespace with the AnyIP routes
# and the nftables redirect the helper would install, the dev controller and worker, real targets,
# the broker (broker-test-server: the product's broker and DNS server, unsandboxed) and real users.
# Source after lib.sh.

BROKER_V4_PREFIX=100.64.0.0/10
BROKER_V6_PREFIX=fd5b:c1a6:e7a0::/64
BROKER_DNS4=100.64.0.1
BROKER_DNS6=fd5b:c1a6:e7a0::1
# Inside the namespace, so fixed ports cannot clash with anything outside it.
CTL_API=127.0.0.1:9200
CTL_PROXY=127.0.0.1:9202
CTL_ADMIN=127.0.0.1:9203
API_TCP_PORT=9300
WEB_PORT=8080

# broker_namespace NS: the namespace, with the routes and the resolver the agent would set.
broker_namespace() {
    local ns=$1
    netns_create "$ns" "nameserver $BROKER_DNS4"
    ip -n "$ns" addr add "$BROKER_DNS4/32" dev lo
    ip -n "$ns" -6 addr add "$BROKER_DNS6/128" dev lo nodad
    ip -n "$ns" route add local "$BROKER_V4_PREFIX" dev lo
    ip -n "$ns" -6 route add local "$BROKER_V6_PREFIX" dev lo
}

# broker_redirect NS PORT4 PORT6: the helper's nftables rule: TCP to the prefixes, except the DNS
# addresses, goes to the broker's listeners.
broker_redirect() {
    local ns=$1 p4=$2 p6=$3
    in_ns "$ns" nft -f - <<EOF
table inet bca_test {
    chain output {
        type nat hook output priority -100; policy accept;
        ip daddr $BROKER_DNS4 accept
        ip6 daddr $BROKER_DNS6 accept
        ip daddr $BROKER_V4_PREFIX tcp dport 1-65535 redirect to :$p4
        ip6 daddr $BROKER_V6_PREFIX tcp dport 1-65535 redirect to :$p6
    }
}
EOF
}

# web_target NS DIR: nginx on 127.0.0.1:$WEB_PORT serving DIR (index.html says who it is).
web_target() {
    local ns=$1 dir=$2
    mkdir -p "$dir/www" "$dir/nginx"
    echo "hello from the nginx target" >"$dir/www/index.html"
    head -c 3000000 /dev/urandom >"$dir/www/big.bin"
    nginx_config "$dir" "127.0.0.1:$WEB_PORT" 256
    in_ns "$ns" nginx -c "$dir/nginx/nginx.conf" >/dev/null 2>&1 &
    wait_for 10 in_ns "$ns" curl -sf "http://127.0.0.1:$WEB_PORT/" || fatal "nginx target did not start"
}

# dev_controller NS DIR CONFIG_JSON: the dev controller and worker; request log in DIR/requests.jsonl.
dev_controller() {
    local ns=$1 dir=$2
    printf '%s\n' "$3" >"$dir/controller.json"
    # `ip netns exec` execs the program, so $! is the controller itself (signals reach it).
    ip netns exec "$ns" "$BCA_BIN/boundary-dev-controller" -config "$dir/controller.json" \
        -api-listen-address "$CTL_API" -proxy-listen-address "$CTL_PROXY" -admin-listen-address "$CTL_ADMIN" \
        -request-log "$dir/requests.jsonl" -worker-poll-interval 200ms >"$dir/controller.out" 2>"$dir/controller.err" &
    echo $! >"$dir/controller.pid"
    wait_for 20 grep -q "^api:" "$dir/controller.out" || fatal "dev controller did not start: $(cat "$dir/controller.err")"
}

# broker_start NS DIR HCL [EXTRA ARGS]: the broker with the DNS server on the DNS addresses, upstream
# dnsmasq on 127.0.0.53 (answers other.bca.test), its listeners redirected by nftables.
broker_start() {
    local ns=$1 dir=$2
    printf '%s\n' "$3" >"$dir/agent.hcl"
    shift 3
    in_ns "$ns" dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces --listen-address=127.0.0.53 \
        --port=53 --user=root --pid-file= --address=/other.bca.test/192.0.2.10 >/dev/null 2>&1 &
    ip netns exec "$ns" "$BCA_BIN/broker-test-server" --config "$dir/agent.hcl" --proxy4 127.0.0.1:0 --proxy6 '[::1]:0' \
        --api-unix "$dir/agent.sock" --api-tcp "127.0.0.1:$API_TCP_PORT" --dns "$BROKER_DNS4:53" \
        --dns "[$BROKER_DNS6]:53" --upstream 127.0.0.53:53 "$@" >"$dir/broker.out" 2>"$dir/broker.err" &
    echo $! >"$dir/broker.pid"
    wait_for 20 grep -q "^ready" "$dir/broker.out" || fatal "broker did not start: $(tail -3 "$dir/broker.out") $(tail -5 "$dir/broker.err")"
    local p4 p6
    p4=$(sed -n 's/^proxy4 .*:\([0-9]*\)$/\1/p' "$dir/broker.out")
    p6=$(sed -n 's/^proxy6 .*:\([0-9]*\)$/\1/p' "$dir/broker.out")
    broker_redirect "$ns" "$p4" "$p6"
}

# login NS NAME: a token from the dev controller's password method (as the CLI's login would).
login() {
    in_ns "$1" curl -sf -X POST "http://$CTL_API/v1/auth-methods/ampw_1234567890:authenticate" \
        -H 'content-type: application/json' \
        -d "{\"command\":\"login\",\"attributes\":{\"login_name\":\"$2\",\"password\":\"password\"}}" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["attributes"]["token"])'
}

# api_unix NS USER DIR METHOD PATH [BODY]: the local API over the unix socket as USER.
api_unix() {
    local ns=$1 user=$2 dir=$3 method=$4 path=$5 body=${6:-}
    if [ -n "$body" ]; then
        in_ns "$ns" runuser -u "$user" -- curl -s --unix-socket "$dir/agent.sock" -X "$method" \
            -H 'content-type: application/json' -d "$body" "http://localhost$path"
    else
        in_ns "$ns" runuser -u "$user" -- curl -s --unix-socket "$dir/agent.sock" -X "$method" "http://localhost$path"
    fi
}

# api_tcp NS USER METHOD PATH [BODY]: the same over 127.0.0.1:9300, exactly as the official
# `boundary` CLI sends it.
api_tcp() {
    local ns=$1 user=$2 method=$3 path=$4 body=${5:-}
    if [ -n "$body" ]; then
        in_ns "$ns" runuser -u "$user" -- curl -s -X "$method" -H 'content-type: application/json' -d "$body" \
            "http://127.0.0.1:$API_TCP_PORT$path"
    else
        in_ns "$ns" runuser -u "$user" -- curl -s -X "$method" "http://127.0.0.1:$API_TCP_PORT$path"
    fi
}

# json FIELD: one field of the JSON on stdin (python path, e.g. '["items"][0]["alias"]').
json() {
    python3 -c "import json,sys
d=json.load(sys.stdin)
try:
    v=d$1
except (KeyError, IndexError, TypeError):
    v=''
print(v if not isinstance(v,(dict,list)) else json.dumps(v))"
}

# count_requests DIR EVENT: how many times the dev controller logged EVENT.
count_requests() {
    grep -c "\"event\":\"$2\"" "$1/requests.jsonl" 2>/dev/null || true
}

# alias_address NS USER DIR ALIAS: the IPv4 address the broker gave ALIAS in USER's view ('' if none).
alias_address() {
    api_unix "$1" "$2" "$3" GET "/v1/explain?name=$4" | json '["ipv4"]'
}
