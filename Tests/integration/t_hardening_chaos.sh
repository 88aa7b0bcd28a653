#!/usr/bin/env bash
# Crash safety: CHAOS_RUNS (default 10; `make chaos` runs 100) rounds of kill -9 on the helper or a
# worker at a random moment (during start, while serving, during stop), then recovery (`cleanup`,
# or a new start and a clean stop, chosen at random when the helper died). After every round the
# namespace's resolv.conf, addresses, routes and nftables must be exactly as before the first
# start, no agent process may be left, and the state file must be gone. CHAOS_SEED replays a run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent.sh"
NS=bca-hardening-chaos
RUNS=${CHAOS_RUNS:-10}
SEED=${CHAOS_SEED:-$(($(date +%s) % 100000))}
RANDOM=$SEED
log "seed $SEED (CHAOS_SEED=$SEED replays this run), $RUNS rounds"
agent_setup $NS
before=$(snapshot_host $NS)
helper=$BCA_BIN/boundary-agent-helper

# ms N: sleep N milliseconds.
ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }

start_helper() {
    ip netns exec $NS "$helper" -config "$AGENT_CONFIG" >>"$AGENT_DIR/helper.out" 2>&1 &
    AGENT_PID=$!
}

serving_count() { grep -c "helper: serving (" "$AGENT_DIR/agent.log" 2>/dev/null || echo 0; }

# Our processes still alive in the namespace (dnsmasq, the upstream, is the test's own).
leftovers() {
    local p out=""
    for p in $(ip netns pids $NS 2>/dev/null); do
        case "$(basename "$(readlink /proc/$p/exe 2>/dev/null)")" in
        boundary-agent-*) out="$out $p" ;;
        esac
    done
    echo "$out"
}

clean_runs=0
for ((run = 1; run <= RUNS; run++)); do
    targets=(helper dns proxy)
    phases=(start serving stop)
    target=${targets[$((RANDOM % 3))]}
    phase=${phases[$((RANDOM % 3))]}
    delay=$((RANDOM % 1200))
    seen=$(serving_count)
    start_helper
    case $phase in
    start)
        if [ $target = helper ]; then
            ms $delay
        else
            # As soon as the worker exists, then a little later: mid-bootstrap or just after.
            wait_for 10 agent_worker_pid $target || true
            ms $((delay / 4))
        fi
        ;;
    serving | stop)
        wait_for 30 bash -c "[ \$(grep -c 'helper: serving (' '$AGENT_DIR/agent.log') -gt $seen ]" ||
            fail "round $run: the agent did not start"
        ms $((delay / 2))
        if [ $phase = stop ]; then
            kill -TERM $AGENT_PID 2>/dev/null
            ms $((delay / 8))
        fi
        ;;
    esac
    if [ $target = helper ]; then
        victim=$AGENT_PID
    else
        victim=$(agent_worker_pid $target 2>/dev/null || true)
    fi
    [ -n "$victim" ] && kill -KILL "$victim" 2>/dev/null
    [ $target = helper ] && wait $AGENT_PID 2>/dev/null
    recovery=none
    # (kill -0 would still find the helper's zombie: ask the target instead.)
    if [ $target = helper ]; then
        wait $AGENT_PID 2>/dev/null
        # A worker spawned just before the kill may still be loading (it exits on the EOF of fd 3).
        wait_for 15 test -z "$(leftovers)" || fail "round $run: workers outlived the helper: $(leftovers)"
        if [ $((RANDOM % 2)) = 0 ]; then
            recovery=cleanup
            in_ns $NS "$helper" cleanup -config "$AGENT_CONFIG" >>"$AGENT_DIR/helper.out" 2>&1 ||
                fail "round $run: cleanup failed: $(tail -3 "$AGENT_DIR/helper.out")"
        else
            recovery=restart
            seen=$(serving_count)
            start_helper
            wait_for 30 bash -c "[ \$(grep -c 'helper: serving (' '$AGENT_DIR/agent.log') -gt $seen ]" ||
                fail "round $run: no restart after the crash: $(tail -3 "$AGENT_DIR/helper.out")"
            kill -TERM $AGENT_PID
            wait $AGENT_PID 2>/dev/null
        fi
    else
        # A worker died: the helper restarts it (or, mid-start, gives up and undoes everything).
        if [ $phase != stop ]; then
            ms 300
            kill -TERM $AGENT_PID 2>/dev/null
        fi
        wait_for 15 bash -c "! kill -0 $AGENT_PID 2>/dev/null" || {
            fail "round $run: the helper did not stop; killing it"
            kill -KILL $AGENT_PID
        }
        wait $AGENT_PID 2>/dev/null
    fi
    what="round $run: kill -9 $target during $phase after ${delay}ms, recovery $recovery"
    after=$(snapshot_host $NS)
    if [ "$after" = "$before" ] && [ -z "$(leftovers)" ] && [ ! -e "$AGENT_DIR/run/state.json" ]; then
        clean_runs=$((clean_runs + 1))
        ok "$what: host exactly as before"
    else
        fail "$what: the host changed (or a process or the state file was left)"
        diff <(echo "$before") <(echo "$after") | sed 's/^/        | /' | head -20
        log "leftovers: [$(leftovers)] state file: $(ls "$AGENT_DIR/run/state.json" 2>&1)"
        # Put it back for the next round, so one failure is not counted RUNS times.
        in_ns $NS "$helper" cleanup -config "$AGENT_CONFIG" >/dev/null 2>&1
    fi
done
log "chaos: $clean_runs of $RUNS rounds left the host exactly as before (seed $SEED)"
finish
