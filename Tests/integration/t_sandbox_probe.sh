#!/usr/bin/env bash
# Each worker's seccomp profile, installed by sandbox-probe as the worker user: a normal serve loop
# (NIO TCP echo, and UDP for the DNS profile) runs, then the forbidden call, made from an event loop
# thread created after the filter, kills the process with SIGSYS; soft denials fail with their errno
# and the process lives; -log turns kills into logged EPERMs.
. "$(dirname "$0")/lib.sh"
need_root
need_bin sandbox-probe
system_user boundary-agent
probe=$BCA_BIN/sandbox-probe
SIGSYS_EXIT=$((128 + 31))

for profile in dns-worker proxy-worker; do
    out=$("$probe" $profile serve -user boundary-agent 2>&1)
    rc=$?
    assert_eq "$profile: a serve loop runs under the filter" "0" "$rc"
    assert_contains "$profile: the echo round trips worked" "serve ok" "$out"
    for action in execve ptrace setuid fork clone-process unshare mount bpf io_uring process_vm_readv keyctl \
        socket-packet socket-netlink-route; do
        out=$("$probe" $profile $action -user boundary-agent 2>&1)
        rc=$?
        if [ "$rc" = "$SIGSYS_EXIT" ] && [ "$out" = "serve ok" ]; then
            ok "$profile: $action kills the worker with SIGSYS after serving"
        else
            fail "$profile: $action: exit $rc, output [$out]"
        fi
    done
    # Soft denials: the call fails, the worker lives (errno 13 EACCES, 1 EPERM).
    assert_contains "$profile: opening a file fails with EACCES" "openat returned -1 errno 13" \
        "$("$probe" $profile openat -user boundary-agent 2>&1)"
    assert_contains "$profile: an AF_UNIX socket fails with EACCES" "socket-unix returned -1 errno 13" \
        "$("$probe" $profile socket-unix -user boundary-agent 2>&1)"
    assert_contains "$profile: executable memory is refused" "mprotect-exec returned -1 errno 1" \
        "$("$probe" $profile mprotect-exec -user boundary-agent 2>&1)"
    assert_contains "$profile: signalling another process is refused" "kill-other returned -1 errno 1" \
        "$("$probe" $profile kill-other -user boundary-agent 2>&1)"
    assert_contains "$profile: an unlisted call gets the EPERM default" "getppid returned -1" \
        "$("$probe" $profile getppid -user boundary-agent 2>&1)"
    # Debug mode: the kill becomes a logged EPERM.
    out=$("$probe" $profile execve -user boundary-agent -log 2>&1)
    assert_contains "$profile -log: execve is logged by name" "seccomp: blocked syscall 59 (execve) -> EPERM" "$out"
    assert_contains "$profile -log: and fails instead of killing" "execve returned -1 errno 1" "$out"
done
# Both profiles may open UDP sockets: the DNS worker forwards upstream, the broker asks the DNS worker
# for controller and worker host names.
for profile in dns-worker proxy-worker; do
    assert_contains "$profile: a UDP socket is allowed" "socket-udp returned 1" \
        "$("$probe" $profile socket-udp -user boundary-agent 2>&1 | sed 's/returned [0-9][0-9]*/returned 1/')"
    # Posix.mapLargeBlocksSeparately under the filter, in a fresh process: both big blocks are mappings
    # of their own (so freed alias tables go back to the kernel), a small one is not.
    assert_contains "$profile: blocks of 256 KiB and more get their own mapping" "large-blocks returned 2 " \
        "$("$probe" $profile large-blocks -user boundary-agent 2>&1)"
done
finish
