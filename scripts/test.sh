#!/usr/bin/env bash
# The whole test suite: installs what is missing, runs the Swift tests, then the
# independent Python conformance suite against a real `tom-node --mode seed`, the
# multi-process gateway tests (seeds and peers on loopback), the libtorrent interop checks,
# the tom-harness conformance and migrate runs, and a 1,000-node simulation with assertions.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

swift build --build-tests
swift test --skip-build 2>&1 | tee .build/swift-test.log
# swift test exits 0 when tests pass; keep its status even through tee.
[ "${PIPESTATUS[0]}" -eq 0 ]

bash scripts/conformance-seed.sh
python3 scripts/gateway-tests.py --tom-node .build/debug/tom-node
bash scripts/interop.sh
bash scripts/harness.sh
python3 scripts/fault-tests.py --tom-node .build/debug/tom-node
bash scripts/simulate.sh
