# Shared setup for the CLI's integration tests (t_cli_*.sh): the whole agent (agent.sh: the helper
# with its sandboxed DNS and proxy workers) in a namespace, the dev controller, two real users.
# Source after lib.sh.
#
#   cli_setup NS [FLAGS...]   namespace NS with the agent (root is its only admin), the dev controller
#                             (API 127.0.0.1:9200, worker 127.0.0.1:9202; FLAGS go to it) serving the
#                             Boundary users alice and bob, and the OS users bca-u1 and bca-u2
#   cli_session USER ALIAS    connect to ALIAS's address as USER, so the agent authorizes a session
#                             (the transparent proxy path); waits until USER's sessions list it
#   as_user USER [VAR=value...] CMD...   CMD inside NS as USER with a clean environment
#   no_token_anywhere DESC SECRET        SECRET is in no process's argv and in no log
#
# The agent's local API: $CLI_SOCK (unix) and 127.0.0.1:$CLI_TCP_PORT. Files live in $CLI_DIR.

. "$(dirname "${BASH_SOURCE[0]}")/agent.sh"

CLI=$BCA_BIN/boundary-agent
CLI_CTL=http://127.0.0.1:9200
CLI_METHOD=ampw_1234567890
CLI_TCP_PORT=9300
ALICE_PW='alice-Pw-7491'
BOB_PW='bob-Pw-2206'

cli_setup() {
    CLI_NS=$1
    shift
    need_tool runuser jq curl python3
    need_bin boundary-agent boundary-dev-controller
    agent_setup "$CLI_NS"
    # Root is the only admin: the test users may be in sudo on some machines.
    echo 'admin_group = ""' >>"$AGENT_CONFIG"
    CLI_DIR=$AGENT_DIR
    CLI_SOCK=$AGENT_DIR/run/agent.sock
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
    dev_controller "$CLI_NS" "$CLI_DIR" -config "$CLI_DIR/controller.json" "$@"
    agent_start "$CLI_NS"
}

# as_user USER [VAR=value...] CMD...: a login-free environment for USER inside the namespace.
as_user() {
    local user=$1
    shift
    in_ns "$CLI_NS" runuser -u "$user" -- env -i PATH=/usr/bin:/bin HOME=/tmp LANG=C.UTF-8 "$@"
}

# cli_session USER ALIAS: what a program does with an alias name: connect to its address. The
# agent authorizes a session for USER (the target itself may refuse the connection).
cli_session() {
    local user=$1 alias=$2 address
    address=$(as_user "$user" "$CLI" explain "$alias" -format json -socket "$CLI_SOCK" | jq -r .ipv4)
    [ -n "$address" ] && [ "$address" != null ] || {
        fail "$alias has no address for $user"
        return 1
    }
    as_user "$user" curl -s -o /dev/null -m 5 "http://$address:80/" || true
    wait_for 15 _cli_has_session "$user" "$alias" || fail "no session for $user on $alias"
}

_cli_has_session() {
    as_user "$1" "$CLI" sessions -format json -socket "$CLI_SOCK" | jq -e --arg a "$2" 'any(.items[]; .alias == $a)' >/dev/null
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
    hits=$(grep -l -F -f <(printf '%s\n' "$secret") "$CLI_DIR"/agent.log "$CLI_DIR"/helper.out \
        "$CLI_DIR"/dc.err "$CLI_DIR"/dc.out 2>/dev/null || true)
    assert_eq "$desc: no log holds the token" "" "$hits"
}
