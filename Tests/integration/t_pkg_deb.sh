#!/usr/bin/env bash
# The .deb on this very host: build it (packaging/build-deb.sh, from this build's binaries), dpkg -i,
# start the installed helper the way the installed unit starts it (its sandbox reproduced by
# packaging/unit-exec, inside a namespace: real /etc/boundary config, /run, /var/lib and /var/log
# paths), use it as a real user, stop it, dpkg -r, dpkg -P: the host is left exactly as it was
# (files, the boundary-agent user, unit symlinks, dpkg's records).
. "$(dirname "$0")/lib.sh"
need_root
need_tool dpkg dpkg-deb systemd-analyze dig dnsmasq jq python3 runuser
need_bin boundary-agent boundary-agent-helper boundary-agent-dns boundary-agent-proxy
PKG=boundary-client-agent
UNIT=/lib/systemd/system/$PKG.service
EXEC=$BCA_ROOT/packaging/unit-exec

if dpkg-query -W -f='${Status}' $PKG 2>/dev/null | grep -q installed; then
    skip "$PKG is installed on this host; not touching a real installation"
fi
# Everything the package may create, checked before and after.
paths=(/usr/bin/boundary-agent /usr/sbin/boundary-agent-helper /usr/libexec/$PKG "$UNIT" /etc/boundary
    /etc/logrotate.d/$PKG /etc/systemd/system/multi-user.target.wants/$PKG.service /run/$PKG /var/lib/$PKG
    /var/log/$PKG.log /usr/share/doc/$PKG /usr/share/bash-completion/completions/boundary-agent
    /usr/share/zsh/vendor-completions/_boundary-agent /usr/share/fish/vendor_completions.d/boundary-agent.fish
    /usr/share/man/man1/boundary-agent.1.gz /var/lib/systemd/deb-systemd-helper-enabled/$PKG.service.dsh-also
    /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/$PKG.service)
present() {
    local p
    for p in "${paths[@]}"; do [ -e "$p" ] || [ -L "$p" ] && echo "$p"; done
    ls /var/lib/dpkg/info/$PKG.* 2>/dev/null
}
[ -z "$(present)" ] || fatal "the host already has files of $PKG (make uninstall first): $(present | paste -sd' ')"
user_before=$(getent passwd boundary-agent || true)
on_exit "dpkg -P $PKG >/dev/null 2>&1"

# --- build --------------------------------------------------------------------------------------
dir=$(tmpdir)
mkdir -p "$dir/cli-docs/completions"
for sh in bash zsh fish; do
    "$BCA_BIN/boundary-agent" --generate-completion-script $sh >"$dir/cli-docs/completions/$sh"
done
mv "$dir/cli-docs/completions/bash" "$dir/cli-docs/completions/boundary-agent.bash"
mv "$dir/cli-docs/completions/zsh" "$dir/cli-docs/completions/_boundary-agent"
mv "$dir/cli-docs/completions/fish" "$dir/cli-docs/completions/boundary-agent.fish"
# A debug build loads the toolchain's Swift runtime (make deb links it statically instead).
deb=$(cd "$BCA_ROOT" && BIN=$BCA_BIN CLI_DOCS=$dir/cli-docs DEB_OUT=$dir DEB_ALLOW_UNPACKAGED_LIBS=1 \
    DEB_COMPRESSION=none packaging/build-deb.sh 2>"$dir/build.err" | tail -1)
[ -f "$deb" ] || fatal "build-deb.sh made no package: $(cat "$dir/build.err")"
ok "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"
version=$(tr -d ' \n' <"$BCA_ROOT/VERSION")
assert_eq "the package version is ./VERSION" "$version" "$(dpkg-deb -f "$deb" Version)"
cli_version=$("$BCA_BIN/boundary-agent" version -format json 2>/dev/null | jq -r .cli_version)
assert_eq "boundary-agent reports the same version" "$version" "$cli_version"
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/boundary-agent ./usr/libexec/$PKG/boundary-agent-helper ./usr/libexec/$PKG/boundary-agent-dns \
    ./usr/libexec/$PKG/boundary-agent-proxy ./usr/sbin/boundary-agent-helper "./lib/systemd/system/$PKG.service" \
    ./etc/boundary/$PKG.hcl ./etc/logrotate.d/$PKG ./usr/share/doc/$PKG/README.md; do
    assert_contains "the package has $f" " $f" "$contents"
done
assert_eq "conffiles: the configuration and the logrotate file" "/etc/boundary/$PKG.hcl
/etc/logrotate.d/$PKG" "$(dpkg-deb -I "$deb" conffiles)"
assert_contains "Depends names libseccomp" "libseccomp2" "$(dpkg-deb -f "$deb" Depends)"

# --- dpkg -i -------------------------------------------------------------------------------------
out=$(dpkg -i --force-unsafe-io "$deb" 2>&1)
check "dpkg -i succeeds" test $? = 0 || echo "$out" | sed 's/^/        | /'
assert_eq "dpkg: installed" "install ok installed" "$(dpkg-query -W -f='${Status}' $PKG)"
if [ -z "$user_before" ]; then
    assert_contains "postinst created the system user boundary-agent" ":/nonexistent:/usr/sbin/nologin" \
        "$(getent passwd boundary-agent)"
    uid=$(id -u boundary-agent)
    check "it is a system account (uid $uid < 1000)" test "$uid" -lt 1000
