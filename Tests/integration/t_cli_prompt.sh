#!/usr/bin/env bash
# The password and token prompts on a real terminal (a tmux pane running an interactive shell as
# bca-u1): nothing typed is echoed, the terminal has echo off exactly while the prompt waits, and it
# gets echo back on every way out: success, Ctrl-C, Ctrl-D, kill, and Ctrl-Z (echo on while
# stopped, off again after `fg`). The shell is dash: bash puts back its own terminal settings after
# a job dies of a signal, which would hide a CLI that does not.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cli_fixture.sh"
need_tool tmux stty pgrep

cli_setup bca-cli-prompt
tm=bca-cli-prompt-$$
on_exit "tmux -L $tm kill-server"
tmux -L $tm new-session -d -s p -x 220 -y 60 \
    "ip netns exec $CLI_NS runuser -u bca-u1 -- env -i PATH=/usr/bin:/bin HOME=/tmp TERM=xterm PS1='bca-prompt$ ' dash -i"
pane_tty=$(tmux -L $tm display -p -t p '#{pane_tty}')
check "the pane has a terminal" test -c "$pane_tty"

screen() { tmux -L $tm capture-pane -p -t p -S -300; }
screen_has() { screen | grep -qF -- "$1"; }
keys() { tmux -L $tm send-keys -t p "$@"; }
type_text() { tmux -L $tm send-keys -t p -l -- "$1"; }
# run_line TEXT: type a command line ending in a marker that prints its exit status as :rcN:S:
# (the typed text shows `:rcN:$?:`, so only the output matches).
run=0
run_line() {
    run=$((run + 1))
    prompts_before=$(screen | grep -c "(will be hidden):")
    type_text "$1; echo :rc$run:\$?:"
    keys Enter
}
# A prompt printed by this run (earlier ones stay on the screen).
prompted() { [ "$(screen | grep -c "(will be hidden):")" -gt "$prompts_before" ] && screen_has "$1"; }
finished() { screen | grep -Eq "^:rc$run:[0-9]+:\$"; }
last_rc() { screen | sed -n "s/^:rc$run:\([0-9]*\):\$/\1/p" | tail -1; }
# The terminal's echo flag as stty prints it: "echo" or "-echo". dash has no line editor and never
# sets terminal modes, so between commands the terminal is as the last program left it.
echo_state() { stty -F "$pane_tty" -a | tr ' ' '\n' | grep -x -e echo -e -echo; }
echo_is() { [ "$(echo_state)" = "$1" ]; }

login_line="$CLI login -socket $CLI_SOCK -addr $CLI_CTL -auth-method-id $CLI_METHOD -login-name alice"
wait_for 10 screen_has 'bca-prompt$' || fatal "the shell in the pane did not start"
assert_eq "the pane starts with echo on" echo "$(echo_state)"

# --- a successful login typed at the prompt ---
run_line "$login_line"
wait_for 15 prompted "Password (will be hidden):" || fatal "no password prompt: $(screen)"
assert_eq "echo is off while the prompt waits" -echo "$(echo_state)"
pid=$(pgrep -u bca-u1 -f "boundary-agent login" | head -1)
check "the login process runs as bca-u1" test -n "$pid"
type_text "$ALICE_PW"
keys Enter
wait_for 20 finished || fatal "login did not finish: $(screen)"
assert_eq "login from the prompt: exit 0" 0 "$(last_rc)"
assert_contains "signed in" "User ID:           u_1111111111" "$(screen)"
assert_not_contains "the typed password never appeared on the terminal" "$ALICE_PW" "$(screen)"
assert_eq "echo is back on" echo "$(echo_state)"
assert_contains "the agent has alice's token for bca-u1" u_1111111111 \
    "$(as_user bca-u1 "$CLI" status -format json -socket "$CLI_SOCK" | jq -r .user_id)"

