#!/usr/bin/env bash
# Installs what tom-node needs on a fresh Debian machine: libsodium (through pkg-config)
# and, for the conformance and interop scripts, Python's websockets package.
set -euo pipefail

need_apt=()
pkg-config --exists libsodium 2>/dev/null || need_apt+=(libsodium-dev)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "bootstrap: installing ${need_apt[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! python3 -c 'import websockets' 2>/dev/null; then
  echo "bootstrap: installing Python websockets" >&2
  python3 -m pip install --quiet --disable-pip-version-check -r "$(dirname "$0")/requirements-conformance.txt"
fi
