#!/usr/bin/env python3
"""Interop between tom-node and libtorrent 2.1.1 over the Mainline DHT, on 127.0.0.1 only.

Starts several libtorrent sessions and several long-running `tom-node --mode peer` nodes on
loopback, wires them into one small DHT, then checks each direction:

  - tom-node pings libtorrent; tom-node ids appear in libtorrent's routing tables
  - libtorrent put (immutable; mutable with salt)  -> tom-node dht get
  - tom-node dht put (mutable with salt; immutable) -> libtorrent get
  - libtorrent announce -> tom-node dht get-peers; tom-node dht announce -> libtorrent get_peers
  - libtorrent node ids appear in the routing tables the tom-node peers save on SIGTERM

Prints one line per check and `N passed, M failed` last; exits 1 on any failure. Nothing
leaves 127.0.0.1: the libtorrent sessions get no bootstrap nodes and every tom-node gets an
explicit loopback --bootstrap.
"""
import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import warnings

import libtorrent as lt

warnings.filterwarnings("ignore", category=DeprecationWarning)

LOOPBACK = "127.0.0.1"
RESULTS = []


# --- Ed25519 public key from a seed (RFC 8032), so the libtorrent side needs no tom-node code.
_P = 2**255 - 19
_D = -121665 * pow(121666, _P - 2, _P) % _P


def _inv(x):
    return pow(x, _P - 2, _P)


