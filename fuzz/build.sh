#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/targets/NAME.swift) into $FUZZ_OUT/fuzz-NAME.
#
# Each target compiles the sources of the modules it fuzzes straight from Sources/ with
# `-sanitize=fuzzer,address -O -enable-testing`, then its harness (which `@testable import`s them;
# the FuzzReplayTests unit tests compile the same file without the entry point), and links
# everything else (NIO, swift-log, our other modules) from the objects of the ordinary debug
# build, packed into one archive the linker picks from. So a fuzz build
# recompiles only what it fuzzes, and `make build`/`make test` never see a sanitizer flag.
#
# Needs the debug build first (`swift build`, which `make fuzz` runs).
# Usage: fuzz/build.sh [NAME...]   (default: every target)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
SWIFTC=${SWIFTC:-swiftc}
DEBUG=${BCA_DEBUG_BUILD:-$root/.build/debug}
OUT=${FUZZ_OUT:-$root/.build/fuzz}
SANITIZE=${FUZZ_SANITIZE:-fuzzer,address}

# The modules each target compiles instrumented, in dependency order.
declare -A CHAIN=(
    [dns]="DNSCodec"
    [hcl]="AgentConfig"
    [ipc]="AgentIPC"
    [json]="JSON"
    [controller-json]="JSON BoundaryWire"
    [session-token]="JSON BoundaryWire"
    [websocket]="BoundaryAPI"
    [cli-http]="AgentCLI"
    [local-api]="Broker"
)
ALL="dns hcl ipc json controller-json session-token websocket cli-http local-api"
targets=${*:-$ALL}

[ -d "$DEBUG/Modules" ] || {
    echo "fuzz/build.sh: no debug build at $DEBUG (run swift build first)" >&2
    exit 1
}
yaml=$(dirname "$(readlink -f "$DEBUG")")/debug.yaml
[ -f "$yaml" ] || yaml=$root/.build/debug.yaml
mkdir -p "$OUT"

# module_flags MODULE: the -I/-Xcc/-D/-package-name flags SwiftPM compiled MODULE with (C module
# maps, include paths), read from the build description.
module_flags() {
    python3 - "$yaml" "$1" <<'EOF'
import json, sys
path, module = sys.argv[1], sys.argv[2]
text = open(path).read()
key = '"C.%s-' % module
start = text.find(key)
if start < 0:
    sys.exit("no compile command for %s in %s" % (module, path))
line = next(l for l in text[start:].splitlines() if l.strip().startswith("args:"))
args = json.loads(line.split("args:", 1)[1])
out, i = [], 0
while i < len(args):
    a = args[i]
    if a in ("-Xcc", "-package-name", "-swift-version"):
        out += [a, args[i + 1]]
        i += 2
        continue
    if a.startswith("-D"):
        out.append(a)
    i += 1
print("\n".join(out))
EOF
}

# The archive of every library object of the debug build except the modules being recompiled
# (executables, tests and host tools left out), plus the link flags their autolink entries ask for.
deps_archive() {
    local name=$1 skip=$2 archive=$OUT/$1/deps.a
    rm -f "$archive"
    local objects=()
    local dir base
    for dir in "$DEBUG"/*.build; do
        base=$(basename "$dir" .build)
        case "$base" in
        # tests, host tools and executable targets (whose objects define entry points)
        *Tests | *PackageTests* | *PackageDiscoveredTests | *-tool | *-* | cli | generate_* | privileged_helper | \
            dns_worker | proxy_worker | dev_controller | dns_test_server | broker_test_server | sandbox_probe | \
            dataplane_check) continue ;;
        esac
        case " $skip " in *" $base "*) continue ;; esac
        # C targets keep their objects in subdirectories (BoringSSL's crypto/...).
        while IFS= read -r o; do objects+=("$o"); done < <(find "$dir" -name '*.o' ! -name '*.swiftmodule.o' | sort)
    done
    ar rcs "$archive" "${objects[@]}"
    swift-autolink-extract "${objects[@]}" -o "$OUT/$name/autolink.txt" 2>/dev/null || : >"$OUT/$name/autolink.txt"
}

build_one() {
    local name=$1
    local chain=${CHAIN[$name]:-}
    [ -n "$chain" ] || {
        echo "fuzz/build.sh: unknown target $name (have: $ALL)" >&2
        exit 2
    }
    local work=$OUT/$name
    rm -rf "$work" "$OUT/fuzz-$name"
    mkdir -p "$work/modules"
    deps_archive "$name" "$chain"
    local modules=($chain)
    local common=(-parse-as-library -O -sanitize="$SANITIZE" -g -I "$work/modules" -I "$DEBUG/Modules")
    local objects=()
    local m flags
    # The fuzzed modules, instrumented; -enable-testing so the harness can `@testable import` them.
    for m in "${modules[@]}"; do
        mapfile -t flags < <(module_flags "$m")
        "$SWIFTC" -module-name "$m" "${common[@]}" "${flags[@]}" -enable-testing -wmo -emit-module \
            -emit-module-path "$work/modules/$m.swiftmodule" -c -o "$work/$m.o" $(find Sources/"$m" -name '*.swift' | sort) 2>&1 |
            grep -v -e '^warning: ' >&2 || true
        [ -s "$work/$m.o" ] || {
            echo "fuzz/build.sh: $m did not compile" >&2
            exit 1
        }
        objects+=("$work/$m.o")
    done
    # The harness: its own module, with the libFuzzer entry point, linked against the rest.
    mapfile -t flags < <(module_flags "${modules[${#modules[@]} - 1]}")
    local link=()
    read -r -a link <"$work/autolink.txt" || true
    "$SWIFTC" -module-name "fuzz_${name//-/_}" "${common[@]}" "${flags[@]}" -D FUZZ_ENTRY "fuzz/targets/$name.swift" \
        "${objects[@]}" "$work/deps.a" "${link[@]}" -o "$OUT/fuzz-$name" 2>&1 |
        grep -v -e 'ld.gold: warning: Cannot export local symbol' -e '^warning: ' >&2 || true
    [ -x "$OUT/fuzz-$name" ] || {
        echo "fuzz/build.sh: fuzz-$name did not link" >&2
        exit 1
    }
    echo "built $OUT/fuzz-$name"
}

for t in $targets; do build_one "$t"; done
