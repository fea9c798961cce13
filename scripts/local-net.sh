#!/usr/bin/env bash
# A small ToM network on 127.0.0.1 for trying things by hand: one tom-node seed and N-1
# peers of one topic (DHT bootstrapped from each other, gateways linked statically), and
# optionally M libtorrent DHT sessions in the same DHT (a mixed network).
#
#   scripts/local-net.sh [start] [--nodes N] [--libtorrent M] [--topic NAME] [--state-dir DIR] [--detach]
#   scripts/local-net.sh stop   [--state-dir DIR]
#   scripts/local-net.sh status [--state-dir DIR]
#
# start prints every endpoint (ws URL, DHT port, data dir, log file), then waits: Ctrl-C stops
# everything. With --detach it returns at once; `scripts/local-net.sh stop` stops the nodes
# later (their pids are kept in DIR/pids). Defaults: 4 nodes, no libtorrent, topic
# tom-local-net, state dir .build/local-net. Nothing listens beyond 127.0.0.1 and no node
# contacts the public DHT routers.
#
# Degrade the seed:   curl -X POST http://127.0.0.1:SEEDPORT/admin/degrade
# Check the network:  .build/debug/tom-harness migrate --targets ws://127.0.0.1:P1,ws://127.0.0.1:P2
set -euo pipefail
cd "$(dirname "$0")/.."

command=start
case "${1:-}" in
  start|stop|status) command=$1; shift ;;
esac
nodes=4
libtorrent=0
topic=tom-local-net
state=.build/local-net
detach=0
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes=$2; shift 2 ;;
    --libtorrent) libtorrent=$2; shift 2 ;;
    --topic) topic=$2; shift 2 ;;
    --state-dir) state=$2; shift 2 ;;
    --detach) detach=1; shift ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "local-net.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
pids="$state/pids"

# Is PID still the process we started (and not a reused pid)?
ours() {
  local pid=$1
  [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -e tom-node -e local-net-libtorrent
}

stop_all() {
  [ -f "$pids" ] || { echo "local-net: nothing running ($pids not found)"; return 0; }
  local name pid
  while read -r name pid; do
    if ours "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
  done < "$pids"
  for _ in $(seq 1 50); do
    local alive=0
    while read -r name pid; do ours "$pid" && alive=1; done < "$pids"
    [ "$alive" -eq 0 ] && break
    sleep 0.1
  done
  while read -r name pid; do
    if ours "$pid"; then echo "local-net: $name ($pid) did not stop, killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
  done < "$pids"
  rm -f "$pids"
  echo "local-net: stopped"
}

status() {
  [ -f "$pids" ] || { echo "local-net: nothing running"; return 0; }
  local name pid
  while read -r name pid; do
    if ours "$pid"; then echo "$name pid $pid running"; else echo "$name pid $pid gone"; fi
  done < "$pids"
  [ -f "$state/endpoints" ] && cat "$state/endpoints"
  return 0
}

case "$command" in
  stop) stop_all; exit 0 ;;
  status) status; exit 0 ;;
esac

[[ "$nodes" =~ ^[0-9]+$ ]] && [ "$nodes" -ge 1 ] && [ "$nodes" -le 64 ] || { echo "local-net.sh: --nodes must be 1...64" >&2; exit 2; }
[[ "$libtorrent" =~ ^[0-9]+$ ]] && [ "$libtorrent" -le 16 ] || { echo "local-net.sh: --libtorrent must be 0...16" >&2; exit 2; }
if [ -f "$pids" ]; then
  while read -r _ pid; do
    if ours "$pid"; then echo "local-net.sh: already running (see '$0 status' / '$0 stop')" >&2; exit 1; fi
  done < "$pids"
fi
bin=.build/debug/tom-node
[ -x "$bin" ] || swift build --product tom-node
if [ "$libtorrent" -gt 0 ] && ! python3 -c "import libtorrent" 2>/dev/null; then
  python3 -m pip install --quiet -r scripts/requirements-interop.txt
fi
mkdir -p "$state"
: > "$pids"

