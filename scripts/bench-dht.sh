#!/usr/bin/env bash
# DHT figures on this machine (release build): ping and find_node answered per second on
# loopback by one node, as a share of a bare NIO UDP echo measured in the same run; BEP 44
# mutable puts verified and stored per CPU-second (sans-IO), next to libsodium's verification
# alone; memory per stored item and per
# routing-table entry. Extra arguments go to `tom-node dht bench` (--seconds, --window,
# --generator batch|nio, --items, --value-bytes, --json).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product tom-node
exec .build/release/tom-node dht bench "$@"
