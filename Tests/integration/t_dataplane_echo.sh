#!/usr/bin/env bash
# Bytes through the data plane, end to end across processes: a real TCP echo server (socat) as the
# session endpoint, the dev worker, and the splice proxy the broker will run (dataplane-check proxy,
# our DataPlaneClient). 100 MB through one connection and 1,000 sequential connections on one
# session, byte-exact; then a real client (curl) downloading through a second session from a real
# HTTP server. Prints MB/s and connections/s (debug builds are much slower than release).
. "$(dirname "$0")/lib.sh"
need_root
need_tool socat curl python3 ip sha256sum
need_bin dataplane-check

NS=bca-dataplane-echo
netns_create "$NS"
dir=$(tmpdir)
web=$(tmpdir)
MB=${BCA_DATAPLANE_MB:-100}
CONNECTIONS=${BCA_DATAPLANE_CONNECTIONS:-1000}

# start NAME CMD...: run CMD in the namespace in the background and wait for its "ready PORT" line.
start() {
    local name=$1
    shift
    in_ns "$NS" "$@" >"$dir/$name.out" 2>&1 &
    on_exit "kill $! 2>/dev/null"
    wait_for 20 grep -q '^ready' "$dir/$name.out" || fatal "$name did not start: $(cat "$dir/$name.out")"
}
ready_port() { awk '/^ready/{print $2}' "$dir/$1.out"; }

in_ns "$NS" socat TCP-LISTEN:7007,bind=127.0.0.1,fork,reuseaddr EXEC:cat >/dev/null 2>&1 &
on_exit "kill $! 2>/dev/null"
wait_for 10 in_ns "$NS" bash -c 'exec 3<>/dev/tcp/127.0.0.1/7007' || fatal "socat echo server did not start"

mkdir -p "$dir/s1" "$dir/s2"
start worker "$BCA_BIN/dataplane-check" worker --listen 127.0.0.1:9202 --session-dir "$dir/s1" \
    --endpoint 127.0.0.1:7007 --request-log "$dir/requests.jsonl"
start proxy "$BCA_BIN/dataplane-check" proxy --session-dir "$dir/s1" --listen 127.0.0.1:0
port=$(ready_port proxy)

out=$(in_ns "$NS" "$BCA_BIN/dataplane-check" pump --connect "127.0.0.1:$port" --megabytes "$MB" 2>&1)
check "$MB MB echoed through one connection, byte-exact ($out)" grep -q byte-exact <<<"$out"
log "$out"
out=$(in_ns "$NS" "$BCA_BIN/dataplane-check" churn --connect "127.0.0.1:$port" --connections "$CONNECTIONS" 2>&1)
check "$CONNECTIONS sequential connections on one session, all echoed ($out)" grep -q "all echoed" <<<"$out"
log "$out"
accepted=$(grep -c '"result":"accepted"' "$dir/requests.jsonl")
assert_eq "every connection went through the worker handshake on the same session" "$((CONNECTIONS + 1))" "$accepted"
assert_eq "one session, one TLS identity" "1" "$(grep -o '"session_id":"s_[A-Za-z0-9]*"' "$dir/requests.jsonl" | sort -u | wc -l)"

# A real client and a real server: curl through the splice, python's http.server as the target.
head -c 20000000 /dev/urandom >"$web/blob"
in_ns "$NS" python3 -m http.server 8080 --bind 127.0.0.1 --directory "$web" >/dev/null 2>&1 &
on_exit "kill $! 2>/dev/null"
wait_for 10 in_ns "$NS" bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080' || fatal "http.server did not start"
start worker2 "$BCA_BIN/dataplane-check" worker --listen 127.0.0.1:9203 --session-dir "$dir/s2" \
    --endpoint 127.0.0.1:8080
start proxy2 "$BCA_BIN/dataplane-check" proxy --session-dir "$dir/s2" --listen 127.0.0.1:0
port2=$(ready_port proxy2)
check "curl downloads 20 MB through the data plane" in_ns "$NS" curl -sf --max-time 60 -o "$web/copy" \
    "http://127.0.0.1:$port2/blob"
assert_eq "the download is byte-exact" "$(sha256sum <"$web/blob")" "$(sha256sum <"$web/copy")"
finish
