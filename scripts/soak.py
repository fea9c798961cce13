#!/usr/bin/env python3
"""Soak test (issue 6, item 7): three tom-node peers linked as gateways on loopback, under a
mixed load for MINUTES, with the resident memory and open file descriptors of every tom-node
process sampled every 10 s. At the end: a table of the samples, the least-squares slope of
each series after the warm-up (KiB/min, fds/min), and a verdict against the thresholds in
Docs/performance.md ("Soak"). Exit code 1 when a slope is over its threshold or the load
stalled. Normally run through scripts/soak.sh.

The load, all on 127.0.0.1:
  * 20 resident legacy clients per peer, each sending a heartbeat every 5 s and signals to
    residents of the other peers (across gateway links);
  * churn: clients that connect to a random peer, register, signal a few residents and leave;
  * DHT traffic: a KRPC pinger (ping, find_node, get_peers, announce_peer with the token it
    got) to every peer's UDP port, and `tom-node dht put` / `get` every minute.
"""
import argparse
import asyncio
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tomnet import Client, Network, until  # noqa: E402

SAMPLE_SECONDS = 10
# Thresholds (Docs/performance.md, "Soak"): a process that keeps these slopes after the
# warm-up does not grow by more than ~15 MiB or ~15 descriptors a day.
MAX_RSS_KIB_PER_MIN = 256.0
MAX_FDS_PER_MIN = 0.5


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, per minute."""
    n = len(points)
    if n < 2:
        return 0.0
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return 0.0
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / var * 60


# ----------------------------------------------------------------------------- KRPC

def bencode(value) -> bytes:
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, (bytes, str)):
        raw = value.encode() if isinstance(value, str) else value
        return b"%d:%s" % (len(raw), raw)
    if isinstance(value, list):
        return b"l" + b"".join(bencode(v) for v in value) + b"e"
    items = sorted((k.encode() if isinstance(k, str) else k, v) for k, v in value.items())
    return b"d" + b"".join(bencode(k) + bencode(v) for k, v in items) + b"e"


def find_token(reply: bytes) -> bytes | None:
    """The `token` of a get_peers answer (a byte search: the pinger only needs that field)."""
    at = reply.find(b"5:token")
    if at < 0:
        return None
    rest = reply[at + 7:]
    colon = rest.find(b":")
    try:
        length = int(rest[:colon])
    except ValueError:
        return None
    return rest[colon + 1:colon + 1 + length]


class Pinger(asyncio.DatagramProtocol):
    def __init__(self, counters: dict):
        self.counters = counters
        self.tokens: dict[int, bytes] = {}

    def datagram_received(self, data, addr):
        self.counters["dht_replies"] += 1
        token = find_token(data)
        if token:
            self.tokens[addr[1]] = token


async def dht_load(ports: list[int], deadline: float, counters: dict):
    loop = asyncio.get_running_loop()
    pinger = Pinger(counters)
    transport, _ = await loop.create_datagram_endpoint(lambda: pinger, local_addr=("127.0.0.1", 0))
    my_id = secrets.token_bytes(20)
    info_hash = secrets.token_bytes(20)
    try:
        while time.monotonic() < deadline:
            for port in ports:
                tid = secrets.token_bytes(2)
                kind = random.choice(["ping", "find_node", "get_peers", "announce_peer"])
                args = {"id": my_id}
                if kind == "find_node":
                    args["target"] = secrets.token_bytes(20)
                elif kind == "get_peers":
                    args["info_hash"] = info_hash
                elif kind == "announce_peer":
                    token = pinger.tokens.get(port)
                    if token is None:
                        kind, args["info_hash"] = "get_peers", info_hash
                    else:
                        args.update(info_hash=info_hash, port=random.randint(1024, 65535), token=token)
                transport.sendto(bencode({"t": tid, "y": "q", "q": kind, "a": args}), ("127.0.0.1", port))
                counters["dht_queries"] += 1
            await asyncio.sleep(0.05)  # 20 rounds a second: 60 queries/s over 3 peers
    finally:
        transport.close()


async def dht_verbs(binary: str, workdir: str, port: int, deadline: float, counters: dict):
    """`tom-node dht put` then `get` of a mutable item every minute, as an operator would."""
    data = os.path.join(workdir, "verbs")
    while time.monotonic() < deadline:
        for verb in (["put", "--value", f"soak-{int(time.time())}", "--salt", "soak"], ["get", "--key", "", "--salt", "soak"]):
            if verb[0] == "get":
                verb[2] = counters.get("verb_key", "")
                if not verb[2]:
                    continue
            proc = await asyncio.create_subprocess_exec(
                binary, "dht", *verb, "--bootstrap", f"127.0.0.1:{port}", "--host", "127.0.0.1", "--data-dir", data,
                "--json", "--timeout", "10", stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            out, _ = await proc.communicate()
            ok = proc.returncode == 0
            counters["dht_verbs_ok" if ok else "dht_verbs_failed"] += 1
            if ok and verb[0] == "put" and b'"public_key"' in out:
                text = out.decode()
                at = text.index('"public_key"')
                counters["verb_key"] = text[at:].split('"')[3]
        await asyncio.sleep(60)


# ----------------------------------------------------------------------------- legacy load

async def resident_load(residents: list[list[Client]], deadline: float, counters: dict):
    """Heartbeats every 5 s from everyone, and about 30 signals/s across gateways."""
    everyone = [c for group in residents for c in group]
    next_heartbeat = 0.0
    while time.monotonic() < deadline:
        now = time.monotonic()
        if now >= next_heartbeat:
            next_heartbeat = now + 5
            for c in everyone:
                if not c.closed:
                    await c.send({"type": "heartbeat"})
        for _ in range(3):
            src_group, dst_group = random.sample(range(len(residents)), 2)
            src, dst = random.choice(residents[src_group]), random.choice(residents[dst_group])
            if not src.closed:
                await src.send({"type": "signal", "from": src.node_id, "to": dst.node_id, "sdp": "v=0 " + "x" * 400})
                counters["signals"] += 1
        await asyncio.sleep(0.1)
        for c in everyone:  # keep the inboxes from growing in the driver
            if len(c.inbox) > 200:
                del c.inbox[:-50]


async def churner(urls: list[str], residents: list[Client], deadline: float, counters: dict):
    while time.monotonic() < deadline:
        c = Client("churn")
        try:
            await c.connect(random.choice(urls))
            await c.register()
            for target in random.sample(residents, 3):
                await c.send({"type": "signal", "from": c.node_id, "to": target.node_id, "sdp": "offer"})
            await asyncio.sleep(random.uniform(0.5, 2.0))
            await c.ws.close()
            counters["churned"] += 1
        except Exception:  # noqa: BLE001 - counted; a soak keeps going
            counters["churn_errors"] += 1
            await asyncio.sleep(1)


# ----------------------------------------------------------------------------- main

async def run(args) -> int:
    workdir = tempfile.mkdtemp(prefix="tom-soak-")
    net = Network(os.path.abspath(args.tom_node), workdir)
    counters = {k: 0 for k in ("signals", "churned", "churn_errors", "dht_queries", "dht_replies",
                               "dht_verbs_ok", "dht_verbs_failed")}
    samples: list[tuple[float, list[tuple[int, int]]]] = []
    try:
        extra = ["--topic", f"soak-{os.getpid()}", "--gateway-refresh", "5", "--log-level", "warning"]
        peers = [net.add(f"p{i}", "peer", extra) for i in range(3)]
        for p in peers:
            await net.ready(p)
        await net.linked(peers, timeout=60)
        residents = []
        for index, p in enumerate(peers):
            group = [await Client(f"r{index}-{i}").connect(p.url) for i in range(args.residents)]
            for c in group:
                await c.register()
            residents.append(group)
        everyone = [c for g in residents for c in g]
        await until(lambda: all(c.sees(*everyone) for c in everyone[::15]), 60, "residents to see each other")

        started = time.monotonic()
        deadline = started + args.minutes * 60
        urls = [p.url for p in peers]
        tasks = [asyncio.create_task(resident_load(residents, deadline, counters)),
                 asyncio.create_task(dht_load([p.dht_port for p in peers], deadline, counters)),
                 asyncio.create_task(dht_verbs(net.binary, workdir, peers[0].dht_port, deadline, counters))]
        tasks += [asyncio.create_task(churner(urls, everyone, deadline, counters)) for _ in range(args.churners)]

        print(f"soak: {args.minutes:g} min, 3 peers (pids {', '.join(str(p.proc.pid) for p in peers)}), "
              f"{3 * args.residents} residents, {args.churners} churners, DHT pinger; sampling every {SAMPLE_SECONDS} s", flush=True)
        header = "  min  " + "  ".join(f"{p.name + ' RSS KiB':>13} {p.name + ' fds':>7}" for p in peers)
        print(header, flush=True)
        while time.monotonic() < deadline + 0.5:
            elapsed = time.monotonic() - started
            for p in peers:
                if p.proc.poll() is not None:
                    raise AssertionError(f"{p.name} exited with {p.proc.returncode} during the soak")
            row = [(rss_kib(p.proc.pid), open_fds(p.proc.pid)) for p in peers]
            samples.append((elapsed, row))
            print(f"{elapsed / 60:5.1f}  " + "  ".join(f"{r:>13} {f:>7}" for r, f in row), flush=True)
            await asyncio.sleep(min(SAMPLE_SECONDS, max(0.0, deadline + 0.5 - time.monotonic())) or SAMPLE_SECONDS)
        await asyncio.gather(*tasks)
        links = [p.status().get("gatewayLinks") for p in peers]
    finally:
        net.stop()

    # After the warm-up (the first third, at most 5 minutes), each series must be flat.
    warmup = min(300.0, args.minutes * 60 / 3)
    steady = [(t, row) for t, row in samples if t >= warmup]
    print(f"\nslopes after a {warmup / 60:.1f} min warm-up ({len(steady)} samples), least squares:", flush=True)
    failed = False
    for index, p in enumerate(peers):
        rss = slope_per_minute([(t, row[index][0]) for t, row in steady])
        fds = slope_per_minute([(t, row[index][1]) for t, row in steady])
        first, last = samples[0][1][index], samples[-1][1][index]
        verdict = "ok" if rss <= MAX_RSS_KIB_PER_MIN and fds <= MAX_FDS_PER_MIN else "OVER"
        failed |= verdict != "ok"
        print(f"  {p.name}: RSS {rss:+8.1f} KiB/min (limit {MAX_RSS_KIB_PER_MIN:g}), fds {fds:+6.2f}/min "
              f"(limit {MAX_FDS_PER_MIN:g}); RSS {first[0]} -> {last[0]} KiB, fds {first[1]} -> {last[1]}  {verdict}",
              flush=True)
    minutes = args.minutes
    print(f"load: {counters['signals']} resident signals ({counters['signals'] / (minutes * 60):.0f}/s), "
          f"{counters['churned']} churned clients ({counters['churned'] / (minutes * 60):.1f}/s, "
          f"{counters['churn_errors']} errors), {counters['dht_queries']} KRPC queries "
          f"({counters['dht_replies']} answered), {counters['dht_verbs_ok']} dht verbs ok "
          f"({counters['dht_verbs_failed']} failed); gateway links at the end {links}", flush=True)
    if counters["churned"] == 0 or counters["dht_replies"] == 0:
        print("soak: the load stalled", flush=True)
        failed = True
    if any((n or 0) < 2 for n in links):
        print("soak: a gateway lost its links", flush=True)
        failed = True
    print("soak: FAIL" if failed else "soak: PASS", flush=True)
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tom-node", default=".build/release/tom-node")
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--churners", type=int, default=4)
    parser.add_argument("--residents", type=int, default=20, help="resident clients per peer")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
