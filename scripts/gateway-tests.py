#!/usr/bin/env python3
"""Multi-process tests of the migration layer: real tom-node processes on loopback (a seed
and several peers), real WebSocket clients (the `websockets` package), one check per rule of
Docs/migration.md. Prints one line per check and `N passed, M failed` last; exit code 1 on
any failure.

    python3 scripts/gateway-tests.py --tom-node .build/debug/tom-node
"""
import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time

import websockets

from tomnet import Client, Network, Node, until

RESULTS: list[tuple[str, bool, str]] = []


def check(name: str):
    def wrap(fn):
        async def run(*args):
            started = time.monotonic()
            try:
                detail = await fn(*args)
                RESULTS.append((name, True, detail or ""))
                print(f"PASS {name} ({(time.monotonic() - started) * 1000:.0f} ms){' ' + detail if detail else ''}", flush=True)
            except Exception as error:  # noqa: BLE001 - every failure is reported, not raised
                RESULTS.append((name, False, str(error)))
                print(f"FAIL {name}: {error}", flush=True)
        return run
    return wrap


# ----------------------------------------------------------------------------- checks

@check("peers find each other through the DHT and link (full mesh)")
async def t_mesh(net: Network, peers: list[Node]):
    started = time.monotonic()
    await net.linked(peers)
    return f"{len(peers)} peers linked in {time.monotonic() - started:.1f} s"


@check("a registration reaches presence and participants at every other gateway")
async def t_presence(net, peers):
    clients = [await Client(f"c{i}").connect(p.url) for i, p in enumerate(peers)]
    started = time.monotonic()
    for c in clients:
        await c.register()
        # One at a time: registration order is defined by when each gateway took it.
        await until(lambda: c.sees(c), 5, f"{c.label}'s own registration")
    await until(lambda: all(c.sees(*clients) for c in clients), 10, "every client to list every other")
    for i, observer in enumerate(clients):
        # Clients registered later are announced by presence; earlier ones come in the
        # observer's first participants list.
        for subject in clients[i + 1:]:
            joins = observer.got(lambda m: m.get("type") == "presence" and m.get("action") == "join"
                                 and m.get("nodeId") == subject.node_id)
            assert joins, f"{observer.label} got no presence join for {subject.label}"
            assert joins[0] == {"type": "presence", "action": "join", "nodeId": subject.node_id,
                                "username": subject.label, "publicKey": "pk-" + subject.label}, joins[0]
            later = observer.inbox[observer.inbox.index(joins[0]):]
            assert any(m.get("type") == "participants" and subject.node_id in [p["nodeId"] for p in m["participants"]]
                       for m in later), f"{observer.label}: no participants list with {subject.label} after its join"
    orders = {tuple(c.last_participants()) for c in clients}
    assert len(orders) == 1, f"participants lists differ: {orders}"
    assert list(orders.pop()) == [c.node_id for c in clients], "not in registration order"
    for c in clients:
        await c.ws.close()
    return f"{len(clients)} clients converged in {time.monotonic() - started:.2f} s"


