# Shared setup for the CLI's integration tests (t_cli_*.sh). Source after lib.sh.
#
#   cli_setup NS      namespace NS; users bca-u1 and bca-u2; the dev controller (API 127.0.0.1:9200,
#                     worker 127.0.0.1:9202) with the Boundary users alice and bob; the agent's local
#                     API (cli-test-agent: the broker's BrokerCore and LocalAPIServer, unsandboxed,
#                     until the helper and workers run together) on $CLI_SOCK and 127.0.0.1:9300
#   cli_agent_stop    stop the agent (the "agent down" cases)
#   cli_agent_start   start it again (a fresh broker: no tokens)
#   cli_query UID ALIAS   what a DNS lookup would tell the broker: authorize UID's session for ALIAS
#   as_user USER CMD...   CMD inside NS as USER with a clean environment (+ extra VAR=value via env)
#
# Everything lives under $CLI_DIR, removed at exit.

CLI=$BCA_BIN/boundary-agent
CLI_CTL=http://127.0.0.1:9200
CLI_METHOD=ampw_1234567890
CLI_TCP_PORT=9300
ALICE_PW='alice-Pw-7491'
BOB_PW='bob-Pw-2206'

cli_setup() {
    CLI_NS=$1
    shift
    need_root
    need_tool ip runuser jq
    need_bin boundary-agent cli-test-agent boundary-dev-controller
    CLI_DIR=$(tmpdir)
    # Other users reach the socket and their own files under it.
    chmod 755 "$CLI_DIR"
    CLI_SOCK=$CLI_DIR/agent.sock
    netns_create "$CLI_NS"
    test_user bca-u1
    test_user bca-u2
    U1=$(id -u bca-u1)
    U2=$(id -u bca-u2)
    cat >"$CLI_DIR/controller.json" <<EOF
{
  "users": [
    {"id": "u_1111111111", "login_name": "alice", "password": "$ALICE_PW"},
    {"id": "u_2222222222", "login_name": "bob", "password": "$BOB_PW"}
  ],
  "targets": [
    {"id": "ttcp_1111111111", "name": "ssh", "address": "127.0.0.1", "port": 22},
    {"id": "ttcp_2222222222", "name": "pg", "address": "127.0.0.1", "port": 5432,
     "credentials": [{"type": "username_password", "name": "pg-static", "username": "dba", "password": "Brokered-Pg-Secret"}]},
    {"id": "ttcp_3333333333", "name": "box", "address": "127.0.0.1", "port": 2222,
     "credentials": [{"type": "ssh_private_key", "username": "ops",
                      "private_key": "-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXktdjEAAAAA\\n-----END OPENSSH PRIVATE KEY-----\\n"}]}
  ],
  "aliases": [
    {"value": "ssh.corp.test", "target": "ttcp_1111111111"},
    {"value": "pg.corp.test", "target": "ttcp_2222222222"},
    {"value": "box.corp.test", "target": "ttcp_3333333333"}
  ]
}
EOF
    ip netns exec "$CLI_NS" "$BCA_BIN/boundary-dev-controller" -config "$CLI_DIR/controller.json" \
        -api-listen-address 127.0.0.1:9200 -proxy-listen-address 127.0.0.1:9202 "$@" \
        >"$CLI_DIR/controller.out" 2>"$CLI_DIR/controller.log" &
    CLI_CTL_PID=$!
    on_exit "kill $CLI_CTL_PID 2>/dev/null"
    wait_for 20 grep -q '^api: ' "$CLI_DIR/controller.out" || {
        cat "$CLI_DIR/controller.log"
        fatal "the dev controller did not start"
    }
    cli_agent_start
}

cli_agent_start() {
    rm -f "$CLI_DIR/agent.in"
    mkfifo "$CLI_DIR/agent.in"
    : >"$CLI_DIR/agent.out"
    # Root is the admin (as with admin_group = "" in the real agent).
    ip netns exec "$CLI_NS" "$BCA_BIN/cli-test-agent" -socket "$CLI_SOCK" -port $CLI_TCP_PORT -log-level debug \
        <"$CLI_DIR/agent.in" >"$CLI_DIR/agent.out" 2>>"$CLI_DIR/agent.log" &
    CLI_AGENT_PID=$!
    on_exit "kill $CLI_AGENT_PID 2>/dev/null"
    # Held open for the agent's whole life: its standard input stands in for the DNS worker.
    exec 9>"$CLI_DIR/agent.in"
    wait_for 20 grep -q '^ready' "$CLI_DIR/agent.out" || {
        cat "$CLI_DIR/agent.log"
        fatal "cli-test-agent did not start"
    }
}

cli_agent_stop() {
    kill -TERM "$CLI_AGENT_PID" 2>/dev/null
    wait "$CLI_AGENT_PID" 2>/dev/null
    exec 9>&-
}

cli_query() {
    echo "query $1 $2" >&9
}

# as_user USER [VAR=value...] CMD...: a login-free shell environment for USER inside the namespace.
as_user() {
    local user=$1
    shift
    in_ns "$CLI_NS" runuser -u "$user" -- env -i PATH=/usr/bin:/bin HOME=/tmp LANG=C.UTF-8 "$@"
}

# json_of TEXT FILTER: jq on a string.
json_of() { jq -r "$2" <<<"$1"; }

# no_token_anywhere DESCRIPTION SECRET: the secret is in no process's command line and in no log.
# (Searched by a python3 that gets the secret in its environment, so its own argv stays clean.)
no_token_anywhere() {
    local desc=$1 secret=$2
    local hits
    hits=$(SECRET="$secret" python3 -c '
import os
secret = os.environ["SECRET"].encode()
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            if secret in f.read():
                print(pid)
    except OSError:
        pass
')
    assert_eq "$desc: no /proc/PID/cmdline holds the token" "" "$hits"
    hits=$(grep -l -F -f <(printf '%s\n' "$secret") "$CLI_DIR"/*.log 2>/dev/null || true)
    assert_eq "$desc: no log holds the token" "" "$hits"
}
