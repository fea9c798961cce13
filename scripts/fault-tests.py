#!/usr/bin/env python3
"""Faults a tom-node must survive, with real processes on loopback (issue 6, item 6):

  * SIGKILL of a peer gateway under load, then a restart on the same data directory: same
    identity, routing table reloaded (same DHT node id, saved nodes contacted), roster `seq`
    still increasing in the DHT, its clients reconnect and the other gateways see them again;
  * an unusable data directory at start (a file in the way, a read-only file system, a full
    one): exit code 1 and one line naming the path and the cause;
  * the data directory filling up while a peer runs: a failed routing-table save is logged,
    the previous file stays whole, and the node restarts from it once there is room.

The read-only and full cases mount a small tmpfs, which needs root (CI runs as root); they
print SKIP elsewhere. Link cuts, injected write failures and clock jumps are Swift tests
(LinkCutTests, AtomicFileFaultTests, ClockJumpTests). One line per check, `N passed, M
failed` last; exit code 1 on any failure.

    python3 scripts/fault-tests.py --tom-node .build/debug/tom-node
"""
import argparse
import asyncio
import errno
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tomnet import Client, Network, Node, free_port, until  # noqa: E402

RESULTS: list[tuple[str, str]] = []  # (name, PASS/FAIL/SKIP)


class Skip(Exception):
    pass


def check(name: str):
    def wrap(fn):
        async def run(*args):
            started = time.monotonic()
            try:
                detail = await fn(*args)
                RESULTS.append((name, "PASS"))
                print(f"PASS {name} ({(time.monotonic() - started) * 1000:.0f} ms){' ' + detail if detail else ''}", flush=True)
            except Skip as skip:
                RESULTS.append((name, "SKIP"))
                print(f"SKIP {name}: {skip}", flush=True)
            except Exception as error:  # noqa: BLE001 - every failure is reported, not raised
                RESULTS.append((name, "FAIL"))
                print(f"FAIL {name}: {type(error).__name__}: {error}", flush=True)
        return run
    return wrap


# ----------------------------------------------------------------------------- helpers

def bdecode(data: bytes):
    """A minimal bencode reader for the routing-table file (trusted input, our own format)."""
    def value(i):
        c = data[i:i + 1]
        if c == b"i":
            end = data.index(b"e", i)
            return int(data[i + 1:end]), end + 1
        if c in (b"l", b"d"):
            items, i = [], i + 1
            while data[i:i + 1] != b"e":
                item, i = value(i)
                items.append(item)
            return (dict(zip(items[::2], items[1::2])) if c == b"d" else items), i + 1
        colon = data.index(b":", i)
        length = int(data[i:colon])
        return data[colon + 1:colon + 1 + length], colon + 1 + length
    result, _ = value(0)
    return result


def routing_table(data_dir: str) -> tuple[str, int] | None:
    """(node id hex, saved IPv4 node count) of `dht-routing-table`, or None if absent."""
    path = os.path.join(data_dir, "dht-routing-table")
    try:
        with open(path, "rb") as f:
            table = bdecode(f.read())
    except FileNotFoundError:
        return None
    return table[b"id"].hex(), len(table.get(b"nodes", b"")) // 26


def started_lines(log_path: str) -> list[tuple[str, int]]:
    """(node_id, saved_nodes) of every 'dht node started' line in a node's log."""
    with open(log_path, errors="replace") as f:
        return [(m.group(1), int(m.group(2))) for m in
                re.finditer(r"node_id=([0-9a-f]{40}) saved_nodes=(\d+)", f.read())]


def manifest_seq(binary: str, workdir: str, public_key: str, topic: str, bootstrap_port: int) -> int | None:
    """The `seq` of a gateway's roster manifest as the DHT has it now (`tom-node dht get`)."""
    salt = "tom:%s:0" % hashlib.sha1(("tom-topic:v1:" + topic).encode()).hexdigest()[:32]
    out = subprocess.run(
        [binary, "dht", "get", "--key", public_key, "--salt", salt, "--bootstrap", f"127.0.0.1:{bootstrap_port}",
         "--host", "127.0.0.1", "--data-dir", os.path.join(workdir, "dht-get"), "--json", "--timeout", "10"],
        capture_output=True, text=True, timeout=30)
    try:
        report = json.loads(out.stdout)
    except ValueError:
        return None
    return report.get("seq") if report.get("found") else None


