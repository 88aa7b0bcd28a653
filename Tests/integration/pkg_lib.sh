# Shared setup for the packaging tests (t_pkg_*.sh): the helper started the way
# systemd/boundary-client-agent.service starts it, with the unit's sandbox reproduced by
# packaging/unit-exec (PID 1 is not systemd here). Source after lib.sh.
#
#   pkg_setup NS            namespace + dnsmasq upstream (127.0.0.2, example.test = 192.0.2.7), the
#                           boundary-agent user, a config whose files live in $PKG_DIR (under /run:
#                           PrivateTmp would hide /tmp from the helper)
#   pkg_start NS [SET...]   ExecStart through unit-exec (extra --set lines as a drop-in would add);
#                           waits for "serving"; $PKG_PID is the helper; returns 1 if it never serves
#   pkg_stop_post NS        ExecStopPost through unit-exec
#   pkg_cap_mask CAP...     the /proc/PID/status mask of those capabilities

PKG_UNIT=$BCA_ROOT/systemd/boundary-client-agent.service
PKG_EXEC=$BCA_ROOT/packaging/unit-exec

pkg_setup() {
    local ns=$1
    need_root
    need_tool ip nft dig dnsmasq python3 systemd-analyze
    need_bin boundary-agent-helper boundary-agent-dns boundary-agent-proxy
    system_user boundary-agent
    PKG_DIR=$(mktemp -d /run/bca-$TEST_NAME.XXXXXX)
    on_exit "rm -rf '$PKG_DIR'"
    chmod 755 "$PKG_DIR"
    netns_create "$ns" "nameserver 127.0.0.2
search corp.example"
    in_ns "$ns" dnsmasq --no-resolv --no-hosts --listen-address=127.0.0.2 --bind-interfaces --port=53 \
        --address=/example.test/192.0.2.7 --pid-file="$PKG_DIR/dnsmasq.pid" --user=root ||
        fatal "dnsmasq did not start"
    PKG_CONFIG=$PKG_DIR/agent.hcl
    cat >"$PKG_CONFIG" <<HCL
state_file             = "$PKG_DIR/lib/state.json"
operational_state_file = "$PKG_DIR/lib/operational-state.json"
log_file               = "$PKG_DIR/agent.log"
api_socket_path        = "$PKG_DIR/run/agent.sock"
log_level              = "debug"
admin_group            = ""
HCL
    chmod 600 "$PKG_CONFIG"
    : >"$PKG_DIR/agent.log"
}

# The unit's own settings plus what an admin's drop-in would need for these test paths: the test
# directory writable instead of the default /run, /var/lib and /var/log paths.
pkg_unit_args() {
    echo "--set RuntimeDirectory= --set StateDirectory= --set ReadWritePaths= --set ReadWritePaths=/etc/resolv.conf"
    echo "--set ReadWritePaths=$PKG_DIR"
    echo "--replace /usr/libexec/boundary-client-agent=$BCA_BIN"
    echo "--replace /etc/boundary/boundary-client-agent.hcl=$PKG_CONFIG"
}

pkg_start() {
    local ns=$1
    shift
    local extra=()
    local s
    for s in "$@"; do extra+=(--set "$s"); done
    local seen
    seen=$(grep -c "helper: serving (" "$PKG_DIR/agent.log" 2>/dev/null)
    # shellcheck disable=SC2046
    ip netns exec "$ns" "$PKG_EXEC" $(pkg_unit_args) "${extra[@]}" "$PKG_UNIT" start >>"$PKG_DIR/helper.out" 2>&1 &
    PKG_PID=$!
    on_exit "kill -KILL $PKG_PID 2>/dev/null"
    local i
    for i in $(seq 1 150); do
        [ "$(grep -c "helper: serving (" "$PKG_DIR/agent.log" 2>/dev/null)" -gt "$seen" ] && return 0
        kill -0 "$PKG_PID" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

pkg_stop_post() {
    # shellcheck disable=SC2046
    ip netns exec "$1" "$PKG_EXEC" $(pkg_unit_args) "$PKG_UNIT" stop-post
}

pkg_worker_pid() {
    local p
    for p in $(pgrep -P "$PKG_PID" 2>/dev/null); do
        [ "$(basename "$(readlink /proc/$p/exe)")" = "boundary-agent-$1" ] && echo "$p" && return 0
    done
    return 1
}

# pkg_cap_mask CAP_NAME...: the hex mask /proc/PID/status shows for exactly these capabilities.
pkg_cap_mask() {
    python3 - "$@" <<'EOF'
import sys
names = ["chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap",
         "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
         "sys_module", "sys_rawio", "sys_chroot"]
mask = 0
for a in sys.argv[1:]:
    mask |= 1 << names.index(a.lower().replace("cap_", ""))
print("%016x" % mask)
EOF
}