@check("signals, heartbeats and role-assigns cross gateways; unknown targets get peer not found")
async def t_relay(net, peers):
    a = await Client("ra").connect(peers[0].url)
    b = await Client("rb").connect(peers[1].url)
    c = await Client("rc").connect(peers[-1].url)
    for x in (a, b, c):
        await x.register()
    await until(lambda: all(x.sees(a, b, c) for x in (a, b, c)), 10, "three clients to see each other")
    payload = {"type": "signal", "to": b.node_id, "from": a.node_id, "data": {"sdp": "v=0\r\n" + "x" * 60000}}
    await a.send(payload)
    await until(lambda: b.got(lambda m: m.get("type") == "signal"), 5, "the signal at rb")
    assert b.got(lambda m: m.get("type") == "signal")[0] == payload, "signal not forwarded verbatim"
    await a.send({"type": "signal", "to": "nobody-" + secrets.token_hex(4), "from": a.node_id})
    await until(lambda: a.got(lambda m: m == {"type": "error", "error": "peer not found"}), 5, "peer not found")
    await b.send({"type": "heartbeat"})
    hb = {"type": "heartbeat", "from": b.node_id}
    await until(lambda: hb in a.inbox and hb in c.inbox, 5, "heartbeat at the other gateways")
    assert hb not in b.inbox, "heartbeat echoed to its sender"
    await c.send({"type": "role-assign", "nodeId": a.node_id, "roles": ["relay"]})
    ra = {"type": "role-assign", "nodeId": a.node_id, "roles": ["relay"], "from": c.node_id}
    await until(lambda: all(ra in x.inbox for x in (a, b, c)), 5, "role-assign at every client")
    for x in (a, b, c):
        await x.ws.close()


@check("one nodeId registered at two gateways: the newest wins, no ghost after the old socket closes")
async def t_duplicate(net, peers):
    watcher = await Client("dw").connect(peers[0].url)
    await watcher.register()
    old = await Client("dold").connect(peers[0].url)
    await old.register("old")
    await until(lambda: watcher.sees(old), 5, "old registration")
    new = await Client("dnew").connect(peers[1].url)
    new.node_id = old.node_id
    await new.register("new")

    def entry_names():
        lists = [m for m in watcher.inbox if m.get("type") == "participants"]
        return [p["username"] for p in lists[-1]["participants"] if p["nodeId"] == old.node_id] if lists else []
    await until(lambda: entry_names() == ["new"], 5, "the watcher's list to name the newer registration only")
    await old.ws.close()
    await asyncio.sleep(1.5)
    leaves = watcher.got(lambda m: m.get("type") == "presence" and m.get("action") == "leave" and m.get("nodeId") == old.node_id)
    assert not leaves, "closing the old socket sent a leave for a nodeId it no longer owns"
    assert entry_names() == ["new"], f"ghost or loss after the old socket closed: {entry_names()}"
    await watcher.send({"type": "signal", "to": new.node_id, "from": watcher.node_id})
    await until(lambda: new.got(lambda m: m.get("type") == "signal"), 5, "the signal at the newer socket")
    await watcher.ws.close()
    await new.ws.close()


@check("the conformance suite passes against every gateway while other clients sit on the others")
async def t_conformance(net, peers, script):
    background = []
    for i, p in enumerate(peers):
        c = await Client(f"bg{i}").connect(p.url)
        await c.register()
        background.append(c)
    await until(lambda: all(c.sees(*background) for c in background), 10, "background clients to converge")
    summaries = []
    for p in peers:
        proc = await asyncio.create_subprocess_exec(sys.executable, script, "--url", p.url, stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.STDOUT)
        out, _ = await proc.communicate()
        text = out.decode()
        last = text.strip().splitlines()[-1] if text.strip() else "no output"
        assert proc.returncode == 0, f"against {p.name}: {last}\n" + "\n".join(
            line for line in text.splitlines() if line.startswith("FAIL"))
        summaries.append(f"{p.name}: {last}")
    for c in background:
        await c.ws.close()
    return "; ".join(summaries)


@check("a gateway killed with SIGKILL: presence leave for each of its clients everywhere within 15 s")
async def t_sigkill(net, peers):
    victim = net.add("victim", "peer")
    await net.ready(victim)
    await net.linked(peers + [victim])
    watcher = await Client("kw").connect(peers[0].url)
    await watcher.register()
    hosted = [await Client(f"kv{i}").connect(victim.url) for i in range(3)]
    for c in hosted:
        await c.register()
    await until(lambda: watcher.sees(*hosted), 10, "the victim's clients at the watcher")
    killed = time.monotonic()
    victim.kill(signal.SIGKILL)

    def all_left():
        left = {m.get("nodeId") for m in watcher.inbox if m.get("type") == "presence" and m.get("action") == "leave"}
        return all(c.node_id in left for c in hosted)
    await until(all_left, 15, "a leave for every client of the killed gateway")
    elapsed = time.monotonic() - killed
    await until(lambda: not any(c.node_id in watcher.last_participants() for c in hosted), 2, "participants without them")
    await watcher.ws.close()
    return f"leaves after {elapsed:.2f} s"


