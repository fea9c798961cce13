#!/usr/bin/env python3
"""Gateway benchmark: G tom-node peers on loopback with C legacy clients each.

Measures, and prints as a table:
  - registration -> presence: the delay from a register at one gateway to the presence join
    at every client of every other gateway (p50/p99/max over all deliveries);
  - cross-gateway signal relay: signals at a fixed aggregate rate between clients of
    different gateways, delay from send to delivery (p50/p99/max) and losses;
  - bytes on gateway links and DHT operations per registration (from /metrics).

    python3 scripts/bench-gateways.py --gateways 10 --clients 50
"""
import argparse
import asyncio
import json
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import time

import websockets

from tomnet import Network, until


class BenchClient:
    """A client that keeps only what the benchmark measures (participants lists, 40 KB each
    with 500 clients, are counted, not parsed)."""

    def __init__(self, gateway: int):
        self.gateway = gateway
        self.node_id = secrets.token_hex(32)
        self.presence_at: dict[str, float] = {}
        self.signal_delays: list[float] = []
        self.list_size = 0

    async def connect(self, url: str):
        self.ws = await websockets.connect(url, max_size=None, compression=None)
        asyncio.get_running_loop().create_task(self._pump())
        return self

    async def _pump(self):
        try:
            async for text in self.ws:
                now = time.monotonic()
                if text.startswith('{"type":"participants"'):
                    self.list_size = text.count('"nodeId"')
                elif text.startswith('{"type":"presence","action":"join"'):
                    self.presence_at[text[45:109]] = now
                elif text.startswith('{"type":"signal"'):
                    self.signal_delays.append(now - json.loads(text)["sent"])
        except websockets.ConnectionClosed:
            pass

    async def register(self):
        await self.ws.send(json.dumps({"type": "register", "nodeId": self.node_id, "username": "bench"}))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


def metric_sum(nodes, name: str, labels: str = "") -> float:
    total = 0.0
    pattern = re.compile(rf"^{name}(\{{[^}}]*\}})? ([0-9.e+]+)$")
    for node in nodes:
        for line in node.http("GET", "/metrics")[1].splitlines():
            match = pattern.match(line)
            if match and labels in (match.group(1) or ""):
                total += float(match.group(2))
    return total


async def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--tom-node", default=os.path.join(here, "..", ".build", "release", "tom-node"))
    parser.add_argument("--gateways", type=int, default=10)
    parser.add_argument("--clients", type=int, default=50, help="clients per gateway")
    parser.add_argument("--probes", type=int, default=50, help="registrations whose presence delay is measured")
    parser.add_argument("--signal-rate", type=int, default=1000, help="cross-gateway signals per second")
    parser.add_argument("--signal-seconds", type=float, default=10)
    parser.add_argument("--coalesce-participants", type=int, default=100,
                        help="ms; gateways merge participants lists over this window (0 = legacy, one per change)")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="tom-bench-gateways-")
    net = Network(os.path.abspath(args.tom_node), workdir)
    extra = ["--coalesce-participants", str(args.coalesce_participants), "--log-level", "info"]
    try:
        gateways = [net.add(f"g{i}", "peer", extra) for i in range(args.gateways)]
        for g in gateways:
            await net.ready(g)
        started = time.monotonic()
        await net.linked(gateways, timeout=60)
        print(f"{args.gateways} gateways linked in {time.monotonic() - started:.1f} s", file=sys.stderr)

        clients = []
        for i, g in enumerate(gateways):
            for _ in range(args.clients - (args.probes // args.gateways)):
                c = await BenchClient(i).connect(g.url)
                await c.register()
                clients.append(c)
        total = len(clients)
        await until(lambda: all(c.list_size >= total for c in clients), 120, f"all {total} clients to list everyone")
        print(f"{total} clients registered and converged in {time.monotonic() - started:.1f} s", file=sys.stderr)
        await asyncio.sleep(2)  # let the DHT puts of the setup finish

        bytes_before = metric_sum(gateways, "tom_gateway_link_bytes_out_total")
        puts_before = metric_sum(gateways, "tom_gateway_dht_operations_total", 'kind="put"')
        delays = []
        probes = []
        for p in range(args.probes):
            origin = p % args.gateways
            probe = await BenchClient(origin).connect(gateways[origin].url)
            observers = [c for c in clients if c.gateway != origin]
            sent = time.monotonic()
            await probe.register()
            await until(lambda: all(probe.node_id in c.presence_at for c in observers), 10, "presence everywhere", interval=0.005)
            delays += [c.presence_at[probe.node_id] - sent for c in observers]
            probes.append(probe)
            await asyncio.sleep(0.05)
        await asyncio.sleep(2)
        link_bytes = (metric_sum(gateways, "tom_gateway_link_bytes_out_total") - bytes_before) / args.probes
        puts = (metric_sum(gateways, "tom_gateway_dht_operations_total", 'kind="put"') - puts_before) / args.probes
        clients += probes

        # Cross-gateway signals at a fixed rate.
        count = int(args.signal_rate * args.signal_seconds)
        interval = 1 / args.signal_rate
        rng = random.Random(1)
        begin = time.monotonic()
        for n in range(count):
            sender = rng.choice(clients)
            receiver = rng.choice([c for c in clients[:200] if c.gateway != sender.gateway] or clients)
            await sender.ws.send(json.dumps({"type": "signal", "to": receiver.node_id, "from": sender.node_id,
                                             "sent": time.monotonic(), "sdp": "v=0 " + "x" * 200}))
            lag = begin + (n + 1) * interval - time.monotonic()
            if lag > 0:
                await asyncio.sleep(lag)
        achieved = count / (time.monotonic() - begin)
        await asyncio.sleep(1)
        signal_delays = [d for c in clients for d in c.signal_delays]

        ms = lambda v: f"{v * 1000:.1f} ms"  # noqa: E731
        print(f"gateways {args.gateways}, clients {len(clients)} ({args.clients} per gateway), "
              f"participants coalescing {args.coalesce_participants} ms")
        print(f"register -> presence at every other gateway's clients: {len(delays)} deliveries, "
              f"p50 {ms(percentile(delays, 50))}, p99 {ms(percentile(delays, 99))}, max {ms(max(delays))}")
        print(f"cross-gateway signals: {count} sent at {achieved:.0f}/s, {len(signal_delays)} delivered, "
              f"p50 {ms(percentile(signal_delays, 50))}, p99 {ms(percentile(signal_delays, 99))}, max {ms(max(signal_delays))}")
        print(f"per registration: {link_bytes:.0f} bytes on gateway links (all {args.gateways - 1} pushes), "
              f"{puts:.1f} DHT puts")
    finally:
        net.stop()
        subprocess.call(["rm", "-rf", workdir])


if __name__ == "__main__":
    asyncio.run(main())
