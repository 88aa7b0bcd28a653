#!/usr/bin/env bash
# Secrets never land anywhere: after a full run (a real user's token added over stdin, a password
# login, a session with brokered credentials used through the transparent proxy, status, pause,
# resume, sign-out, stop), the exact strings of the token, the password and the brokered secret are
# in no file under /run, /var, or written under /tmp during the run (the agent's state, status
# journal and logs included), and in no /proc/PID/cmdline or /proc/PID/environ of the agent's
# processes while it runs. Each secret is random, so no other test's files can match.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cli_fixture.sh"
need_tool runuser jq curl python3 nginx
NS=bca-secrets
marker=$(tmpdir)/start
touch "$marker"
sleep 1 # file times have a granularity: only what is written after this second counts

agent_setup $NS
echo 'admin_group = ""' >>"$AGENT_CONFIG"
CLI_NS=$NS
CLI_DIR=$AGENT_DIR
CLI_SOCK=$AGENT_DIR/run/agent.sock
test_user bca-u1
rnd() { head -c 18 /dev/urandom | base64 | tr -d '/+='; }
password="Pw-$(rnd)"
brokered="Brokered-$(rnd)"
# The controller's own files (it is given the secrets to serve them) live outside the search.
ctl=$(mktemp -d /var/tmp/bca-secrets-controller.XXXXXX)
on_exit "rm -rf '$ctl'"
web_dir=$(tmpdir)
chmod 755 "$web_dir" # nginx workers read it
cat >"$ctl/controller.json" <<EOF
{
  "users": [{"id": "u_1111111111", "login_name": "alice", "password": "$password"}],
  "targets": [{"id": "ttcp_2222222222", "name": "web", "address": "127.0.0.1", "port": 8080,
     "credentials": [{"type": "username_password", "name": "web-static", "username": "dba", "password": "$brokered"}]}],
  "aliases": [{"value": "web.corp.test", "target": "ttcp_2222222222"}]
}
EOF
. "$(dirname "$0")/broker_lib.sh"
web_target $NS "$web_dir"
ip netns exec $NS "$BCA_BIN/boundary-dev-controller" -config "$ctl/controller.json" >"$ctl/dc.out" 2>"$ctl/dc.err" &
on_exit "kill $! 2>/dev/null"
wait_for 20 grep -q '^api: ' "$ctl/dc.out" || fatal "dev controller did not start"
agent_start $NS

# A token as the official CLI's users get it, added from standard input (never in argv).
token=$(printf '{"command":"login","attributes":{"login_name":"alice","password":"%s"}}' "$password" |
    in_ns $NS curl -s --data-binary @- "$CLI_CTL/v1/auth-methods/$CLI_METHOD:authenticate" | jq -r .attributes.token)
check "a token from the controller" grep -Eq '^at_[0-9A-Za-z]{10}_s1' <<<"$token"
printf '%s\n' "$token" | as_user bca-u1 "$CLI" token add -addr $CLI_CTL -socket "$CLI_SOCK" >/dev/null ||
    fail "token add"
# And a password login (the password from the environment, as the official CLI takes it).
as_user bca-u1 BOUNDARY_ADDR=$CLI_CTL BOUNDARY_AUTH_METHOD_ID=$CLI_METHOD \
    BOUNDARY_AUTHENTICATE_PASSWORD_PASSWORD="$password" "$CLI" login -login-name alice -socket "$CLI_SOCK" \
    >/dev/null || fail "login"
address=$(as_user bca-u1 "$CLI" explain web.corp.test -format json -socket "$CLI_SOCK" | jq -r .ipv4)
body=$(as_user bca-u1 curl -s -m 10 "http://$address:8080/")
assert_eq "bca-u1 reaches the target through the agent" "hello from the nginx target" "$body"
sessions=$(as_user bca-u1 "$CLI" sessions -format json -socket "$CLI_SOCK")
assert_contains "the agent holds the brokered secret (bca-u1 sees it in sessions)" "$brokered" "$sessions"
as_user bca-u1 "$CLI" status -socket "$CLI_SOCK" >/dev/null
in_ns $NS "$CLI" pause -socket "$CLI_SOCK" >/dev/null
in_ns $NS "$CLI" resume -socket "$CLI_SOCK" >/dev/null

# While it runs: the agent's processes hold no secret in their argv or environment.
proc_hits() {
    SECRETS="$token"$'\n'"$password"$'\n'"$brokered" python3 -c '
import os
secrets = [s.encode() for s in os.environ["SECRETS"].split("\n")]
seen = set()
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        exe = os.path.basename(os.readlink("/proc/%s/exe" % pid))
    except OSError:
        continue
    if not exe.startswith("boundary-agent"):
        continue
    seen.add(exe)
    for part in ("cmdline", "environ"):
        try:
            with open("/proc/%s/%s" % (pid, part), "rb") as f:
                data = f.read()
        except OSError:
            continue
        for i, s in enumerate(secrets):
            if s in data:
                print("%s(%s) %s holds secret %d" % (exe, pid, part, i))
print("searched " + " ".join(sorted(seen)))
'
}
hits=$(proc_hits)
assert_eq "no /proc/PID/cmdline or environ of the agent holds a secret" "" "$(grep -v '^searched ' <<<"$hits")"
assert_eq "that search covered the helper and both workers" \
    "searched boundary-agent-dns boundary-agent-helper boundary-agent-proxy" "$(grep '^searched ' <<<"$hits")"

# file_hits: files under /run and /var, and those written under /tmp since the start, that hold a
# secret (the controller's own directory excepted).
file_hits() {
    {
        grep -rlF -f <(printf '%s\n%s\n%s\n' "$token" "$password" "$brokered") /run /var \
            --exclude-dir="$(basename "$ctl")" 2>/dev/null
        find /tmp -xdev -type f -newer "$marker" -print0 2>/dev/null |
            xargs -0 -r grep -lF -f <(printf '%s\n%s\n%s\n' "$token" "$password" "$brokered") 2>/dev/null
    } | sort -u
}
assert_eq "while running: no file holds a secret" "" "$(file_hits)"
check "the search covers the agent's log" test -s "$AGENT_DIR/agent.log"
check "and its state file" test -s "$AGENT_DIR/run/state.json"

as_user bca-u1 "$CLI" logout -socket "$CLI_SOCK" >/dev/null
agent_stop
assert_eq "the agent stops cleanly" 0 "$AGENT_RC"
assert_eq "after the run: no file holds a secret" "" "$(file_hits)"
# The search can fail: a file with the brokered secret is found.
canary=$(tmpdir)/canary
printf 'x%sx\n' "$brokered" >"$canary"
assert_eq "a planted copy of the brokered secret is found" "$canary" "$(file_hits)"
finish
