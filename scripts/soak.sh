#!/usr/bin/env bash
# Soak test: scripts/soak.sh [MINUTES] (default 30). Three tom-node peers linked as gateways
# on 127.0.0.1 under a mixed load (resident and churning legacy clients, signals across
# gateways, a KRPC pinger and `tom-node dht` verbs); the RSS and open file descriptors of
# every tom-node are sampled every 10 s and printed as a table, then the least-squares slope
# of each after the warm-up (KiB/min, fds/min). Fails when a slope is over its threshold
# (Docs/performance.md, "Soak"). Uses the release build (TOM_SOAK_BUILD=debug for debug).
# Not part of scripts/test.sh: it takes as long as it is told to.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-30}"
config="${TOM_SOAK_BUILD:-release}"
bash scripts/bootstrap.sh
swift build -c "$config" --product tom-node
exec python3 scripts/soak.py --tom-node ".build/$config/tom-node" --minutes "$minutes"
