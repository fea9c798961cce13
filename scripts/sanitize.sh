#!/usr/bin/env bash
# Runs the Swift test suite under a sanitizer, in its own scratch path, and reports.
#
#   scripts/sanitize.sh address [-- extra swift test arguments]
#   scripts/sanitize.sh thread  [-- --filter TomDHTTests]
#
# address: swift test --sanitize=address in .build-asan (leak checking off: the Swift
#          runtime's caches and detached tasks read as leaks).
# thread:  swift test --sanitize=thread in .build-tsan.
# Sanitizer reports go to <scratch>/reports/<sanitizer>.<pid> (one file per process that
# reported), and are summarised at the end: each distinct report's first frames in our
# sources. The exit status is non-zero when a test failed or any report was written.
# Both runs build the whole package and its dependencies again with instrumentation: they
# take long and use every core, so run them one at a time.
set -uo pipefail
cd "$(dirname "$0")/.."

usage() {
    echo "usage: scripts/sanitize.sh address|thread [-- extra swift test args]" >&2
    exit 2
}
[ $# -ge 1 ] || usage
sanitizer=$1
shift
if [ "${1:-}" = "--" ]; then shift; fi
case "$sanitizer" in
    address) scratch=.build-asan; prefix=asan ;;
    thread) scratch=.build-tsan; prefix=tsan ;;
    *) usage ;;
esac

reports="$scratch/reports"
rm -rf "$reports"
mkdir -p "$reports"
log="$scratch/swift-test.log"

export ASAN_OPTIONS="detect_leaks=0:log_path=$PWD/$reports/asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
# halt_on_error=0: keep running after a race so that one run lists every race it meets.
export TSAN_OPTIONS="halt_on_error=0:log_path=$PWD/$reports/tsan${TSAN_OPTIONS:+:$TSAN_OPTIONS}"

echo "== swift test --sanitize=$sanitizer --scratch-path $scratch $*" >&2
start=$(date +%s)
swift build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch" 2>&1 \
    | grep -E "error|warning: |Build complete" | tail -20
# One test at a time: instrumented simulations run for minutes, and in parallel they hold
# every thread of the concurrency pool, so unrelated tests time out waiting for a thread.
swift test --skip-build --no-parallel --sanitize="$sanitizer" --scratch-path "$scratch" "$@" >"$log" 2>&1
status=$?
elapsed=$(( $(date +%s) - start ))

echo "== results ($elapsed s, swift test exit $status; full log: $log)"
grep -E "Test run with .* (passed|failed)|Executed [0-9]+ tests|✘ Test .* (failed|recorded)" "$log" | tail -20

report_files=("$reports"/*)
if [ ! -e "${report_files[0]}" ]; then
    echo "== no $sanitizer sanitizer reports"
else
    echo "== $(ls "$reports" | wc -l) process(es) wrote $sanitizer sanitizer reports in $reports:"
    # One line per report kind and first frame in this package's sources.
    for file in "${report_files[@]}"; do
        awk -v file="$(basename "$file")" '
            /^(WARNING|ERROR): (Thread|Address)Sanitizer:/ { kind = $0; sub(/ \(pid=[0-9]+\)/, "", kind); frame = ""; next }
            kind != "" && frame == "" && /\/work\/main\/(Sources|Tests)\// { frame = $0; sub(/^ *#[0-9]+ [^ ]+ in /, "", frame); print kind " | " frame; kind = "" }
        ' "$file"
    done | sort | uniq -c | sort -rn | head -40
    status=1
fi
exit "$status"
