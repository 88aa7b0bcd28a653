# Shared helpers for integration tests. Source it first thing: `. "$(dirname "$0")/lib.sh"`.
#
# Rules (docs/testing.md): every test that changes the system does it inside a network namespace it
# creates here, with its own /etc/netns/NAME/resolv.conf; everything it creates (namespaces, users,
# processes, temp dirs) is registered for cleanup and removed on exit, whatever happened. Traffic only
# goes to loopback or inside the namespace. Under CI=true a missing tool or privilege fails the test.
set -u
set -o pipefail

BCA_ROOT=${BCA_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BCA_BIN=${BCA_BIN:-$BCA_ROOT/.build/debug}
TEST_NAME=$(basename "$0" .sh)
_cleanups=()
_checks=0
_failures=0

# --- outcome -----------------------------------------------------------------------------------

log() { echo "    $*"; }

# skip REASON: exit 77 (the runner turns it into a failure under CI=true).
skip() {
    echo "    SKIP: $*"
    exit 77
}

# fail MESSAGE: record a failed check and carry on; the test exits 1 at the end.
fail() {
    echo "    FAIL: $*"
    _failures=$((_failures + 1))
}

# fatal MESSAGE: a failure after which the rest of the test makes no sense.
fatal() {
    echo "    FATAL: $*"
    _failures=$((_failures + 1))
    exit 1
}

ok() {
    _checks=$((_checks + 1))
    echo "    ok: $*"
}

# check DESCRIPTION CMD...: run CMD; ok when it exits 0, failure otherwise (its output is shown).
check() {
    local desc=$1
    shift
    local out
    if out=$("$@" 2>&1); then
        ok "$desc"
    else
        _checks=$((_checks + 1))
        fail "$desc"
        [ -n "$out" ] && echo "$out" | sed 's/^/        | /' | head -40
    fi
}

# check_fails DESCRIPTION CMD...: ok when CMD exits non-zero.
check_fails() {
    local desc=$1
    shift
    if "$@" >/dev/null 2>&1; then
        _checks=$((_checks + 1))
        fail "$desc (command succeeded)"
    else
        ok "$desc"
    fi
}

# assert_eq DESCRIPTION EXPECTED ACTUAL
assert_eq() {
    if [ "$2" = "$3" ]; then
        ok "$1"
    else
        _checks=$((_checks + 1))
        fail "$1: expected [$2], got [$3]"
    fi
}

# assert_contains DESCRIPTION NEEDLE HAYSTACK
assert_contains() {
    case "$3" in
    *"$2"*) ok "$1" ;;
    *)
        _checks=$((_checks + 1))
        fail "$1: [$2] not in:"
        echo "$3" | sed 's/^/        | /' | head -40
        ;;
    esac
}

# assert_not_contains DESCRIPTION NEEDLE HAYSTACK
assert_not_contains() {
    case "$3" in
    *"$2"*)
        _checks=$((_checks + 1))
        fail "$1: [$2] unexpectedly in:"
        echo "$3" | sed 's/^/        | /' | head -40
        ;;
    *) ok "$1" ;;
    esac
}

# --- requirements ------------------------------------------------------------------------------

need_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }

# need_tool CMD...: skip unless every command exists (`make deps` installs them all).
need_tool() {
    local t
    for t in "$@"; do command -v "$t" >/dev/null 2>&1 || skip "needs $t (make deps installs it)"; done
}

# need_bin NAME...: the binaries under test must have been built.
need_bin() {
    local b
    for b in "$@"; do [ -x "$BCA_BIN/$b" ] || fatal "$BCA_BIN/$b is not built (run swift build)"; done
}

# --- cleanup -----------------------------------------------------------------------------------

# on_exit CMD: run CMD (a string, eval'd) at exit, last registered first.
on_exit() { _cleanups+=("$1"); }

_run_cleanups() {
    local rc=$?
    local i
    for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
        eval "${_cleanups[$i]}" >/dev/null 2>&1 || true
    done
    if [ $rc = 0 ] && [ $_failures -gt 0 ]; then rc=1; fi
    if [ $rc = 0 ] && [ $_checks = 0 ]; then
        echo "    FAIL: the test made no checks"
        rc=1
    fi
    exit $rc
}
trap _run_cleanups EXIT
trap 'exit 130' INT TERM

# finish: end the test; exit 1 when any check failed.
finish() {
    [ $_failures = 0 ] || exit 1
    exit 0
}

# tmpdir: a private temp dir removed at exit. Called as `d=$(tmpdir)`, i.e. in a subshell, whose
# on_exit would be lost: the dirs live under one per-test root that the test itself removes.
_TEST_TMP=$(mktemp -d "/tmp/bca-$TEST_NAME.XXXXXX")
chmod 755 "$_TEST_TMP" # test users and the worker user reach sockets and files below it
on_exit "rm -rf '$_TEST_TMP'"
# nginx_config DIR LISTEN CONNECTIONS [ERROR_LEVEL]: writes DIR/nginx/nginx.conf for a foreground
# nginx, one worker, serving DIR/www on LISTEN (e.g. "127.0.0.1:8080 backlog=4096"), its temp files
# and pid under DIR/nginx (a test's nginx touches nothing of the host's).
nginx_config() {
    local dir=$1 listen=$2 connections=$3 level=${4:-error}
    mkdir -p "$dir/www" "$dir/nginx"
    cat >"$dir/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log $level;
events { worker_connections $connections; }
http {
    access_log off;
    client_body_temp_path $dir/nginx/body;
    proxy_temp_path $dir/nginx/proxy;
    fastcgi_temp_path $dir/nginx/fastcgi;
    uwsgi_temp_path $dir/nginx/uwsgi;
    scgi_temp_path $dir/nginx/scgi;
    server { listen $listen; root $dir/www; }
}
EOF
}

