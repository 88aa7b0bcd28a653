#!/usr/bin/env bash
# The sandbox of each worker in the real agent: a forbidden syscall made by the running worker
# (injected as root with gdb, exactly what a compromised worker would do: no test hook in the
# binary) kills it with SIGSYS; the helper logs it and restarts the worker, sandboxed again, on the
# same sockets; nothing else changes: the host (addresses, routes, nftables, resolv.conf) and the
# other worker's pid stay as they were, and DNS still answers.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent.sh"
need_tool gdb
NS=bca-hardening-sandbox
agent_setup $NS
agent_start $NS
during=$(snapshot_host $NS)

# inject PID SYSCALL-ARGS: makes the worker itself call syscall(...) (gdb's `call` runs it on the
# worker's main thread, under its seccomp filter). No debug info is read (fast); gdb may abort
# when its inferior dies mid-call: no core files.
inject() {
    (
        ulimit -c 0
        cd "$AGENT_DIR" && timeout 60 gdb -nx -batch --readnever -p "$1" -ex "call (long)syscall($2)" >gdb.out 2>&1
    ) 2>/dev/null
}

# Numbers for x86_64 (the filter checks the architecture first).
calls=(
    "execve|59L, \"/bin/sh\", 0L, 0L"
    "ptrace|101L, 16L, 1L, 0L, 0L"
    "mount|165L, \"none\", \"/\", \"tmpfs\", 0L, 0L"
    "setuid|105L, 0L"
    "socket(AF_PACKET)|41L, 17L, 3L, 0L"
    "socket(AF_NETLINK, NETLINK_ROUTE)|41L, 16L, 3L, 0L"
)
syscall_numbers=(59 101 165 105 41 41)
# make test: each call once, alternating workers (restarts back off, doubling from 0.25 s);
# BCA_HARDENING_FULL=1 (make chaos): every call on both workers.
picks() {
    local role=$1 i
    for i in "${!calls[@]}"; do
        if [ "${BCA_HARDENING_FULL:-0}" = 1 ] || { [ $role = dns ] && [ $((i % 2)) = 0 ]; } ||
            { [ $role = proxy ] && [ $((i % 2)) = 1 ]; }; then
            echo "$i"
        fi
    done
}

for role in dns proxy; do
    other_role=$([ $role = dns ] && echo proxy || echo dns)
    for i in $(picks $role); do
        name=${calls[$i]%%|*}
        args=${calls[$i]#*|}
        victim=$(agent_worker_pid $role) || fatal "no $role worker"
        other=$(agent_worker_pid $other_role)
        wait_for 10 grep -q 'Seccomp:.2' <(proc_sandbox_status "$victim") || fail "$role worker $victim is not sandboxed"
        restarts=$(grep -c "the $role worker is serving" "$AGENT_DIR/agent.log")
        inject "$victim" "$args"
        if wait_for 5 grep -q "$role worker (pid $victim) killed by signal 31 (SIGSYS" "$AGENT_DIR/agent.log"; then
            ok "$role worker: $name kills it with SIGSYS"
        else
            fail "$role worker: $name did not kill it with SIGSYS: $(tail -3 "$AGENT_DIR/gdb.out") $(grep "pid $victim" "$AGENT_DIR/agent.log" | tail -2)"
        fi
        # The kernel's audit line names the call (when this kernel logs kill_process actions).
        if dmesg 2>/dev/null | grep "pid=$victim " | grep -q "sig=31.* syscall=${syscall_numbers[$i]} "; then
            ok "$role worker: the kernel logged syscall ${syscall_numbers[$i]} ($name) for pid $victim"
        fi
        back() { [ "$(grep -c "the $role worker is serving" "$AGENT_DIR/agent.log")" -gt "$restarts" ]; }
        wait_for 40 back || fail "$role worker: not restarted after $name"
        new=$(agent_worker_pid $role)
        assert_contains "$role worker: the restarted one (pid $new) is sandboxed" "Seccomp: 2" "$(proc_sandbox_status "$new")"
        assert_eq "$role worker: the $other_role worker was not touched by $name" "$other" "$(agent_worker_pid $other_role)"
    done
done
assert_eq "the host is exactly as it was while serving" "$during" "$(snapshot_host $NS)"
assert_eq "DNS for other names still works" "192.0.2.7" "$(in_ns $NS dig +short +time=4 +tries=1 @$AGENT_V4 example.test)"
check "the helper itself is still running" kill -0 "$AGENT_PID"
agent_stop
assert_eq "SIGTERM exits 0" 0 "$AGENT_RC"
finish
