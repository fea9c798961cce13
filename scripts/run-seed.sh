#!/usr/bin/env bash
# Installs what is missing, builds tom-node in release mode and starts it as a seed on
# port 3001 (or $PORT). Extra arguments go to tom-node, e.g. --log-level debug.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
swift build -c release --product tom-node
exec .build/release/tom-node --mode seed "$@"