fi
check "postinst enabled the unit (multi-user.target.wants)" \
    test "$(readlink /etc/systemd/system/multi-user.target.wants/$PKG.service)" = "$UNIT"
check_fails "and did not start it: systemd is not PID 1 here" pgrep -f /usr/libexec/$PKG/
assert_eq "the log file exists for ReadWritePaths, 0640 root:adm" "640 root adm" \
    "$(stat -c '%a %U %G' /var/log/$PKG.log)"
assert_eq "the configuration is 0644 root" "644 root" "$(stat -c '%a %U' /etc/boundary/$PKG.hcl)"
check "the installed configuration is valid" /usr/sbin/boundary-agent-helper -validate
check "the installed unit passes systemd-analyze verify" systemd-analyze verify --man=no "$UNIT"
check "the unit runs the installed helper" grep -q "^ExecStart=/usr/libexec/$PKG/boundary-agent-helper -config /etc/boundary/$PKG.hcl" "$UNIT"

# --- the installed agent, started the way the unit starts it ------------------------------------
ns=bca-pkg-deb
netns_create $ns "nameserver 127.0.0.2"
in_ns $ns dnsmasq --no-resolv --no-hosts --listen-address=127.0.0.2 --bind-interfaces --port=53 \
    --address=/example.test/192.0.2.7 --pid-file="$dir/dnsmasq.pid" --user=root || fatal "dnsmasq"
before=$(snapshot_host $ns)
ip netns exec $ns "$EXEC" "$UNIT" start >"$dir/helper.out" 2>&1 &
pid=$!
on_exit "kill -KILL $pid 2>/dev/null; ip netns exec $ns '$EXEC' '$UNIT' stop-post"
serving() { grep -q "helper: serving (" /var/log/$PKG.log; }
wait_for 30 serving || fatal "the installed agent did not start: $(tail -5 "$dir/helper.out" /var/log/$PKG.log)"
ok "the installed helper serves, started from the installed unit's ExecStart in its sandbox"
assert_eq "it runs from /usr/libexec" "/usr/libexec/$PKG/boundary-agent-helper" "$(readlink /proc/$pid/exe)"
dns=$(pgrep -P $pid -f boundary-agent-dns)
assert_eq "the DNS worker is chrooted in the StateDirectory" "/var/lib/$PKG/empty" "$(readlink /proc/$dns/root)"
check "the state file is on disk (survives a reboot)" test -s /var/lib/$PKG/state.json
check "the API socket is in the RuntimeDirectory" test -S /run/$PKG/agent.sock
assert_eq "dig through the installed agent" "192.0.2.7" "$(in_ns $ns dig +short +time=3 +tries=1 @100.64.0.1 example.test)"
test_user bca-u1
st=$(in_ns $ns runuser -u bca-u1 -- /usr/bin/boundary-agent status -format json)
assert_eq "a real user's boundary-agent finds the agent at its default socket" "running" "$(jq -r .status <<<"$st")"
assert_eq "and the agent knows who asked" "$(id -u bca-u1)" "$(jq -r .uid <<<"$st")"
kill -TERM $pid
wait $pid
assert_eq "SIGTERM: exit 0" 0 "$?"
check "ExecStopPost" ip netns exec $ns "$EXEC" "$UNIT" stop-post
check "the RuntimeDirectory is kept (RuntimeDirectoryPreserve): the status journal outlives a restart" \
    test -f /run/$PKG/status-journal
assert_eq "the namespace is as before" "$before" "$(snapshot_host $ns)"

# --- an admin's edit survives a reinstall (conffile) ---------------------------------------------
echo '# edited by the admin' >>/etc/boundary/$PKG.hcl
dpkg -i --force-unsafe-io "$deb" >/dev/null 2>&1
check "dpkg -i again keeps the admin's configuration" grep -q "edited by the admin" /etc/boundary/$PKG.hcl

# --- dpkg -r, dpkg -P ----------------------------------------------------------------------------
out=$(dpkg -r $PKG 2>&1)
check "dpkg -r succeeds" test $? = 0 || echo "$out" | sed 's/^/        | /'
assert_eq "dpkg: only the configuration is left" "deinstall ok config-files" "$(dpkg-query -W -f='${Status}' $PKG)"
assert_eq "after dpkg -r: the conffiles and the log, nothing else" "/etc/boundary
/etc/logrotate.d/$PKG
/var/log/$PKG.log" "$(present | grep -v /var/lib/dpkg/info/)"
assert_eq "the user is as before" "$user_before" "$(getent passwd boundary-agent || true)"
out=$(dpkg -P $PKG 2>&1)
check "dpkg -P succeeds" test $? = 0 || echo "$out" | sed 's/^/        | /'
assert_eq "after dpkg -P nothing of the package is left" "" "$(present)"
check_fails "dpkg has forgotten it" dpkg-query -W $PKG
assert_eq "the user is as before" "$user_before" "$(getent passwd boundary-agent || true)"
check_fails "no process of it runs" pgrep -f "/usr/libexec/$PKG/"

finish
