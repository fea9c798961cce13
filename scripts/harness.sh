#!/usr/bin/env bash
# Quick tom-harness runs for CI (well under two minutes once built):
#   1. tom-harness conformance against a lone tom-node peer (the legacy protocol in peer mode);
#   2. tom-harness migrate: 1 seed + 2 peers + 4 clients on 127.0.0.1 (degrade, cross-node
#      presence and signals, SIGKILL of the seed, clients moving to peers, nothing lost);
#   3. tom-harness conformance --require-auth against a seed started with --require-auth.
# Each prints one line per case/step and 'N passed, M failed'; the script fails if either fails.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product tom-node
swift build --product tom-harness
bin=.build/debug

data=$(mktemp -d)
read -r port dht < <(python3 -c '
import socket
t = socket.socket(); t.bind(("127.0.0.1", 0))
u = socket.socket(type=socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
print(t.getsockname()[1], u.getsockname()[1])')
# A lone peer: it bootstraps from itself, so it never contacts the public DHT routers.
"$bin/tom-node" --mode peer --host 127.0.0.1 --port "$port" --dht-port "$dht" --bootstrap "127.0.0.1:$dht" \
  --data-dir "$data" --topic "tom-harness-ci-$$" --log-level warning > "$data/peer.log" 2>&1 &
peer=$!
trap 'kill -TERM $peer 2>/dev/null; wait $peer 2>/dev/null; rm -rf "$data"' EXIT
up=0
for _ in $(seq 1 200); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && { up=1; break; }
  kill -0 $peer 2>/dev/null || break
  sleep 0.1
done
if [ "$up" -ne 1 ]; then
  echo "harness.sh: the lone peer did not start; its log:" >&2
  tail -20 "$data/peer.log" >&2
  exit 1
fi

status=0
echo "== tom-harness conformance against a lone peer (ws://127.0.0.1:$port)"
timeout 60 "$bin/tom-harness" conformance --url "ws://127.0.0.1:$port" || { status=1; tail -20 "$data/peer.log"; }
echo "== tom-harness migrate: 1 seed + 2 peers + 4 clients"
timeout 90 "$bin/tom-harness" migrate --peers 2 --clients 4 --link-grace 2 --gateway-refresh 2 --timeout 15 || status=1
echo "== tom-harness conformance --require-auth against a seed started with --require-auth"
authport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin/tom-node" --mode seed --host 127.0.0.1 --port "$authport" --data-dir "$data/auth" --require-auth \
  --log-level warning > "$data/auth.log" 2>&1 &
auth=$!
trap 'kill -TERM $peer $auth 2>/dev/null; wait $peer $auth 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $authport), 0.2)" 2>/dev/null && break
  sleep 0.1
done
timeout 30 "$bin/tom-harness" conformance --url "ws://127.0.0.1:$authport" --require-auth || { status=1; tail -20 "$data/auth.log"; }
exit $status