# --- Ctrl-C at the prompt ---
run_line "$login_line"
wait_for 15 prompted "Password (will be hidden):" || fatal "no password prompt"
type_text "zq9partial"
# An interactive shell drops the rest of a command line whose command died of SIGINT, so the status
# is asked for on a line of its own, at the next shell prompt.
shell_prompts() { screen | grep -c '^bca-prompt\$'; }
prompts_now=$(shell_prompts)
keys C-c
wait_for 10 eval '[ "$(shell_prompts)" -gt "$prompts_now" ]' || fatal "Ctrl-C did not end login: $(screen)"
type_text "echo :rc$run:\$?:"
keys Enter
wait_for 10 finished || fatal "no status after Ctrl-C: $(screen)"
assert_eq "Ctrl-C: the shell sees SIGINT (130)" 130 "$(last_rc)"
assert_eq "Ctrl-C: echo is back on" echo "$(echo_state)"
assert_not_contains "Ctrl-C: the partial password was never shown" zq9partial "$(screen)"

# --- Ctrl-D (end of input) at the prompt ---
run_line "$login_line"
wait_for 15 prompted "Password (will be hidden):" || fatal "no password prompt"
keys C-d
wait_for 10 finished || fatal "Ctrl-D did not end login"
assert_eq "Ctrl-D: exit 1" 1 "$(last_rc)"
assert_contains "Ctrl-D: says nothing was entered" "nothing was entered" "$(screen)"
assert_eq "Ctrl-D: echo is back on" echo "$(echo_state)"

# --- killed at the prompt ---
run_line "$login_line"
wait_for 15 prompted "Password (will be hidden):" || fatal "no password prompt"
pid=$(pgrep -u bca-u1 -f "boundary-agent login" | head -1)
kill -TERM "$pid"
wait_for 10 finished || fatal "SIGTERM did not end login"
assert_eq "SIGTERM: exit by the signal (143)" 143 "$(last_rc)"
assert_eq "SIGTERM: echo is back on" echo "$(echo_state)"

# --- Ctrl-Z, then fg ---
run_line "$login_line"
wait_for 15 prompted "Password (will be hidden):" || fatal "no password prompt"
keys C-z
wait_for 10 finished || fatal "Ctrl-Z did not stop login: $(screen)"
assert_eq "Ctrl-Z: the shell reports the job stopped (148)" 148 "$(last_rc)"
assert_eq "stopped: the shell gets a terminal with echo" echo "$(echo_state)"
# `fg; echo :rcN:$?:` prints login's exit status once it ends.
run_line "fg"
wait_for 10 echo_is -echo
assert_eq "after fg: echo is off again for the rest of the password" -echo "$(echo_state)"
type_text "$ALICE_PW"
keys Enter
wait_for 20 finished || fatal "login did not finish after fg: $(screen)"
assert_eq "after fg: login succeeds" 0 "$(last_rc)"
assert_not_contains "after fg: the password never appeared" "$ALICE_PW" "$(screen)"
assert_eq "after fg: echo is back on" echo "$(echo_state)"

# --- token add typed at its prompt ---
token=$(printf '{"command":"login","attributes":{"login_name":"alice","password":"%s"}}' "$ALICE_PW" |
    in_ns "$CLI_NS" curl -s --data-binary @- "$CLI_CTL/v1/auth-methods/$CLI_METHOD:authenticate" | jq -r .attributes.token)
run_line "$CLI token add -socket $CLI_SOCK -addr $CLI_CTL"
wait_for 15 prompted "Auth token (will be hidden):" || fatal "no token prompt: $(screen)"
assert_eq "token prompt: echo off" -echo "$(echo_state)"
no_token_anywhere "token prompt waiting" "$token"
type_text "$token"
keys Enter
wait_for 20 finished || fatal "token add did not finish: $(screen)"
assert_eq "token add from the prompt: exit 0" 0 "$(last_rc)"
assert_contains "token add: the token's id" "now uses token $(cut -d_ -f1-2 <<<"$token")" "$(screen)"
assert_not_contains "token add: the token never appeared on the terminal" "${token#at_*_}" "$(screen)"
assert_eq "token add: echo is back on" echo "$(echo_state)"
no_token_anywhere "after the token prompt" "$token"

finish
