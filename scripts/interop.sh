#!/usr/bin/env bash
# Interop with libtorrent on 127.0.0.1 (scripts/interop-libtorrent.py): installs the pinned
# libtorrent from PyPI when it is missing, builds tom-node when needed, runs the checks.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c "import libtorrent" >/dev/null 2>&1; then
    "$PYTHON" -m pip install --quiet -r scripts/requirements-interop.txt
fi
swift build --product tom-node
exec timeout 180 "$PYTHON" scripts/interop-libtorrent.py --tom-node .build/debug/tom-node "$@"