def _recover_x(y, sign):
    x2 = (y * y - 1) * _inv(_D * y * y + 1)
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * pow(2, (_P - 1) // 4, _P) % _P
    if (x & 1) != sign:
        x = _P - x
    return x


def _add(a, b):
    e_a = (a[1] - a[0]) * (b[1] - b[0]) % _P
    e_b = (a[1] + a[0]) * (b[1] + b[0]) % _P
    e_c = 2 * a[3] * b[3] * _D % _P
    e_d = 2 * a[2] * b[2] % _P
    e, f, g, h = e_b - e_a, e_d - e_c, e_d + e_c, e_b + e_a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _mul(s, point):
    result = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            result = _add(result, point)
        point = _add(point, point)
        s >>= 1
    return result


_GY = 4 * _inv(5) % _P
_GX = _recover_x(_GY, 0)
_G = (_GX, _GY, 1, _GX * _GY % _P)


def ed25519_keypair(seed):
    """(public key, libtorrent's 64-byte secret key: clamped SHA-512(seed))."""
    digest = bytearray(hashlib.sha512(seed).digest())
    digest[0] &= 248
    digest[31] &= 63
    digest[31] |= 64
    scalar = int.from_bytes(digest[:32], "little")
    point = _mul(scalar, _G)
    z = _inv(point[2])
    x, y = point[0] * z % _P, point[1] * z % _P
    public = (y | ((x & 1) << 255)).to_bytes(32, "little")
    return public, bytes(digest)


# --- Reporting.
def check(name, ok, detail=""):
    RESULTS.append(ok)
    print(f"{'PASS' if ok else 'FAIL'} {name}" + (f": {detail}" if detail else ""), flush=True)
    return ok


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


# --- libtorrent side.
def lt_session():
    session = lt.session({
        "enable_dht": True,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "listen_interfaces": f"{LOOPBACK}:0",
        "dht_bootstrap_nodes": "",
        "dht_restrict_routing_ips": False,
        "dht_restrict_search_ips": False,
        "dht_ignore_dark_internet": False,
        # Every node here shares 127.0.0.1, so libtorrent's DoS blocker (5 packets/s per IP
        # over 10 s) would ban all tom-node peers together once their gateway traffic starts.
        "dht_block_ratelimit": 100000,
        "alert_mask": lt.alert.category_t.dht_notification
        | lt.alert.category_t.dht_operation_notification
        | lt.alert.category_t.error_notification,
    })
    return session


def wait_alert(session, predicate, timeout):
    """The first alert of `session` for which predicate(alert) is truthy, or None."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        session.wait_for_alert(100)
        for alert in session.pop_alerts():
            try:
                if predicate(alert):
                    return alert
            except Exception:  # an alert of another shape
                continue
    return None


def live_node_ids(session):
    """Node ids in the session's DHT routing table (hex)."""
    # dht_live_nodes names the DHT node by its own id: the first 20 bytes of each
    # "node-id" entry of the session state (id followed by the interface address).
    state = session.dht_state()
    own = state.get(b"node-id", state.get("node-id", [b""]))
    if not own:
        return set()
    session.dht_live_nodes(lt.sha1_hash(bytes(own[0][:20])))
    alert = wait_alert(session, lambda a: isinstance(a, lt.dht_live_nodes_alert), 5)
    if alert is None:
        return set()
    ids = set()
    for node in alert.nodes:
        ident = node["nid"] if isinstance(node, dict) else node[0]
        ids.add(str(ident))
    return ids


def as_text(value):
    return value.decode("utf-8", "replace") if isinstance(value, (bytes, bytearray)) else str(value)


# --- tom-node side.
class Tom:
    def __init__(self, binary, workdir):
        self.binary = binary
        self.workdir = workdir
        self.peers = []  # (port, data_dir, process)

    def start_peer(self, port, bootstrap, index):
        data_dir = os.path.join(self.workdir, f"peer{index}")
        log = open(os.path.join(self.workdir, f"peer{index}.log"), "w")
        process = subprocess.Popen(
            # --port 0: each peer also serves HTTP/WebSocket, on a free port of its own.
            [self.binary, "--mode", "peer", "--host", LOOPBACK, "--port", "0", "--dht-port", str(port),
             "--bootstrap", ",".join(bootstrap), "--data-dir", data_dir, "--log-level", "info"],
            stdout=log, stderr=subprocess.STDOUT)
        self.peers.append((port, data_dir, process))

    def verb(self, *args, bootstrap=None, timeout=20):
        """Runs `tom-node dht ...` with --json; returns the parsed object (or an error dict)."""
        command = [self.binary, "dht", *args, "--json", "--timeout", str(timeout),
                   "--data-dir", os.path.join(self.workdir, "client")]
        if bootstrap:
            command += ["--bootstrap", ",".join(bootstrap)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout + 10)
        try:
            return json.loads(done.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return {"ok": False, "error": (done.stderr or done.stdout).strip()[-300:]}

    def stop_all(self):
        for _, _, process in self.peers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _, _, process in self.peers:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tom-node", default=os.path.join(os.path.dirname(__file__), "..", ".build", "debug", "tom-node"))
    parser.add_argument("--libtorrent-sessions", type=int, default=3)
    parser.add_argument("--tom-peers", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, saved tables)")
    args = parser.parse_args()
    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="tom-interop-")
    tom = Tom(os.path.abspath(args.tom_node), workdir)
    print(f"libtorrent {lt.__version__}, tom-node {tom.binary}, work dir {workdir}", flush=True)

    sessions = [lt_session() for _ in range(args.libtorrent_sessions)]
    lt_ports = [s.listen_port() for s in sessions]
    tom_ports = [free_udp_port() for _ in range(args.tom_peers)]
    lt_boot = [f"{LOOPBACK}:{p}" for p in lt_ports]
    tom_boot = [f"{LOOPBACK}:{p}" for p in tom_ports]
    try:
        for index, port in enumerate(tom_ports):
            tom.start_peer(port, lt_boot + [b for b in tom_boot if not b.endswith(f":{port}")], index)
        for session in sessions:
            for port in tom_ports + lt_ports:
                if port != session.listen_port():
                    session.add_dht_node((LOOPBACK, port))

        # Who is who: ping every node through tom-node (also the first interop check).
        tom_ids, lt_ids = {}, {}
        deadline = time.monotonic() + 20
        while len(tom_ids) < len(tom_ports) and time.monotonic() < deadline:
            for port in tom_ports:
                if port not in tom_ids:
                    answer = tom.verb("ping", f"{LOOPBACK}:{port}", timeout=3)
                    if answer.get("ok"):
                        tom_ids[port] = answer["id"]
            time.sleep(0.2)
        check("tom-node peers up", len(tom_ids) == len(tom_ports), f"{len(tom_ids)}/{len(tom_ports)} answer ping")
        for port in lt_ports:
            answer = tom.verb("ping", f"{LOOPBACK}:{port}", timeout=5)
            if answer.get("ok"):
                lt_ids[port] = answer["id"]
        check("tom-node pings libtorrent", len(lt_ids) == len(lt_ports),
              ", ".join(f"{p}={i[:12]}" for p, i in lt_ids.items()))

        # Tables converge: every libtorrent session holds tom-node ids.
        # Waits for every tom-node id everywhere, but settles for one per session after 10 s.
        begun = time.monotonic()
        seen = {}
        while time.monotonic() < begun + 30:
            seen = {i: live_node_ids(s) & set(tom_ids.values()) for i, s in enumerate(sessions)}
            if all(len(ids) == len(tom_ids) for ids in seen.values()):
                break
            if time.monotonic() > begun + 10 and all(len(ids) >= 1 for ids in seen.values()):
                break
            time.sleep(0.5)
        check("tom-node ids in libtorrent routing tables", all(len(ids) >= 1 for ids in seen.values()),
              ", ".join(f"session{i}: {len(ids)}/{len(tom_ids)}" for i, ids in seen.items()))

        # libtorrent immutable put -> tom-node get.
        value = "immutable from libtorrent"
        target = sessions[0].dht_put_immutable_item(value.encode())
        put = wait_alert(sessions[0], lambda a: isinstance(a, lt.dht_put_alert) and str(a.target) == str(target), 20)
        got = tom.verb("get", str(target), bootstrap=tom_boot)
        check("libtorrent immutable put -> tom-node get",
              put is not None and put.num_success > 0 and got.get("found") and got.get("kind") == "immutable" and got.get("value") == value,
              f"target {target}, stored on {put.num_success if put else 0}, got {got.get('value', got.get('error'))!r}")

        # libtorrent mutable put with salt -> tom-node get --key --salt.
        public, secret = ed25519_keypair(hashlib.sha256(b"tom-interop-libtorrent-key").digest())
        salt, value = b"room-7", "mutable from libtorrent"
        sessions[1].dht_put_mutable_item(secret, public, value.encode(), salt)
        put = wait_alert(sessions[1], lambda a: isinstance(a, lt.dht_put_alert) and bytes(a.public_key) == public, 20)
        got = tom.verb("get", "--key", public.hex(), "--salt", salt.decode(), bootstrap=tom_boot)
        check("libtorrent mutable put (salt) -> tom-node get",
              put is not None and put.num_success > 0 and got.get("found") and got.get("value") == value
              and got.get("seq") == put.seq and got.get("public_key") == public.hex(),
              f"seq {put.seq if put else None}, stored on {put.num_success if put else 0}, got {got.get('value', got.get('error'))!r} seq {got.get('seq')}")

        # tom-node mutable put with salt -> libtorrent get.
        value, salt = "mutable from tom-node", "lobby"
        put = tom.verb("put", "--value", value, "--salt", salt, bootstrap=tom_boot)
        ok = bool(put.get("ok"))
        alert = None
        if ok:
            sessions[2].dht_get_mutable_item(bytes.fromhex(put["public_key"]), salt.encode())
            alert = wait_alert(sessions[2], lambda a: isinstance(a, lt.dht_mutable_item_alert)
                               and bytes(a.key) == bytes.fromhex(put["public_key"]) and a.seq == put["seq"], 20)
        check("tom-node mutable put (salt) -> libtorrent get",
              ok and alert is not None and as_text(alert.item) == value,
              f"stored on {put.get('stored')}/{put.get('attempted')}, seq {put.get('seq')}, libtorrent got "
              f"{as_text(alert.item) if alert else None!r}" + ("" if ok else f" ({put.get('error')})"))

        # tom-node immutable put -> libtorrent get.
        value = "immutable from tom-node"
        put = tom.verb("put", "--value", value, "--immutable", bootstrap=tom_boot)
        alert = None
        if put.get("ok"):
            sessions[0].dht_get_immutable_item(lt.sha1_hash(bytes.fromhex(put["target"])))
            alert = wait_alert(sessions[0], lambda a: isinstance(a, lt.dht_immutable_item_alert)
                               and str(a.target) == put["target"] and a.item is not None and a.item != {}, 20)
        check("tom-node immutable put -> libtorrent get",
              alert is not None and as_text(alert.item) == value and hashlib.sha1(f"{len(value)}:{value}".encode()).hexdigest() == put.get("target"),
              f"target {put.get('target')}, stored on {put.get('stored')}, libtorrent got {as_text(alert.item) if alert else None!r}")

        # libtorrent announce -> tom-node get-peers.
        info_hash = hashlib.sha1(b"announced by libtorrent").digest()
        sessions[1].dht_announce(lt.sha1_hash(info_hash), 6543, 0)
        found = {}
        deadline = time.monotonic() + 25
        while time.monotonic() < deadline:
            found = tom.verb("get-peers", info_hash.hex(), bootstrap=tom_boot, timeout=10)
            if f"{LOOPBACK}:6543" in found.get("peers", []):
                break
            time.sleep(0.5)
        check("libtorrent announce -> tom-node get-peers", f"{LOOPBACK}:6543" in found.get("peers", []),
              f"peers {found.get('peers', found.get('error'))}")

        # tom-node announce (topic) -> libtorrent get_peers.
        topic = "tom-interop-topic"
        announced = tom.verb("announce", topic, "--port", "7654", bootstrap=tom_boot)
        topic_hash = hashlib.sha1(topic.encode()).hexdigest()
        alert = None
        if announced.get("ok"):
            sessions[2].dht_get_peers(lt.sha1_hash(bytes.fromhex(topic_hash)))
            alert = wait_alert(sessions[2], lambda a: isinstance(a, lt.dht_get_peers_reply_alert)
                               and str(a.info_hash) == topic_hash and (LOOPBACK, 7654) in [tuple(p) for p in a.peers()], 20)
        check("tom-node announce -> libtorrent get_peers",
              announced.get("info_hash") == topic_hash and alert is not None,
              f"info-hash {announced.get('info_hash')} (SHA-1 of the topic), stored on {announced.get('stored')}, "
              f"libtorrent saw {[tuple(p) for p in alert.peers()] if alert else None}")

        # libtorrent nodes in the tables the tom-node peers save on SIGTERM.
        tom.stop_all()
        tables = []
        for port, data_dir, process in tom.peers:
            done = subprocess.run([tom.binary, "dht", "routing-table", "--data-dir", data_dir, "--json"],
                                  capture_output=True, text=True, timeout=10)
            try:
                ids = {node["id"] for node in json.loads(done.stdout)["nodes"]}
            except (ValueError, KeyError):
                ids = set()
            tables.append((process.returncode, len(ids & set(lt_ids.values())), len(ids)))
        check("libtorrent ids in tom-node routing tables (saved on SIGTERM)",
              all(code == 0 and lt_count >= 1 for code, lt_count, _ in tables),
              ", ".join(f"peer{i}: exit {c}, {n}/{len(lt_ids)} libtorrent of {t} nodes" for i, (c, n, t) in enumerate(tables)))
    finally:
        tom.stop_all()
        del sessions
        if not args.keep and all(RESULTS):
            shutil.rmtree(workdir, ignore_errors=True)
        elif not all(RESULTS):
            print(f"logs kept in {workdir}", flush=True)

    passed = sum(1 for r in RESULTS if r)
    failed = len(RESULTS) - passed
    print(f"interop finished in {time.monotonic() - started:.1f} s", flush=True)
    print(f"{passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