@check("a gateway stopped with SIGTERM withdraws: its clients leave at once, the process exits 0")
async def t_sigterm(net, peers):
    leaving = net.add("leaving", "peer")
    await net.ready(leaving)
    await net.linked(peers + [leaving])
    watcher = await Client("tw").connect(peers[0].url)
    await watcher.register()
    hosted = await Client("tv").connect(leaving.url)
    await hosted.register()
    await until(lambda: watcher.sees(hosted), 10, "the leaving gateway's client at the watcher")
    stopped = time.monotonic()
    leaving.kill(signal.SIGTERM)
    await until(lambda: watcher.got(lambda m: m.get("action") == "leave" and m.get("nodeId") == hosted.node_id), 10, "the leave")
    elapsed = time.monotonic() - stopped
    code = leaving.wait(10)
    assert code == 0, f"exit code {code}"
    await watcher.ws.close()
    return f"leave after {elapsed:.2f} s"


@check("a seed degrades on POST /admin/degrade (loopback) without closing any socket; its clients see the network")
async def t_degrade_admin(net, peers):
    seed = net.add("seed-admin", "seed")
    await net.ready(seed)
    on_seed = [await Client(f"s{i}").connect(seed.url) for i in range(2)]
    for c in on_seed:
        await c.register()
    on_peer = await Client("sp").connect(peers[0].url)
    await on_peer.register()
    await until(lambda: on_seed[0].sees(*on_seed), 5, "seed clients registered")
    assert seed.status()["mode"] == "seed"
    status, body = seed.http("POST", "/admin/degrade")
    assert status == 200 and body.get("ok"), f"POST /admin/degrade: {status} {body}"
    started = time.monotonic()
    await until(lambda: all(c.sees(*on_seed, on_peer) for c in on_seed + [on_peer]), 20, "seed and peer clients to see each other")
    assert not any(c.closed for c in on_seed), "a seed client was disconnected"
    assert seed.status()["mode"] == "peer"
    await on_seed[0].send({"type": "signal", "to": on_peer.node_id, "from": on_seed[0].node_id})
    await until(lambda: on_peer.got(lambda m: m.get("type") == "signal"), 5, "signal from a seed client to a peer client")
    again = seed.http("POST", "/admin/degrade")[1]
    assert "already" in json.dumps(again), f"a second degrade answered {again}"
    for c in on_seed + [on_peer]:
        await c.ws.close()
    return f"network visible {time.monotonic() - started:.1f} s after the request"


@check("a seed degrades on SIGUSR1 and on --degrade-after")
async def t_degrade_signal(net, peers):
    by_signal = net.add("seed-usr1", "seed")
    timed = net.add("seed-timer", "seed", ["--degrade-after", "2"])
    await net.ready(by_signal)
    await net.ready(timed)
    client = await Client("u1").connect(by_signal.url)
    await client.register()
    by_signal.kill(signal.SIGUSR1)
    await until(lambda: by_signal.status()["mode"] == "peer", 10, "SIGUSR1 degrade")
    await until(lambda: timed.status()["mode"] == "peer", 10, "--degrade-after degrade")
    await net.linked(peers + [by_signal, timed], timeout=30)
    assert not client.closed
    await client.ws.close()


