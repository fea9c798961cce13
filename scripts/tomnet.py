"""Real tom-node processes on loopback and legacy WebSocket clients, shared by the
multi-process tests (gateway-tests.py) and the gateway benchmark (bench-gateways.py)."""
import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import websockets


def free_port(kind=socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    """One tom-node process on loopback."""

    def __init__(self, binary: str, workdir: str, name: str, mode: str, bootstrap: list[int], extra: list[str]):
        self.name = name
        self.mode = mode
        self.port = free_port()
        self.dht_port = free_port(socket.SOCK_DGRAM)
        self.data_dir = os.path.join(workdir, name)
        self.log_path = os.path.join(workdir, f"{name}.log")
        boot = ",".join(f"127.0.0.1:{p}" for p in bootstrap) or f"127.0.0.1:{self.dht_port}"
        self.args = [binary, "--mode", mode, "--host", "127.0.0.1", "--port", str(self.port),
                     "--dht-port", str(self.dht_port), "--data-dir", self.data_dir, "--bootstrap", boot,
                     "--gateway-refresh", "1", "--log-level", "debug"] + extra
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Node":
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT)
        return self

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def http(self, method: str, path: str) -> tuple[int, dict | str]:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method)
        try:
            with urllib.request.urlopen(req, timeout=3) as resp:
                body = resp.read().decode()
                status = resp.status
        except urllib.error.HTTPError as error:
            body, status = error.read().decode(), error.code
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body

    def status(self) -> dict:
        return self.http("GET", "/status")[1]

    def kill(self, sig=signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait(self, timeout=10) -> int | None:
        try:
            return self.proc.wait(timeout) if self.proc else None
        except subprocess.TimeoutExpired:
            return None


async def until(predicate, timeout: float, what: str, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(interval)


class Client:
    """A legacy client that records everything it receives."""

    def __init__(self, label: str):
        self.label = label
        self.node_id = secrets.token_hex(32)
        self.inbox: list[dict] = []
        self.ws = None
        self.closed = False

    async def connect(self, url: str) -> "Client":
        self.ws = await websockets.connect(url, max_size=None)
        self.closed = False
        asyncio.get_running_loop().create_task(self._pump())
        return self

    async def _pump(self):
        ws = self.ws
        try:
            async for text in ws:
                self.inbox.append(json.loads(text))
        except websockets.ConnectionClosed:
            pass
        if ws is self.ws:
            self.closed = True

    async def send(self, obj):
        await self.ws.send(json.dumps(obj))

    async def register(self, username=None):
        await self.send({"type": "register", "nodeId": self.node_id, "username": username or self.label,
                         "publicKey": "pk-" + self.label})

    def last_participants(self) -> list[str]:
        lists = [m for m in self.inbox if m.get("type") == "participants"]
        return [p["nodeId"] for p in lists[-1]["participants"]] if lists else []

    def sees(self, *clients: "Client") -> bool:
        listed = set(self.last_participants())
        return all(c.node_id in listed for c in clients)

    def got(self, predicate) -> list[dict]:
        return [m for m in self.inbox if predicate(m)]


class Network:
    def __init__(self, binary: str, workdir: str):
        self.binary = binary
        self.workdir = workdir
        self.nodes: list[Node] = []

    def add(self, name: str, mode: str, extra: list[str] = ()) -> Node:
        bootstrap = [self.nodes[0].dht_port] if self.nodes else []
        node = Node(self.binary, self.workdir, name, mode, bootstrap, list(extra)).start()
        self.nodes.append(node)
        return node

    async def ready(self, node: Node):
        await until(lambda: self._health(node), 20, f"{node.name} /health")

    @staticmethod
    def _health(node: Node) -> bool:
        try:
            return node.http("GET", "/health")[0] == 200
        except OSError:
            return False

    async def linked(self, nodes: list[Node], timeout=30):
        def all_linked():
            try:
                return all((n.status().get("gatewayLinks") or 0) >= len(nodes) - 1 for n in nodes)
            except OSError:
                return False
        await until(all_linked, timeout, f"{len(nodes)} gateways fully linked")

    def stop(self):
        for node in self.nodes:
            node.kill(signal.SIGKILL)
        for node in self.nodes:
            node.wait(5)
