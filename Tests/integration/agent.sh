# Starting and stopping the whole agent (boundary-agent-helper and its workers) inside a test's
# network namespace. Source after lib.sh: `. "$(dirname "$0")/agent.sh"`.
#
#   agent_setup NS              namespace + dnsmasq upstream at 127.0.0.2 answering example.test
#                               (192.0.2.7) + the boundary-agent user + a config in $AGENT_DIR
#   agent_config                $AGENT_CONFIG for $AGENT_DIR (agent_setup calls it; tests with their own
#                               namespace and upstream call it themselves)
#   agent_start NS [ARGS...]    start the helper in NS; waits until it says "serving"
#   agent_stop                  SIGTERM; waits for the exit; $AGENT_RC holds the exit code
#   BCA_SECCOMP_LOG=1           (environment, debugging) workers run with -seccomp-log; agent_stop
#                               lists the calls their profiles blocked
#   agent_worker_pid dns|proxy  the worker's pid
#
# Everything lives under $AGENT_DIR (config, state, log, socket), removed at exit.

AGENT_UPSTREAM=127.0.0.2
AGENT_V4=100.64.0.1
AGENT_V6=fd5b:c1a6:e7a0::1

agent_setup() {
    local ns=$1
    need_root
    need_tool ip nft dig dnsmasq ss
    need_bin boundary-agent-helper boundary-agent-dns boundary-agent-proxy
    system_user boundary-agent
    AGENT_DIR=$(tmpdir)
    chmod 755 "$AGENT_DIR"
    netns_create "$ns" "nameserver $AGENT_UPSTREAM
search corp.example
options edns0"
    # The upstream the system had before the agent: a real resolver inside the namespace.
    in_ns "$ns" dnsmasq --no-resolv --no-hosts --listen-address=$AGENT_UPSTREAM --bind-interfaces --port=53 \
        --address=/example.test/192.0.2.7 --pid-file="$AGENT_DIR/dnsmasq.pid" --user=root ||
        fatal "dnsmasq did not start"
    agent_config
}

# agent_config: $AGENT_CONFIG, the agent's config with every file under $AGENT_DIR (append keys to it).
agent_config() {
    AGENT_CONFIG=$AGENT_DIR/agent.hcl
    cat >"$AGENT_CONFIG" <<HCL
# written by agent.sh for $TEST_NAME
state_file             = "$AGENT_DIR/run/state.json"
operational_state_file = "$AGENT_DIR/lib/operational-state.json"
log_file               = "$AGENT_DIR/agent.log"
api_socket_path        = "$AGENT_DIR/run/agent.sock"
log_level              = "debug"
dns_request_timeout    = "3s"
HCL
    chmod 600 "$AGENT_CONFIG"
}

agent_start() {
    local ns=$1
    shift
    : >"$AGENT_DIR/helper.out"
    # Wait for a "serving" line written by this start, not by an earlier one.
    local seen=0
    [ -f "$AGENT_DIR/agent.log" ] && seen=$(grep -c "helper: serving (" "$AGENT_DIR/agent.log")
    # BCA_SECCOMP_LOG=1 (debugging the profiles): the workers log blocked calls and get EPERM instead
    # of being killed; agent_stop lists them.
    [ -n "${BCA_SECCOMP_LOG:-}" ] && set -- "$@" -seccomp-log
    # Not through in_ns: a backgrounded function would make $! a subshell, not the helper.
    ip netns exec "$ns" "$BCA_BIN/boundary-agent-helper" -config "$AGENT_CONFIG" "$@" >>"$AGENT_DIR/helper.out" 2>&1 &
    AGENT_PID=$!
    AGENT_NS=$ns
    on_exit "kill -KILL $AGENT_PID 2>/dev/null"
    if ! wait_for 30 _agent_serving_after "$seen"; then
        sed 's/^/        | /' "$AGENT_DIR/helper.out" "$AGENT_DIR/agent.log" 2>/dev/null | tail -30
        fatal "the agent did not start"
    fi
}

_agent_serving_after() {
    [ "$(grep -c "helper: serving (" "$AGENT_DIR/agent.log" 2>/dev/null)" -gt "$1" ]
}

agent_stop() {
    kill -TERM "$AGENT_PID" 2>/dev/null
    wait "$AGENT_PID"
    AGENT_RC=$?
    if [ -n "${BCA_SECCOMP_LOG:-}" ]; then
        log "seccomp-log: $(grep -c 'sandboxed seccomp=log' "$AGENT_DIR/agent.log") worker starts; blocked: $(grep -o \
            'seccomp: blocked syscall [0-9]* ([a-z0-9_]*)' "$AGENT_DIR/helper.out" | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
    fi
}

# The pid of a worker (children of the helper, by binary name).
agent_worker_pid() {
    local name=boundary-agent-$1
    local p
    for p in $(pgrep -P "$AGENT_PID" 2>/dev/null); do
        [ "$(basename "$(readlink /proc/$p/exe)")" = "$name" ] && echo "$p" && return 0
    done
    return 1
}

# The fields of /proc/PID/status that prove the sandbox, one "Key: value" per line.
proc_sandbox_status() {
    grep -E '^(Uid|Gid|Groups|CapEff|CapPrm|CapBnd|CapAmb|NoNewPrivs|Seccomp):' "/proc/$1/status" | tr -s '\t ' ' '
}
