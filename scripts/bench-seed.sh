#!/usr/bin/env bash
# Measures a release `tom-node --mode seed` with tom-load on this machine (loopback only):
# relay throughput and latency, registration storms (legacy and coalesced) and idle
# connections. Prints each tool summary; Docs/performance.md records the figures.
#   scripts/bench-seed.sh [relay|storm|idle|all]
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-all}
bash scripts/bootstrap.sh
swift build -c release --product tom-node >/dev/null
swift build -c release --product tom-load >/dev/null
node=.build/release/tom-node
load=.build/release/tom-load

start_node() {
  data=$(mktemp -d)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$node" --mode seed --host 127.0.0.1 --port "$port" --data-dir "$data" --log-level error "$@" &
  pid=$!
  for _ in $(seq 1 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "tom-node did not start" >&2; exit 1
}
stop_node() { kill -TERM "$pid"; wait "$pid" || true; rm -rf "$data"; pid=""; }
# A load run that times out must not leave its server running (it would skew later runs).
pid=""
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; true' EXIT

if [ "$which" = relay ] || [ "$which" = all ]; then
  # 2,000 signals from one connection in well under a second exceed the default per-connection
  # limits (--message-burst 500, --message-rate 100/s), which would close it with 1008.
  start_node --message-rate 0 --byte-rate 0
  echo "== relay: 2 clients, window 1 (latency floor; message limits off)"
  "$load" relay --url "ws://127.0.0.1:$port" --clients 2 --signals 2000 --window 1 --server-pid "$pid"
  stop_node
  # 500 signals per client fit in the default burst, so this runs with the default limits.
  start_node
  echo "== relay: 200 clients x 500 signals, window 64"
  "$load" relay --url "ws://127.0.0.1:$port" --clients 200 --signals 500 --payload-bytes 200 --window 64 --server-pid "$pid"
  stop_node
fi
if [ "$which" = storm ] || [ "$which" = all ]; then
  start_node
  echo "== storm: 500 clients, legacy participants (one list per join)"
  "$load" storm --url "ws://127.0.0.1:$port" --clients 500 --server-pid "$pid" --timeout 120
  stop_node
  start_node --coalesce-participants 50
  echo "== storm: 500 clients, --coalesce-participants 50"
  "$load" storm --url "ws://127.0.0.1:$port" --clients 500 --server-pid "$pid"
  stop_node
fi
if [ "$which" = idle ] || [ "$which" = all ]; then
  start_node --coalesce-participants 1000
  echo "== idle: 10000 registered connections (coalesced lists)"
  "$load" idle --url "ws://127.0.0.1:$port" --clients 10000 --hold-seconds 10 --server-pid "$pid" --timeout 300
  stop_node
  start_node
  echo "== idle: 10000 unregistered connections"
  "$load" idle --url "ws://127.0.0.1:$port" --clients 10000 --no-register --hold-seconds 10 --server-pid "$pid" --timeout 120
  stop_node
fi
