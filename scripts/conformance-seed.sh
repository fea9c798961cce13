#!/usr/bin/env bash
# Starts a debug tom-node seed on a free loopback port with a throwaway data directory,
# runs scripts/conformance.py against it, and stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.build/debug/tom-node
[ -x "$bin" ] || swift build --product tom-node
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" --mode seed --host 127.0.0.1 --port "$port" --data-dir "$data" --log-level warning &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
  sleep 0.1
done
python3 scripts/conformance.py --url "ws://127.0.0.1:$port"