@check("every seed killed: clients reconnecting to any peer see the full list within 5 s")
async def t_seeds_gone(net, peers):
    seeds = [n for n in net.nodes if n.mode == "seed" and n.proc.poll() is None]
    on_peers = [await Client(f"stay{i}").connect(p.url) for i, p in enumerate(peers)]
    for c in on_peers:
        await c.register()
    movers = [await Client(f"mv{i}").connect(s.url) for i, s in enumerate(seeds)]
    for c in movers:
        await c.register()
    everyone = on_peers + movers
    await until(lambda: all(c.sees(*everyone) for c in on_peers), 15, "peers' clients to see the seeds' clients")
    for s in seeds:
        s.kill(signal.SIGKILL)
    started = time.monotonic()
    for i, c in enumerate(movers):
        c.inbox.clear()
        await c.connect(peers[i % len(peers)].url)
        await c.register()
    await until(lambda: all(c.sees(*everyone) for c in movers), 5, "reconnected clients to see the full list")
    elapsed = time.monotonic() - started
    await until(lambda: all(c.sees(*everyone) for c in on_peers), 15, "peers' clients to keep everyone")
    for c in everyone:
        await c.ws.close()
    return f"full list {elapsed:.2f} s after reconnecting ({len(seeds)} seeds killed)"


@check("/metrics shows discovery served from the DHT versus local state")
async def t_metrics(net, peers):
    status, text = peers[0].http("GET", "/metrics")
    assert status == 200
    lines = [line for line in text.splitlines() if line.startswith("tom_gateway_entries_served_total")]
    served = {line.split("{")[1].split("}")[0]: float(line.split()[-1]) for line in lines}
    assert served.get('source="dht"', 0) > 0, f"no DHT-served entries: {lines}"
    assert any(line.startswith("tom_gateway_links") for line in text.splitlines())
    return ", ".join(f"{k}={v:.0f}" for k, v in sorted(served.items()))


@check("--no-legacy: HTTP and gateway links stay, legacy WebSocket upgrades are refused")
async def t_no_legacy(net, peers):
    quiet = net.add("no-legacy", "peer", ["--no-legacy"])
    await net.ready(quiet)
    try:
        await websockets.connect(quiet.url)
        raise AssertionError("a legacy upgrade was accepted")
    except websockets.InvalidStatus as error:
        assert error.response.status_code in (400, 404), error.response.status_code
    await net.linked(peers + [quiet])
    quiet.kill(signal.SIGTERM)
    quiet.wait(10)


@check("admin endpoints refuse unknown actions and other methods")
async def t_admin_errors(net, peers):
    assert peers[0].http("POST", "/admin/nothing")[0] == 404
    assert peers[0].http("GET", "/admin/degrade")[0] == 404
    assert peers[0].http("POST", "/admin/degrade")[1].get("result", "").startswith("already")


async def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--tom-node", default=os.path.join(here, "..", ".build", "debug", "tom-node"))
    parser.add_argument("--peers", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, data dirs)")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="tom-gateway-tests-")
    net = Network(os.path.abspath(args.tom_node), workdir)
    try:
        peers = [net.add(f"peer{i}", "peer") for i in range(args.peers)]
        for p in peers:
            await net.ready(p)
        await t_mesh(net, peers)
        await t_presence(net, peers)
        await t_relay(net, peers)
        await t_duplicate(net, peers)
        await t_conformance(net, peers, os.path.join(here, "conformance.py"))
        await t_sigkill(net, peers)
        await t_sigterm(net, peers)
        await t_degrade_admin(net, peers)
        await t_degrade_signal(net, peers)
        await t_seeds_gone(net, peers)
        await t_metrics(net, peers)
        await t_no_legacy(net, peers)
        await t_admin_errors(net, peers)
    finally:
        net.stop()
    failed = sum(1 for _, ok, _ in RESULTS if not ok)
    print(f"{len(RESULTS) - failed} passed, {failed} failed")
    if failed or args.keep:
        print(f"logs: {workdir}")
    else:
        subprocess.call(["rm", "-rf", workdir])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    asyncio.run(main())
