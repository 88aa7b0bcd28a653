#!/usr/bin/env bash
# make install / make uninstall (packaging/install.sh, PREFIX=/usr/local) on this host with this
# build's binaries: the layout (workers beside the helper in libexec, a sbin symlink), the rendered
# unit, the config kept when present, the user; the installed helper started from the installed
# unit (its sandbox reproduced by unit-exec, in a namespace) serves; uninstall leaves nothing.
. "$(dirname "$0")/lib.sh"
need_root
need_tool systemd-analyze dig dnsmasq python3
need_bin boundary-agent boundary-agent-helper boundary-agent-dns boundary-agent-proxy
NAME=boundary-client-agent
P=/usr/local
UNIT=/etc/systemd/system/$NAME.service
paths=($P/bin/boundary-agent $P/sbin/boundary-agent-helper $P/libexec/$NAME "$UNIT" /etc/boundary
    /etc/logrotate.d/$NAME /etc/systemd/system/multi-user.target.wants/$NAME.service /run/$NAME /var/lib/$NAME
    /var/log/$NAME.log $P/share/doc/$NAME $P/share/bash-completion/completions/boundary-agent
    $P/share/zsh/site-functions/_boundary-agent $P/share/fish/vendor_completions.d/boundary-agent.fish)
present() {
    local p
    for p in "${paths[@]}"; do [ -e "$p" ] || [ -L "$p" ] && echo "$p"; done
    true
}
dpkg-query -W -f='${Status}' $NAME 2>/dev/null | grep -q installed && skip "$NAME is installed as a package"
[ -z "$(present)" ] || fatal "the host already has files of $NAME: $(present | paste -sd' ')"
user_before=$(getent passwd boundary-agent || true)
dir=$(tmpdir)
mkdir -p "$dir/cli/completions"
"$BCA_BIN/boundary-agent" --generate-completion-script bash >"$dir/cli/completions/boundary-agent.bash"
"$BCA_BIN/boundary-agent" --generate-completion-script zsh >"$dir/cli/completions/_boundary-agent"
"$BCA_BIN/boundary-agent" --generate-completion-script fish >"$dir/cli/completions/boundary-agent.fish"
inst() { (cd "$BCA_ROOT" && PREFIX=$P BIN=$BCA_BIN CLI_DOCS=$dir/cli packaging/install.sh "$@"); }
on_exit "cd '$BCA_ROOT' && PREFIX=$P BIN=$BCA_BIN CLI_DOCS=$dir/cli packaging/install.sh uninstall"

check "install.sh files (make install)" inst files
check "install.sh system (make install, live host)" inst system
assert_eq "the helper is in libexec with its workers" "boundary-agent-dns boundary-agent-helper boundary-agent-proxy" \
    "$(ls $P/libexec/$NAME | paste -sd' ')"
assert_eq "sbin has a symlink to it" "../libexec/$NAME/boundary-agent-helper" "$(readlink $P/sbin/boundary-agent-helper)"
check "the unit names the /usr/local helper" grep -q "^ExecStart=$P/libexec/$NAME/boundary-agent-helper -config /etc/boundary/$NAME.hcl" "$UNIT"
check "the installed unit passes systemd-analyze verify" systemd-analyze verify --man=no "$UNIT"
check "the unit is enabled" test -L /etc/systemd/system/multi-user.target.wants/$NAME.service
check "the installed config is valid (through the sbin symlink)" $P/sbin/boundary-agent-helper -validate
check "the installed config keeps the state file on disk" grep -q '^state_file = "/var/lib/boundary-client-agent/state.json"' /etc/boundary/$NAME.hcl
check "bash completion installed" test -s $P/share/bash-completion/completions/boundary-agent
[ -z "$user_before" ] && assert_contains "the workers' user was created" "boundary-client-agent sandboxed workers" \
    "$(getent passwd boundary-agent)"
echo "# the admin's line" >>/etc/boundary/$NAME.hcl
inst files >/dev/null
check "a second make install keeps the admin's config" grep -q "the admin's line" /etc/boundary/$NAME.hcl

ns=bca-pkg-install
netns_create $ns "nameserver 127.0.0.2"
in_ns $ns dnsmasq --no-resolv --no-hosts --listen-address=127.0.0.2 --bind-interfaces --port=53 \
    --address=/example.test/192.0.2.7 --pid-file="$dir/dnsmasq.pid" --user=root || fatal "dnsmasq"
ip netns exec $ns "$BCA_ROOT/packaging/unit-exec" "$UNIT" start >"$dir/helper.out" 2>&1 &
pid=$!
on_exit "kill -KILL $pid 2>/dev/null"
serving() { grep -q "helper: serving (" /var/log/$NAME.log; }
check "the installed helper starts its workers from libexec and serves" wait_for 30 serving
assert_eq "dig through it" "192.0.2.7" "$(in_ns $ns dig +short +time=3 +tries=1 @100.64.0.1 example.test)"
kill -TERM $pid
wait $pid
assert_eq "it stops cleanly" 0 "$?"
ip netns exec $ns "$BCA_ROOT/packaging/unit-exec" "$UNIT" stop-post

out=$(inst uninstall 2>&1)
assert_contains "uninstall keeps an edited config and says so" "kept /etc/boundary/$NAME.hcl" "$out"
rm -rf /etc/boundary
assert_eq "make uninstall leaves nothing else" "" "$(present)"
assert_eq "the user is as before" "$user_before" "$(getent passwd boundary-agent || true)"
finish