# Free ports: a TCP (WebSocket) and a UDP (DHT) port per node, a UDP port per libtorrent session.
read -r -a ports < <(python3 - "$nodes" "$libtorrent" <<'EOF'
import socket, sys
nodes, sessions = int(sys.argv[1]), int(sys.argv[2])
held, out = [], []
def grab(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    held.append(s)
    return s.getsockname()[1]
for _ in range(nodes):
    out += [grab(socket.SOCK_STREAM), grab(socket.SOCK_DGRAM)]
for _ in range(sessions):
    port = grab(socket.SOCK_DGRAM)
    out.append(port)
print(" ".join(map(str, out)))
EOF
)
ws=(); dht=(); lt=()
for i in $(seq 0 $((nodes - 1))); do ws+=("${ports[$((2 * i))]}"); dht+=("${ports[$((2 * i + 1))]}"); done
for j in $(seq 0 $((libtorrent - 1))); do lt+=("${ports[$((2 * nodes + j))]}"); done

join() { local IFS=,; echo "$*"; }
started_ok=0
cleanup_on_failure() { [ "$started_ok" -eq 1 ] || stop_all; }
trap cleanup_on_failure EXIT

endpoints="$state/endpoints"
: > "$endpoints"
for i in $(seq 0 $((nodes - 1))); do
  if [ "$i" -eq 0 ]; then name=seed; mode=seed; else name=peer$i; mode=peer; fi
  gateways=(); boot=()
  for k in $(seq 1 $((nodes - 1))); do
    [ "$k" -ne "$i" ] && gateways+=("127.0.0.1:${ws[$k]}")
  done
  for k in $(seq 0 $((nodes - 1))); do
    [ "$k" -ne "$i" ] && boot+=("127.0.0.1:${dht[$k]}")
  done
  for port in "${lt[@]}"; do boot+=("127.0.0.1:$port"); done
  [ "${#boot[@]}" -gt 0 ] || boot=("127.0.0.1:${dht[$i]}")  # a lone node: never the public routers
  args=(--mode "$mode" --host 127.0.0.1 --port "${ws[$i]}" --dht-port "${dht[$i]}" --data-dir "$state/$name"
        --topic "$topic" --bootstrap "$(join "${boot[@]}")")
  [ "${#gateways[@]}" -gt 0 ] && args+=(--gateway "$(join "${gateways[@]}")")
  "$bin" "${args[@]}" > "$state/$name.log" 2>&1 &
  echo "$name $!" >> "$pids"
  echo "$name ws://127.0.0.1:${ws[$i]} dht 127.0.0.1:${dht[$i]} data $state/$name log $state/$name.log" >> "$endpoints"
done

if [ "$libtorrent" -gt 0 ]; then
  # One python process runs every session; it stays until SIGTERM.
  # The first argument marks the process as ours for 'stop' (see ours()).
  python3 - local-net-libtorrent "$(join "${lt[@]}")" "$(join "${dht[@]}")" > "$state/libtorrent.log" 2>&1 <<'EOF' &
# local-net-libtorrent: libtorrent DHT sessions on 127.0.0.1 that join the tom-node DHT.
import signal, sys, time, warnings
import libtorrent as lt
warnings.filterwarnings("ignore", category=DeprecationWarning)
own = [int(p) for p in sys.argv[2].split(",")]
toms = [int(p) for p in sys.argv[3].split(",")]
sessions = []
for port in own:
    sessions.append(lt.session({
        "enable_dht": True, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "listen_interfaces": f"127.0.0.1:{port}", "dht_bootstrap_nodes": "",
        "dht_restrict_routing_ips": False, "dht_restrict_search_ips": False, "dht_ignore_dark_internet": False,
    }))
for session in sessions:
    for port in toms + own:
        if port != session.listen_port():
            session.add_dht_node(("127.0.0.1", port))
print(f"libtorrent {lt.__version__}: sessions on {own}", flush=True)
running = True
def stop(*_):
    global running
    running = False
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
while running:
    time.sleep(0.2)
del sessions
print("libtorrent sessions stopped", flush=True)
EOF
  echo "libtorrent $!" >> "$pids"
  for port in "${lt[@]}"; do echo "libtorrent dht 127.0.0.1:$port log $state/libtorrent.log" >> "$endpoints"; done
fi

# Wait until every node answers /health.
for i in $(seq 0 $((nodes - 1))); do
  for _ in $(seq 1 150); do
    python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${ws[$i]}/health', timeout=0.5)" 2>/dev/null && break
    sleep 0.1
  done
done
started_ok=1
trap - EXIT

echo "local-net: $nodes tom-node processes (topic $topic), $libtorrent libtorrent sessions; state in $state"
cat "$endpoints"
echo "seed degrade: curl -X POST http://127.0.0.1:${ws[0]}/admin/degrade"
if [ "$detach" -eq 1 ]; then
  echo "stop with: $0 stop${state:+ --state-dir $state}"
  exit 0
fi
echo "Ctrl-C (or '$0 stop' elsewhere) stops everything"
trap 'echo; stop_all; exit 0' INT TERM
# Return when every process has gone (e.g. after '$0 stop' from another shell).
while [ -f "$pids" ]; do
  alive=0
  while read -r _ pid; do ours "$pid" && alive=1; done < "$pids"
  [ "$alive" -eq 0 ] && break
  sleep 1
done
rm -f "$pids"
