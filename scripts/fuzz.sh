#!/usr/bin/env bash
# Builds and runs one libFuzzer target over the package's decoders.
#
#   scripts/fuzz.sh TARGET SECONDS [-- extra libFuzzer arguments]
#   scripts/fuzz.sh krpc 600 -- -runs=10000000
#   scripts/fuzz.sh bencode 0 -- fuzz-artifacts/bencode/crash-1234   # replay one input
#
# Targets: bencode krpc legacy-json bep44-item signed-peer link-frame (Fuzz/<target>.swift).
#
# SwiftPM cannot link a libFuzzer executable, so this builds the decoder modules (TomGateway
# and everything it depends on: Bencode, TomDHT, TomCrypto with the real swift-crypto and
# libsodium, TomSignaling, NIOCore...) with SwiftPM into .build-fuzz, with coverage and
# AddressSanitizer instrumentation (with no executable linked, `-sanitize=fuzzer` only adds
# coverage counters), then compiles Fuzz/<target>.swift with swiftc -sanitize=fuzzer,address
# -parse-as-library -O against those modules and links it with their object files.
#
# The run starts from Fuzz/corpus/<target>/ (read only; new inputs go to
# .build-fuzz/corpus/<target>/) and writes any crashing input to fuzz-artifacts/<target>/.
# SECONDS bounds the run (-max_total_time); 0 means no time bound. Runs use one process
# (-jobs=1 style), since the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."

targets="bencode krpc legacy-json bep44-item signed-peer link-frame"
usage() {
    echo "usage: scripts/fuzz.sh TARGET SECONDS [-- extra libFuzzer args]" >&2
    echo "targets: $targets" >&2
    exit 2
}
[ $# -ge 2 ] || usage
target=$1
seconds=$2
shift 2
if [ "${1:-}" = "--" ]; then shift; fi
case " $targets " in *" $target "*) ;; *) usage ;; esac
[[ "$seconds" =~ ^[0-9]+$ ]] || usage

scratch=.build-fuzz
# libsodium's headers and library; bootstrap.sh installs the rest of the toolchain's needs.
if ! pkg-config --exists libsodium 2>/dev/null; then
    apt-get install -y libsodium-dev >/dev/null
fi

bin=$(swift build -c release --scratch-path "$scratch" --show-bin-path)
executable="$bin/fuzz-$target"

build_modules() {
    echo "== building the instrumented modules (swift build --scratch-path $scratch)" >&2
    # swiftc keeps only the last -sanitize= it is given, and SwiftPM passes one per --sanitize,
    # so the Swift modules get both in one flag (clang adds its -fsanitize= flags up instead).
    swift build -c release --scratch-path "$scratch" --target TomGateway \
        --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address 2>&1 | grep -E "error|warning: |complete!|Compiling Swift Module" >&2 || true
    [ -f "$bin/Modules/TomGateway.swiftmodule" ] || { echo "the module build failed" >&2; exit 1; }
}

link_target() {
    # The C-module search flags SwiftPM used for TomGateway, so the target imports the same modules.
    local import_flags objects sources newest
    mapfile -t import_flags < <(python3 - "$scratch/release.yaml" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
for index, line in enumerate(lines):
    if line.strip().startswith('"C.TomGateway-') and line.strip().endswith('-release.module":'):
        for following in lines[index + 1:index + 12]:
            if following.strip().startswith("args:"):
                args = json.loads(following.strip()[len("args:"):])
                flags, i = [], 0
                while i < len(args):
                    if args[i] in ("-Xcc", "-I") and i + 1 < len(args):
                        flags += args[i:i + 2]
                        i += 2
                    else:
                        i += 1
                print("\n".join(flags))
                sys.exit(0)
sys.exit("no TomGateway compile command in " + sys.argv[1])
PY
    )
    # Only TomGateway's closure is ever built in this scratch path, so its objects are exactly these.
    mapfile -t objects < <(find "$bin" -path "$bin/*.build/*.o" -type f | sort)
    sources=("Fuzz/$target.swift" Fuzz/Support/*.swift)
    newest=$(ls -t "${sources[@]}" "$bin"/Modules/{TomGateway,TomDHT,TomSignaling,Bencode}.swiftmodule | head -1)
    [ -x "$executable" ] && [ ! "$newest" -nt "$executable" ] && return
    echo "== linking $executable" >&2
    swiftc -sanitize=fuzzer,address -parse-as-library -O \
        -module-name "Fuzz_${target//-/_}" \
        "${sources[@]}" \
        -I "$bin/Modules" "${import_flags[@]}" \
        "${objects[@]}" -lsodium -lstdc++ \
        -o "$executable"
}

# FUZZ_NO_BUILD=1 uses the modules as last built (for long runs while the sources keep changing).
if [ "${FUZZ_NO_BUILD:-0}" != 1 ] || [ ! -f "$bin/Modules/TomGateway.swiftmodule" ]; then
    build_modules
fi
link_target

work_corpus="$scratch/corpus/$target"
artifacts="fuzz-artifacts/$target/"
mkdir -p "$work_corpus" "$artifacts"
limits=()
[ "$seconds" -gt 0 ] && limits+=("-max_total_time=$seconds")

# Given input files (to replay a crash), libFuzzer runs just those; otherwise it fuzzes the corpora.
inputs=("$work_corpus" "Fuzz/corpus/$target")
for argument in "$@"; do
    if [ -f "$argument" ]; then inputs=(); break; fi
done

echo "== running $target" >&2
# ASan's leak check is off: Swift's runtime keeps metadata caches that LSan reports as leaks.
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}" "$executable" \
    "-artifact_prefix=$artifacts" -print_final_stats=1 "${limits[@]}" \
    "$@" "${inputs[@]}"
