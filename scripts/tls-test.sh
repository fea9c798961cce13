#!/usr/bin/env bash
# Optional TLS (issue 6, item 9): builds tom-node with the package trait TLS (in .build-tls,
# so the default build keeps its own products), makes a throwaway self-signed certificate,
# and checks a seed started with --tls-cert/--tls-key: wss:// register and participants,
# https:// /health, a plain ws:// client refused, a bad key file reported in one line (exit 1),
# and the default build refusing the flags (exit 2). Not in scripts/test.sh: the TLS build
# costs several minutes of BoringSSL (Docs/performance.md, "Soak"/TLS note).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
swift build --traits TLS --scratch-path .build-tls --product tom-node
bin=.build-tls/debug/tom-node
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -TERM $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
status=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1"; status=1; }

"$bin" --mode seed --host 127.0.0.1 --port "$port" --data-dir "$work/data" --log-level warning \
  --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" > "$work/seed.log" 2>&1 &
pid=$!
python3 - "$port" "$work/cert.pem" <<'PY' && pass "wss:// register, https:// /health, plain ws:// refused" || fail "TLS seed (log: $work/seed.log)"
import asyncio, json, secrets, ssl, sys, time, urllib.request
import websockets
port, cafile = sys.argv[1], sys.argv[2]
context = ssl.create_default_context(cafile=cafile)
async def main():
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"https://127.0.0.1:{port}/health", context=context, timeout=2) as r:
                assert r.status == 200 and json.loads(r.read()) == {"ok": True}
                break
        except OSError:
            time.sleep(0.1)
    else:
        raise SystemExit("no https /health")
    node = secrets.token_hex(32)
    async with websockets.connect(f"wss://127.0.0.1:{port}", ssl=context) as ws:
        await ws.send(json.dumps({"type": "register", "nodeId": node, "username": "tls"}))
        reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert reply["type"] == "participants" and reply["participants"][0]["nodeId"] == node, reply
    try:
        async with websockets.connect(f"ws://127.0.0.1:{port}", open_timeout=3) as ws:
            raise SystemExit("a plain ws:// client was served")
    except (OSError, websockets.exceptions.WebSocketException, asyncio.TimeoutError):
        pass
asyncio.run(main())
PY
kill -TERM $pid; wait $pid || true; pid=

echo "not a key" > "$work/bad.pem"
set +e
err=$("$bin" --mode seed --host 127.0.0.1 --port 0 --data-dir "$work/data" --log-level error --tls-cert "$work/cert.pem" --tls-key "$work/bad.pem" 2>&1 >/dev/null)
code=$?
set -e
if [ $code -eq 1 ] && [ "$(echo "$err" | wc -l)" -eq 1 ] && echo "$err" | grep -q "bad.pem"; then
  pass "an unusable key file: exit 1, one line naming it ($err)"
else
  fail "an unusable key file: exit $code, stderr: $err"
fi

if [ -x .build/debug/tom-node ]; then
  set +e
  err=$(.build/debug/tom-node --mode seed --port 0 --data-dir "$work/data" --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" 2>&1 >/dev/null)
  code=$?
  set -e
  if [ $code -eq 2 ] && echo "$err" | grep -q "built without TLS"; then
    pass "the default build refuses --tls-cert: exit 2 ($err)"
  else
    fail "the default build with --tls-cert: exit $code, stderr: $err"
  fi
fi
[ $status -eq 0 ] && echo "tls-test: PASS" || echo "tls-test: FAIL"
exit $status