tmpdir() {
    mktemp -d "$_TEST_TMP/d.XXXXXX"
}

# --- network namespaces ------------------------------------------------------------------------

# netns_create NAME [RESOLV_CONF_TEXT]: a fresh namespace with lo up and its own resolv.conf
# (ip netns exec bind-mounts /etc/netns/NAME/resolv.conf over /etc/resolv.conf). Removed at exit,
# after killing every process still inside it.
netns_create() {
    local ns=$1
    local resolv=${2:-"nameserver 127.0.0.53"}
    # The same test may run from another worktree at the same time: a namespace of that name with
    # processes in it is someone's live run, not a leftover. Wait for it rather than delete it (which
    # would strand its processes where its own cleanup can no longer find them).
    if [ -n "$(ip netns pids "$ns" 2>/dev/null)" ]; then
        log "namespace $ns is in use by another run; waiting"
        wait_for 300 _netns_idle "$ns" || fatal "namespace $ns is still in use by another run"
    fi
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "/etc/netns/$ns"
    ip netns add "$ns" || fatal "ip netns add $ns"
    on_exit "netns_destroy '$ns'"
    mkdir -p "/etc/netns/$ns"
    printf '%s\n' "$resolv" >"/etc/netns/$ns/resolv.conf"
    ip -n "$ns" link set lo up
}

_netns_idle() { [ -z "$(ip netns pids "$1" 2>/dev/null)" ]; }

netns_destroy() {
    local ns=$1
    local pids
    pids=$(ip netns pids "$ns" 2>/dev/null)
    if [ -n "$pids" ]; then
        kill -TERM $pids 2>/dev/null
        sleep 0.3
        pids=$(ip netns pids "$ns" 2>/dev/null)
        [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
    fi
    ip netns del "$ns" 2>/dev/null
    rm -rf "/etc/netns/$ns"
}

# in_ns NS CMD...: run CMD inside the namespace.
in_ns() {
    local ns=$1
    shift
    ip netns exec "$ns" "$@"
}

# --- users -------------------------------------------------------------------------------------

# test_user NAME: make sure a real OS account exists; one this test created is removed at exit.
test_user() {
    local u=$1
    if ! id "$u" >/dev/null 2>&1; then
        useradd --create-home --shell /bin/bash "$u" || fatal "useradd $u"
        on_exit "userdel --remove '$u'"
    fi
}

# system_user NAME: the unprivileged system account the workers drop to; removed at exit when
# this test created it.
system_user() {
    local u=$1
    if ! id "$u" >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$u" ||
            fatal "useradd $u"
        on_exit "userdel '$u'"
    fi
}

# --- waiting -----------------------------------------------------------------------------------

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds; returns 1 on timeout.
wait_for() {
    local limit=$1
    shift
    local deadline=$((SECONDS + limit))
    while [ $SECONDS -le $deadline ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

# snapshot_host NS: what a test must find unchanged after the agent stops (addresses, local routes,
# nftables, resolv.conf) inside namespace NS.
snapshot_host() {
    local ns=$1
    {
        echo "## addr"
        ip -n "$ns" addr show
        echo "## route4 local"
        ip -n "$ns" -4 route show table local
        echo "## route6 local"
        ip -n "$ns" -6 route show table local
        echo "## nft"
        ip netns exec "$ns" nft list ruleset
        echo "## resolv.conf"
        cat "/etc/netns/$ns/resolv.conf"
    } 2>&1
}

# --- dev controller ----------------------------------------------------------------------------

# dev_controller NS DIR [FLAGS...]: start boundary-dev-controller inside namespace NS (defaults of
# `boundary dev`: API 127.0.0.1:9200, worker 127.0.0.1:9202) with stdout/stderr in DIR/dc.out and
# DIR/dc.err; waits until it listens. Sets DC_PID, DC_API (http://host:port), DC_PROXY (host:port)
# and DC_ADMIN (host:port, when -admin-listen-address is among FLAGS). Stopped at exit.
dev_controller() {
    local ns=$1 dir=$2
    shift 2
    need_bin boundary-dev-controller
    : >"$dir/dc.out"
    ip netns exec "$ns" "$BCA_BIN/boundary-dev-controller" "$@" >"$dir/dc.out" 2>"$dir/dc.err" &
    DC_PID=$!
    on_exit "kill $DC_PID 2>/dev/null; wait $DC_PID 2>/dev/null"
    wait_for 20 grep -q '^api: ' "$dir/dc.out" || {
        cat "$dir/dc.err" >&2
        fatal "boundary-dev-controller did not start"
    }
    DC_API=$(sed -n 's/^api: //p' "$dir/dc.out")
    DC_PROXY=$(sed -n 's/^proxy: //p' "$dir/dc.out")
    DC_ADMIN=$(sed -n 's/^admin: //p' "$dir/dc.out")
}
