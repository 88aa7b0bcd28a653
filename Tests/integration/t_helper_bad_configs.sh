#!/usr/bin/env bash
# The malformed-configuration corpus (Tests/integration/configs, see its README): for every bad
# file, `-validate` and a real start both exit 1 printing exactly the expected diagnostics on stderr
# and nothing else, and the start leaves the host untouched. Every good file validates.
. "$(dirname "$0")/lib.sh"
need_root
need_tool ip nft
need_bin boundary-agent-helper
helper=$BCA_BIN/boundary-agent-helper
corpus=$(dirname "$0")/configs
NS=bca-privsep-badcfg
netns_create $NS
before=$(snapshot_host $NS)
work=$(tmpdir)

count=0
for file in "$corpus"/bad/*.hcl; do
    name=$(basename "$file" .hcl)
    expected=$(sed "s|FILE|$file|g" "$corpus/bad/$name.expected")
    "$helper" -config "$file" -validate >"$work/out" 2>"$work/err"
    rc=$?
    if [ $rc = 1 ] && [ "$(cat "$work/err")" = "$expected" ] && [ ! -s "$work/out" ]; then
        ok "-validate $name: exit 1 with the exact diagnostics"
    else
        fail "-validate $name: exit $rc; stderr [$(cat "$work/err")] stdout [$(cat "$work/out")], expected [$expected]"
    fi
    in_ns $NS "$helper" -config "$file" >"$work/out" 2>"$work/err"
    rc=$?
    if [ $rc = 1 ] && [ "$(cat "$work/err")" = "$expected" ] && [ ! -s "$work/out" ]; then
        ok "start with $name: exit 1 with the exact diagnostics"
    else
        fail "start with $name: exit $rc; stderr [$(cat "$work/err")] stdout [$(cat "$work/out")]"
    fi
    count=$((count + 1))
done
[ $count -ge 20 ] && ok "$count malformed files checked" || fail "only $count malformed files in $corpus/bad"
assert_eq "no start touched the host" "$before" "$(snapshot_host $NS)"

for file in "$corpus"/good/*.hcl; do
    out=$("$helper" -config "$file" -validate 2>&1)
    assert_eq "-validate $(basename "$file"): OK" "$file: configuration OK" "$out"
done

# Usage errors are exit 2, not 1.
"$helper" -nonsense >/dev/null 2>&1
assert_eq "an unknown flag is a usage error (exit 2)" 2 $?
"$helper" -config >/dev/null 2>&1
assert_eq "-config without a path is a usage error (exit 2)" 2 $?
finish