def start_failure(binary: str, data_dir: str, mode="seed") -> tuple[int | None, str]:
    """Starts tom-node on `data_dir`; returns its exit code (None if it kept running) and stderr."""
    args = [binary, "--mode", mode, "--host", "127.0.0.1", "--port", str(free_port()), "--data-dir", data_dir,
            "--log-level", "warning"]
    if mode == "peer":
        dht = free_port(kind=__import__("socket").SOCK_DGRAM)
        args += ["--dht-port", str(dht), "--bootstrap", f"127.0.0.1:{dht}"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _, err = proc.communicate(timeout=10)
        return proc.returncode, err
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return None, ""


class Tmpfs:
    """A small tmpfs of our own (root only), unmounted on exit."""

    def __init__(self, path: str, size_kib: int, read_only=False):
        self.path = path
        os.makedirs(path, exist_ok=True)
        options = f"size={size_kib}k,mode=0700" + (",ro" if read_only else "")
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", path], capture_output=True, text=True)
        if result.returncode != 0:
            raise Skip(f"cannot mount a tmpfs here ({result.stderr.strip() or 'not root'})")

    def fill(self) -> str:
        """Writes a filler file until the file system is full; returns its path."""
        filler = os.path.join(self.path, "filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise
        finally:
            os.close(fd)
        return filler

    def unmount(self):
        subprocess.run(["umount", "-l", self.path], capture_output=True)


# ----------------------------------------------------------------------------- checks

@check("SIGKILL of a peer gateway under load, restart on the same data directory: same identity and DHT id, "
       "routing table reloaded, roster seq increases, its clients reconnect and the others see them again")
async def t_sigkill_restart(binary: str, workdir: str):
    topic = f"fault-{os.getpid()}"
    net = Network(binary, workdir)
    extra = ["--topic", topic, "--link-grace", "2", "--save-interval", "1", "--log-level", "info"]
    try:
        a, b, c = (net.add(name, "peer", extra) for name in ("a", "b", "c"))
        for node in (a, b, c):
            await net.ready(node)
        await net.linked([a, b, c])
        hosted = [await Client(f"c{i}").connect(c.url) for i in range(6)]
        watchers = [await Client(f"a{i}").connect(a.url) for i in range(3)] + [await Client(f"b{i}").connect(b.url) for i in range(3)]
        for client in watchers + hosted:
            await client.register()
            await until(lambda: client.sees(client), 5, f"{client.label}'s own registration")
        everyone = watchers + hosted
        await until(lambda: all(w.sees(*everyone) for w in everyone), 20, "every client listing every other")

        # Load: signals from the watchers to the hosted clients, and heartbeats, until told.
        stop = asyncio.Event()
        sent = {"signals": 0}

        async def load():
            while not stop.is_set():
                for w in watchers:
                    if w.closed:
                        continue
                    target = random.choice(hosted)
                    try:
                        await w.send({"type": "signal", "from": w.node_id, "to": target.node_id, "payload": "x" * 512})
                        await w.send({"type": "heartbeat"})
                        sent["signals"] += 1
                    except Exception:  # noqa: BLE001 - a send racing the kill is part of the load
                        pass
                # Two messages per watcher per round, at most 40/s: under the default per-connection
                # message rate (100/s). A debug build runs this phase for longer than a 200/s load
                # stays within the 500-message burst, and the gateway then rightly closes the watcher.
                await asyncio.sleep(0.05)
        load_task = asyncio.get_running_loop().create_task(load())

        public_key = c.status()["publicKey"]
        await until(lambda: (routing_table(c.data_dir) or ("", 0))[1] >= 2, 20, "c's routing table saved with a and b")
        node_id, saved = routing_table(c.data_dir)
        first_start = started_lines(c.log_path)[0]
        assert first_start[0] == node_id, f"saved id {node_id} is not the started id {first_start[0]}"
        seq_before = await until(lambda: asyncio.to_thread(manifest_seq, binary, workdir, public_key, topic, a.dht_port),
                                 30, "c's roster manifest in the DHT before the kill", interval=1)
        await asyncio.sleep(1)  # the load runs a while before the kill
        relayed_before = sum(len(h.got(lambda m: m.get("type") == "signal")) for h in hosted)

        c.kill(signal.SIGKILL)
        assert c.wait(10) == -signal.SIGKILL, "c did not die of SIGKILL"
        killed = time.monotonic()

        def all_left(w):
            left = {m.get("nodeId") for m in w.inbox if m.get("type") == "presence" and m.get("action") == "leave"}
            return all(h.node_id in left for h in hosted)
        await until(lambda: all(all_left(w) for w in watchers), 15, "a leave for every client of c at every watcher")
        left_after = time.monotonic() - killed
        await until(lambda: all(h.closed for h in hosted), 10, "c's clients to see their sockets end")

        # Same data directory, same flags.
        c.start()
        await net.ready(c)
        assert c.status()["publicKey"] == public_key, "a new identity after the restart"
        await until(lambda: len(started_lines(c.log_path)) >= 2, 10, "c's second 'dht node started' line")
        second_id, second_saved = started_lines(c.log_path)[1]
        assert second_id == node_id, f"DHT node id changed: {node_id} -> {second_id}"
        assert second_saved >= 2, f"only {second_saved} saved nodes reloaded"
        for h in hosted:
            await h.connect(c.url)
            await h.register()
        await until(lambda: all(w.sees(*hosted) for w in watchers), 20, "the other gateways' clients to see c's clients again")
        rejoined_after = time.monotonic() - killed
        await until(lambda: (c.status().get("gatewayLinks") or 0) >= 2, 30, "c linked to a and b again")

        # Signals reach the reconnected clients; no client of a or b was ever closed.
        marker = {"type": "signal", "from": watchers[0].node_id, "to": hosted[0].node_id, "marker": "after-restart"}
        await watchers[0].send(marker)
        await until(lambda: hosted[0].got(lambda m: m.get("marker") == "after-restart"), 10, "a signal after the restart")
        assert not any(w.closed for w in watchers), "a client of a surviving gateway was closed"

        async def newer_seq():
            seq = await asyncio.to_thread(manifest_seq, binary, workdir, public_key, topic, a.dht_port)
            return seq if seq and seq > seq_before else None
        seq_after = await until(newer_seq, 30, "a roster manifest with a higher seq in the DHT", interval=1)
        stop.set()
        await load_task
        for client in everyone:
            await client.ws.close()
        return (f"{sent['signals']} signals under load ({relayed_before} relayed before the kill); leaves after "
                f"{left_after:.1f} s; clients back everywhere {rejoined_after:.1f} s after the kill; "
                f"{second_saved} saved nodes reloaded; seq {seq_before} -> {seq_after}")
    finally:
        net.stop()


@check("data directory in the way of a file: exit 1, one line naming it")
async def t_data_dir_is_file(binary: str, workdir: str):
    blocker = os.path.join(workdir, "blocker")
    with open(blocker, "w") as f:
        f.write("not a directory")
    for target in (blocker, os.path.join(blocker, "data")):
        code, err = start_failure(binary, target)
        assert code == 1, f"exit code {code} for --data-dir {target}"
        lines = err.strip().splitlines()
        assert len(lines) == 1 and blocker in lines[0], f"stderr: {err!r}"
    return lines[0].strip()


@check("read-only data directory (read-only tmpfs): exit 1, one line naming it and the cause")
async def t_data_dir_read_only(binary: str, workdir: str):
    mount = Tmpfs(os.path.join(workdir, "ro"), 256, read_only=True)
    try:
        code, err = start_failure(binary, mount.path)
        assert code == 1, f"exit code {code}"
        lines = err.strip().splitlines()
        assert len(lines) == 1 and mount.path in lines[0] and "Read-only file system" in lines[0], f"stderr: {err!r}"
        return lines[0].strip()
    finally:
        mount.unmount()


@check("full data directory at first start (full tmpfs): exit 1 naming the identity file, nothing half-written")
async def t_data_dir_full(binary: str, workdir: str):
    mount = Tmpfs(os.path.join(workdir, "full"), 64)
    try:
        mount.fill()
        code, err = start_failure(binary, os.path.join(mount.path))
        assert code == 1, f"exit code {code}"
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "identity" in lines[0] and "No space left on device" in lines[0], f"stderr: {err!r}"
        leftovers = [n for n in os.listdir(mount.path) if n != "filler"]
        assert not leftovers, f"left behind: {leftovers}"
        return lines[0].strip()
    finally:
        mount.unmount()


@check("data directory filling up under a running peer: saves fail and are logged, the previous routing table "
       "stays whole, SIGTERM still exits 0, and the node restarts from it once there is room")
async def t_data_dir_fills_up(binary: str, workdir: str):
    mount = Tmpfs(os.path.join(workdir, "fills"), 512)
    net = Network(binary, workdir)
    try:
        anchor = net.add("anchor", "peer", ["--topic", f"fill-{os.getpid()}"])
        await net.ready(anchor)
        node = Node(binary, workdir, "filling", "peer", [anchor.dht_port],
                    ["--topic", f"fill-{os.getpid()}", "--save-interval", "1", "--log-level", "info"])
        node.data_dir = os.path.join(mount.path, "data")
        node.args[node.args.index("--data-dir") + 1] = node.data_dir
        node.start()
        net.nodes.append(node)
        await net.ready(node)
        await until(lambda: (routing_table(node.data_dir) or ("", 0))[1] >= 1, 20, "a saved routing table naming the anchor")
        filler = mount.fill()
        # A save that began before the disk filled may still land: take the state after one failure.
        failures = lambda: open(node.log_path, errors="replace").read().count("cannot save the routing table")
        await until(lambda: failures() >= 1, 10, "a failed save in the log")
        with open(os.path.join(node.data_dir, "dht-routing-table"), "rb") as f:
            kept = f.read()
        await until(lambda: failures() >= 3, 10, "more failed saves")
        with open(os.path.join(node.data_dir, "dht-routing-table"), "rb") as f:
            assert f.read() == kept, "the routing table changed while the disk was full"
        assert not [n for n in os.listdir(node.data_dir) if ".tmp-" in n], "a temporary file was left behind"
        assert node.http("GET", "/health")[0] == 200, "the node stopped serving while the disk was full"
        node.kill(signal.SIGTERM)
        assert node.wait(10) == 0, "SIGTERM with a full disk did not exit 0"
        with open(os.path.join(node.data_dir, "dht-routing-table"), "rb") as f:
            assert f.read() == kept, "the exit save damaged the routing table"
        os.remove(filler)
        node.start()
        await net.ready(node)
        await until(lambda: len(started_lines(node.log_path)) >= 2, 10, "the second 'dht node started' line")
        (first_id, _), (second_id, saved) = started_lines(node.log_path)[:2]
        assert second_id == first_id and saved >= 1, f"restart: id {first_id} -> {second_id}, {saved} saved nodes"
        return f"{failures()} failed saves logged; restarted with {saved} saved node(s)"
    finally:
        net.stop()
        mount.unmount()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tom-node", default=".build/debug/tom-node")
    args = parser.parse_args()
    binary = os.path.abspath(args.tom_node)
    workdir = tempfile.mkdtemp(prefix="tom-faults-")
    try:
        for test in (t_sigkill_restart, t_data_dir_is_file, t_data_dir_read_only, t_data_dir_full, t_data_dir_fills_up):
            await test(binary, workdir)
    finally:
        for mount in ("ro", "full", "fills"):
            subprocess.run(["umount", "-l", os.path.join(workdir, mount)], capture_output=True)
        if not any(verdict == "FAIL" for _, verdict in RESULTS):
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"logs kept in {workdir}", flush=True)
    passed = sum(verdict == "PASS" for _, verdict in RESULTS)
    failed = sum(verdict == "FAIL" for _, verdict in RESULTS)
    skipped = sum(verdict == "SKIP" for _, verdict in RESULTS)
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
