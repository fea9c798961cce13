#!/usr/bin/env python3
"""Conformance tests for the legacy ToM signaling wire contract.

Drives a running server over real WebSockets (and raw HTTP / raw frames) and checks
every rule of /work/shared/legacy-protocol.md, plus the hardening rules that the
replacement adds on top of the original server.

    pip install -r scripts/requirements-conformance.txt    # just `websockets`
    python3 scripts/conformance.py --url ws://127.0.0.1:3001 [--timeout 5] [--verbose]

Prints one line per case (`PASS name (12 ms)` / `FAIL name: reason` / `SKIP name: why`)
and a last line `N passed, M failed`; exit code 0 iff nothing failed.

Every case opens its own connections with fresh random nodeIds, so the server may
have other clients: messages about nodeIds a case did not create are skipped as noise.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import secrets
import struct
import sys
import time
import urllib.parse

try:
    from websockets.asyncio.client import connect as ws_connect
    from websockets.exceptions import ConnectionClosed
    from websockets.protocol import State
except ImportError:  # pragma: no cover - message for humans
    sys.exit("conformance.py needs the `websockets` package (>= 13): pip install websockets")

JSON_CT = "application/json; charset=utf-8"
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Fail(Exception):
    """A case failed; the message is the reason printed after `FAIL name:`."""


class Skip(Exception):
    """A case does not apply with the given options."""


def check(cond: bool, reason: str) -> None:
    if not cond:
        raise Fail(reason)


def short(obj, limit: int = 160) -> str:
    text = obj if isinstance(obj, str) else json.dumps(obj, separators=(",", ":"))
    return text if len(text) <= limit else text[:limit] + f"...({len(text)} chars)"


def dumps(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def hex64() -> str:
    """A random nodeId-like value: 64 lowercase hex chars (an Ed25519 key in hex)."""
    return secrets.token_hex(32)


# ----------------------------------------------------------------------------- context

class Options:
    def __init__(self, args: argparse.Namespace):
        parts = urllib.parse.urlsplit(args.url)
        if parts.scheme != "ws" or not parts.hostname:
            sys.exit(f"--url must look like ws://host:port, got {args.url!r}")
        self.url = f"ws://{parts.netloc}"
        self.host = parts.hostname
        self.port = parts.port or 80
        self.timeout = args.timeout
        self.verbose = args.verbose
        self.max_bytes = args.max_message_bytes


class Case:
    """Per-case state: the nodeIds this case created and every connection it opened."""

    def __init__(self, opts: Options, name: str):
        self.opts = opts
        self.name = name
        self.timeout = opts.timeout
        self.ids: set[str] = set()
        self.clients: list[Client] = []
        self.members: list[Client] = []  # clients registered (last owner of each nodeId)
        self.raws: list[RawWS] = []

    def new_id(self) -> str:
        node_id = hex64()
        self.ids.add(node_id)
        return node_id

    def log(self, text: str) -> None:
        if self.opts.verbose:
            print(f"    [{self.name}] {text}", flush=True)

    def is_mine(self, msg) -> bool:
        """Does a received message concern this case (rather than some stranger's client)?

        Participants lists are sent on every register/disconnect anywhere on the server,
        so they never count as "mine" here: cases that care about them wait for them
        explicitly (or forbid them with `forbid=`)."""
        if not isinstance(msg, dict):
            return True
        kind = msg.get("type")
        if kind == "participants":
            return False
        if kind == "presence":
            return not (isinstance(msg.get("nodeId"), str) and msg["nodeId"] not in self.ids)
        if kind == "heartbeat":
            return not (isinstance(msg.get("from"), str) and msg["from"] not in self.ids)
        if kind == "role-assign":
            return any(isinstance(msg.get(k), str) and msg[k] in self.ids for k in ("nodeId", "from"))
        return True  # signal, error, anything unknown

    def mine(self, kind: str):
        """Predicate: a message of this type that concerns this case (see is_mine)."""
        return lambda m: m.get("type") == kind and self.is_mine(m)

    async def client(self, label: str, path: str = "/", **kwargs) -> "Client":
        c = Client(self, label)
        await c.connect(path, **kwargs)
        return c

    async def registered(self, label: str, connect: dict | None = None, **kwargs) -> "Client":
        """Connect and register a client; every client of this case registered before
        it must then get its presence join (checked exactly) and a participants list."""
        earlier = [m for m in self.members if m.is_open()]
        c = await self.client(label, **(connect or {}))
        await c.register(**kwargs)
        for peer in earlier:
            await expect_presence(peer, "join", c)
            await peer.expect(participants_with(peer.node_id, c.node_id), f"participants after {label} joined")
        return c

    async def raw(self, label: str) -> "RawWS":
        r = RawWS(self, label)
        await r.open()
        return r

    async def close_all(self) -> None:
        async def close_one(c):
            try:
                await asyncio.wait_for(c.ws.close(), self.timeout)
            except Exception:
                pass
        await asyncio.gather(*(close_one(c) for c in self.clients if c.ws is not None))
        for c in self.clients:
            if c.pump is not None:
                c.pump.cancel()
        for r in self.raws:
            r.abort()


# ----------------------------------------------------------------------------- client

class Client:
    """One WebSocket client speaking JSON, with predicate-based waiting.

    A background task reads every frame as soon as it arrives (into an unbounded
    queue), so a client never slows the server down however much noise it gets."""

    def __init__(self, case: Case, label: str):
        self.case = case
        self.label = label
        self.ws = None
        self.queue: asyncio.Queue = asyncio.Queue()
        self.pump: asyncio.Task | None = None
        self.node_id: str | None = None
        self.username: str | None = None
        self.public_key: str | None = None
        self.encryption_key: str | None = None

    async def connect(self, path: str = "/", **kwargs) -> None:
        kwargs.setdefault("compression", None)
        try:
            self.ws = await ws_connect(
                self.case.opts.url + path, open_timeout=self.case.timeout, max_size=None,
                ping_interval=None, close_timeout=self.case.timeout, **kwargs)
        except Exception as exc:
            raise Fail(f"{self.label}: WebSocket connect to {path} failed: {exc!r}")
        self.case.clients.append(self)
        self.pump = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        try:
            while True:
                self.queue.put_nowait(await self.ws.recv())
        except Exception as exc:  # ConnectionClosed, usually: kept as the last item
            self.queue.put_nowait(exc)

    def is_open(self) -> bool:
        return self.ws is not None and self.ws.state is State.OPEN

    async def send(self, obj) -> None:
        await self.send_raw(dumps(obj))

    async def send_raw(self, data: str | bytes) -> None:
        try:
            await self.ws.send(data)
        except ConnectionClosed as exc:
            raise Fail(f"{self.label}: connection closed while sending ({exc})")

    async def register(self, username: str | None = None, public_key: bool = True,
                       encryption_key: bool = False, node_id: str | None = None,
                       wait: bool = True, binary: bool = False) -> str:
        """Register with a fresh nodeId; by default wait for the participants list
        that must follow, and check that it lists this client."""
        self.node_id = node_id or self.case.new_id()
        self.username = username or f"{self.label}-{self.node_id[:6]}"
        msg = {"type": "register", "nodeId": self.node_id, "username": self.username}
        self.public_key = self.encryption_key = None
        if public_key:
            self.public_key = self.node_id
            msg["publicKey"] = self.public_key
        if encryption_key:
            self.encryption_key = hex64()
            msg["encryptionKey"] = self.encryption_key
        text = dumps(msg)
        await self.send_raw(text.encode() if binary else text)
        members = self.case.members
        members[:] = [m for m in members if m is not self and m.node_id != self.node_id] + [self]
        if wait:
            await self.expect(participants_with(self.node_id),
                              "participants list containing itself after register")
        return self.node_id

    async def recv(self, deadline: float, what: str):
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise Fail(f"{self.label}: timed out waiting for {what}")
        try:
            data = await asyncio.wait_for(self.queue.get(), remaining)
        except (asyncio.TimeoutError, TimeoutError):
            raise Fail(f"{self.label}: timed out after {self.case.timeout:g}s waiting for {what}")
        if isinstance(data, Exception):
            self.queue.put_nowait(data)  # stays closed for later calls
            raise Fail(f"{self.label}: connection closed ({self.ws.close_code}) while waiting for {what}: {data}")
        if isinstance(data, bytes):
            raise Fail(f"{self.label}: server sent a binary frame (expected text): {short(repr(data))}")
        try:
            msg = json.loads(data)
        except ValueError:
            raise Fail(f"{self.label}: server sent non-JSON text: {short(data)}")
        if not isinstance(msg, dict):
            raise Fail(f"{self.label}: server sent JSON that is not an object: {short(data)}")
        return msg

    async def expect(self, pred, what: str, forbid=None, allow=None, timeout: float | None = None) -> dict:
        """Return the first message matching `pred`. Noise about strangers (and messages
        matching `allow`) is skipped; any other message of this case (or one matching
        `forbid`) arriving first fails."""
        deadline = asyncio.get_running_loop().time() + (timeout or self.case.timeout)
        while True:
            msg = await self.recv(deadline, what)
            if pred(msg):
                self.case.log(f"{self.label} <- {short(msg)}")
                return msg
            if forbid is not None and forbid(msg):
                raise Fail(f"{self.label}: got {short(msg)} before {what}")
            if self.case.is_mine(msg) and not (allow is not None and allow(msg)):
                raise Fail(f"{self.label}: unexpected {short(msg)} while waiting for {what}")
            self.case.log(f"{self.label} skipped noise {short(msg, 80)}")

    async def expect_error(self, error: str, context: str = "") -> dict:
        want = {"type": "error", "error": error}
        msg = await self.expect(lambda m: m.get("type") == "error",
                                f"error {error!r}{context}")
        check(msg == want, f"{self.label}: expected {dumps(want)}{context}, got {short(msg)}")
        return msg

    async def sentinel(self, after: str) -> None:
        """Prove that nothing of this case reached us: send a signal to a nodeId nobody
        registered; the first message of this case must be its `peer not found` reply."""
        ghost = self.case.new_id()
        await self.send({"type": "signal", "from": ghost, "to": ghost, "payload": "sentinel"})
        await self.expect(lambda m: m == {"type": "error", "error": "peer not found"},
                          f"sentinel reply 'peer not found' (after {after})")

    async def signal_to(self, target: "Client", after: str) -> dict:
        """Send a marked signal to `target` and check it is the first thing it gets
        from this case (so anything that should not have reached it did not)."""
        msg = {"type": "signal", "from": self.node_id or self.case.new_id(),
               "to": target.node_id, "payload": {"marker": secrets.token_hex(8)}}
        await self.send(msg)
        await target.expect(lambda m: m == msg, f"marker signal (after {after})")
        return msg

    async def expect_closed(self, codes: set[int], what: str) -> int:
        try:
            await asyncio.wait_for(self.ws.wait_closed(), self.case.timeout)
        except (asyncio.TimeoutError, TimeoutError):
            raise Fail(f"{self.label}: connection not closed within {self.case.timeout:g}s after {what}")
        code = self.ws.close_code
        check(code in codes, f"{self.label}: closed with code {code} after {what}, expected {sorted(codes)}")
        return code


def participants_with(*node_ids: str):
    def pred(m):
        if m.get("type") != "participants" or not isinstance(m.get("participants"), list):
            return False
        listed = {p.get("nodeId") for p in m["participants"] if isinstance(p, dict)}
        return all(n in listed for n in node_ids)
    return pred


def participants_renamed(node_id: str, username: str):
    """A participants list whose entry for node_id already carries `username`."""
    return lambda m: participants_with(node_id)(m) and any(
        isinstance(p, dict) and p.get("nodeId") == node_id and p.get("username") == username
        for p in m["participants"])


def participants_without(present: list[str], absent: list[str]):
    def pred(m):
        if not participants_with(*present)(m):
            return False
        listed = {p.get("nodeId") for p in m["participants"] if isinstance(p, dict)}
        return not any(n in listed for n in absent)
    return pred


def presence(action: str, node_id: str):
    return lambda m: m.get("type") == "presence" and m.get("action") == action and m.get("nodeId") == node_id


def entry_of(msg: dict, node_id: str) -> dict:
    entries = [p for p in msg["participants"] if isinstance(p, dict) and p.get("nodeId") == node_id]
    check(len(entries) == 1, f"nodeId {node_id[:12]}.. listed {len(entries)} times in participants")
    return entries[0]


def check_entry(msg: dict, c: Client) -> None:
    want = {"nodeId": c.node_id, "username": c.username}
    if c.encryption_key is not None:
        want["encryptionKey"] = c.encryption_key
    got = entry_of(msg, c.node_id)
    check(got == want, f"participants entry for {c.label}: expected {dumps(want)}, got {dumps(got)}")


def check_order(msg: dict, clients: list[Client]) -> None:
    ids = [p.get("nodeId") for p in msg["participants"] if isinstance(p, dict)]
    mine = [i for i in ids if i in {c.node_id for c in clients}]
    want = [c.node_id for c in clients]
    check(mine == want, f"participants order of {[c.label for c in clients]} wrong: "
                        f"got {[i[:8] for i in mine]}, expected {[i[:8] for i in want]}")


def presence_msg(action: str, c: Client) -> dict:
    msg = {"type": "presence", "action": action, "nodeId": c.node_id,
           "username": c.username, "publicKey": c.public_key or ""}
    if c.encryption_key is not None:
        msg["encryptionKey"] = c.encryption_key
    return msg


async def expect_presence(observer: Client, action: str, subject: Client, ordered: bool = True) -> None:
    """Wait for the exact presence message; with `ordered`, a participants list that
    already reflects the change must not arrive before it."""
    want = presence_msg(action, subject)
    if not ordered:  # e.g. a re-join: lists naming the subject may legitimately come first
        early = None
    elif action == "join":
        early = participants_with(subject.node_id)  # a list with the joiner must come after
    else:
        early = lambda m: m.get("type") == "participants" and not participants_with(subject.node_id)(m)
    got = await observer.expect(presence(action, subject.node_id),
                                f"presence {action} of {subject.label}", forbid=early)
    check(got == want, f"{observer.label}: presence {action} of {subject.label}: expected {dumps(want)}, got {dumps(got)}")


# ----------------------------------------------------------------------------- raw HTTP and frames

async def http_request(opts: Options, method: str, path: str) -> tuple[int, dict, bytes]:
    reader, writer = await asyncio.wait_for(asyncio.open_connection(opts.host, opts.port), opts.timeout)
    try:
        req = (f"{method} {path} HTTP/1.1\r\nHost: {opts.host}:{opts.port}\r\n"
               f"Connection: close\r\nContent-Length: 0\r\n\r\n")
        writer.write(req.encode())
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), opts.timeout)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), opts.timeout)
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int((await asyncio.wait_for(reader.readline(), opts.timeout)).strip().split(b";")[0], 16)
                if size == 0:
                    break
                body += await asyncio.wait_for(reader.readexactly(size + 2), opts.timeout)
                body = body[:-2]
        else:
            body = await asyncio.wait_for(reader.read(), opts.timeout)
        return status, headers, body
    finally:
        writer.close()


class RawWS:
    """A hand-rolled WebSocket client, for frames the library refuses to send."""

    def __init__(self, case: Case, label: str):
        self.case = case
        self.label = label
        self.reader = self.writer = None
        self.node_id: str | None = None

    async def open(self, path: str = "/") -> None:
        opts = self.case.opts
        self.reader, self.writer = await asyncio.wait_for(asyncio.open_connection(opts.host, opts.port), opts.timeout)
        self.case.raws.append(self)
        key = base64.b64encode(os.urandom(16)).decode()
        self.writer.write((f"GET {path} HTTP/1.1\r\nHost: {opts.host}:{opts.port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        await self.writer.drain()
        try:
            head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), opts.timeout)
        except Exception as exc:
            raise Fail(f"{self.label}: no handshake response: {exc!r}")
        lines = head.decode("latin-1").split("\r\n")
        check(lines[0].split(" ")[1:2] == ["101"], f"{self.label}: handshake answered {lines[0]!r}, expected 101")
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        got = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
        check(got.get("sec-websocket-accept") == accept, f"{self.label}: bad Sec-WebSocket-Accept {got.get('sec-websocket-accept')!r}")

    @staticmethod
    def frame(opcode: int, payload: bytes, fin: bool = True, mask: bool = True, rsv: int = 0) -> bytes:
        head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
        n = len(payload)
        mbit = 0x80 if mask else 0
        if n < 126:
            head += bytes([mbit | n])
        elif n < 65536:
            head += bytes([mbit | 126]) + struct.pack("!H", n)
        else:
            head += bytes([mbit | 127]) + struct.pack("!Q", n)
        if not mask:
            return head + payload
        key = os.urandom(4)
        return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))

    async def send_frame(self, opcode: int, payload: bytes, **kwargs) -> None:
        self.writer.write(self.frame(opcode, payload, **kwargs))
        await self.writer.drain()

    async def send_json(self, obj) -> None:
        await self.send_frame(0x1, dumps(obj).encode())

    async def read_frame(self, deadline: float) -> tuple[int, bytes] | None:
        """(opcode, payload) of the next frame (fragments not reassembled), None on EOF."""
        remaining = max(0.01, deadline - asyncio.get_running_loop().time())
        try:
            b0, b1 = await asyncio.wait_for(self.reader.readexactly(2), remaining)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", await self.reader.readexactly(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", await self.reader.readexactly(8))[0]
            key = await self.reader.readexactly(4) if b1 & 0x80 else None
            payload = await asyncio.wait_for(self.reader.readexactly(n), remaining)
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        except (asyncio.TimeoutError, TimeoutError):
            raise Fail(f"{self.label}: timed out waiting for a frame from the server")
        if key:
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        return b0 & 0x0F, payload

    async def expect_json(self, pred, what: str) -> dict:
        deadline = asyncio.get_running_loop().time() + self.case.timeout
        while True:
            frame = await self.read_frame(deadline)
            check(frame is not None, f"{self.label}: connection dropped while waiting for {what}")
            opcode, payload = frame
            if opcode == 0x1:
                msg = json.loads(payload)
                if isinstance(msg, dict) and pred(msg):
                    return msg

    async def expect_close(self, code: int, what: str) -> None:
        """Skip data frames until the server's close frame; check its status code."""
        deadline = asyncio.get_running_loop().time() + self.case.timeout
        while True:
            frame = await self.read_frame(deadline)
            check(frame is not None, f"{self.label}: TCP connection dropped without a close frame after {what} (expected close {code})")
            opcode, payload = frame
            if opcode == 0x8:
                got = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                check(got == code, f"{self.label}: close code {got} after {what}, expected {code}")
                self.abort()
                return

    async def expect_pong(self, data: bytes) -> None:
        deadline = asyncio.get_running_loop().time() + self.case.timeout
        while True:
            frame = await self.read_frame(deadline)
            check(frame is not None, f"{self.label}: connection dropped while waiting for pong")
            opcode, payload = frame
            check(opcode != 0x8, f"{self.label}: server closed instead of answering ping")
            if opcode == 0xA:
                check(payload == data, f"{self.label}: pong payload {payload!r}, expected {data!r}")
                return

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.close()


# ----------------------------------------------------------------------------- cases

CASES: list[tuple[str, str, object]] = []  # (name, group, coroutine function)


def case(name: str, group: str = "legacy"):
    def deco(fn):
        CASES.append((name, group, fn))
        return fn
    return deco


# --- HTTP ------------------------------------------------------------------

async def check_http(opts, method, path, status, body):
    got_status, headers, got_body = await http_request(opts, method, path)
    check(got_status == status, f"{method} {path}: status {got_status}, expected {status}")
    ct = headers.get("content-type")
    check(ct is not None and ct.lower() == JSON_CT, f"{method} {path}: content-type {ct!r}, expected {JSON_CT!r}")
    check(got_body == body, f"{method} {path}: body {got_body!r}, expected {body!r}")


@case("http: GET /health -> 200 {\"ok\":true}")
async def t_health(c: Case):
    await check_http(c.opts, "GET", "/health", 200, b'{"ok":true}')


@case("http: GET /health?x=1 -> 200 (query ignored)")
async def t_health_query(c: Case):
    await check_http(c.opts, "GET", "/health?x=1", 200, b'{"ok":true}')


@case("http: GET /nope -> 404 {\"error\":\"not found\"}")
async def t_not_found(c: Case):
    await check_http(c.opts, "GET", "/nope", 404, b'{"error":"not found"}')


@case("http: POST / -> 404 {\"error\":\"not found\"}")
async def t_post_root(c: Case):
    await check_http(c.opts, "POST", "/", 404, b'{"error":"not found"}')


@case("http: GET / without upgrade -> 404")
async def t_get_root(c: Case):
    await check_http(c.opts, "GET", "/", 404, b'{"error":"not found"}')


# --- transport -------------------------------------------------------------

@case("ws: upgrade accepted at /")
async def t_upgrade_root(c: Case):
    a = await c.client("a", "/")
    await a.sentinel("connect at /")


@case("ws: upgrade accepted at /some/path?q=1")
async def t_upgrade_path(c: Case):
    a = await c.client("a", "/some/path?q=1")
    await a.register()
    await a.sentinel("connect at /some/path?q=1")


@case("ws: raw handshake returns 101 with correct Sec-WebSocket-Accept")
async def t_raw_handshake(c: Case):
    r = await c.raw("raw")
    await r.send_json({"type": "signal", "from": "x", "to": c.new_id()})
    msg = await r.expect_json(lambda m: m.get("type") == "error", "error reply")
    check(msg == {"type": "error", "error": "peer not found"}, f"raw: got {short(msg)}")


@case("ws: subprotocol 'foo, bar' -> 'foo' echoed")
async def t_subprotocol(c: Case):
    a = await c.client("a", subprotocols=["foo", "bar"])
    check(a.ws.subprotocol == "foo", f"negotiated subprotocol {a.ws.subprotocol!r}, expected 'foo'")
    await a.sentinel("subprotocol connect")


@case("ws: client offering permessage-deflate (like browsers) works")
async def t_deflate(c: Case):
    a = await c.registered("a", connect={"compression": "deflate"})
    b = await c.registered("b", connect={"compression": "deflate"})
    msg = {"type": "signal", "from": a.node_id, "to": b.node_id, "payload": {"sdp": "v=0 " * 500}}
    await a.send(msg)
    got = await b.expect(lambda m: m.get("type") == "signal", "signal over deflate")
    check(got == msg, f"b: signal differs: {short(got)}")


@case("ws: ping frame answered with pong carrying the same payload")
async def t_ping(c: Case):
    r = await c.raw("raw")
    data = os.urandom(16)
    await r.send_frame(0x9, data)
    await r.expect_pong(data)


# --- register --------------------------------------------------------------

@case("register: registrant gets participants with itself, no publicKey field")
async def t_register_self(c: Case):
    a = await c.client("a")
    await a.register(encryption_key=True, wait=False)
    msg = await a.expect(lambda m: m.get("type") == "participants", "participants after register",
                         forbid=lambda m: m.get("type") == "presence")
    check(participants_with(a.node_id)(msg), f"a: first participants lacks itself: {short(msg)}")
    check(set(msg) == {"type", "participants"}, f"a: participants message keys {sorted(msg)}")
    check_entry(msg, a)
    b = await c.client("b")
    await b.register(wait=False)
    msg = await b.expect(participants_with(b.node_id), "participants after register")
    check_entry(msg, b)
    check_entry(msg, a)
    await expect_presence(a, "join", b)
    await a.expect(participants_with(a.node_id, b.node_id), "participants after b joined")
    await a.sentinel("registrations")  # a got no presence about itself
    await b.sentinel("registration")   # b got no presence about itself


@case("register: others get presence join (with publicKey/encryptionKey) before participants")
async def t_register_presence(c: Case):
    a = await c.registered("a")
    b = await c.client("b")
    await b.register(public_key=True, encryption_key=True, wait=False)
    await expect_presence(a, "join", b)
    msg = await a.expect(participants_with(a.node_id, b.node_id), "participants after b joined")
    check_entry(msg, b)
    check_entry(msg, a)
    await b.expect(participants_with(a.node_id, b.node_id), "participants after own register")
    await b.sentinel("own register")  # no presence about itself


@case("register: presence publicKey is \"\" and encryptionKey absent when not given")
async def t_register_no_keys(c: Case):
    a = await c.registered("a", encryption_key=True)
    b = await c.client("b")
    await b.register(public_key=False, encryption_key=False, wait=False)
    await expect_presence(a, "join", b)
    msg = await a.expect(participants_with(a.node_id, b.node_id), "participants after b joined")
    check_entry(msg, b)


@case("register: participants in registration order")
async def t_register_order(c: Case):
    clients: list[Client] = []
    for label in ("a", "b", "c", "d"):
        new = await c.client(label)
        await new.register(encryption_key=(label in "ac"), public_key=(label != "c"), wait=False)
        for cl in clients + [new]:
            if cl is not new:
                await expect_presence(cl, "join", new)
            msg = await cl.expect(participants_with(new.node_id), f"participants after {label} joined")
            check_order(msg, clients + [new])
            for x in clients + [new]:
                check_entry(msg, x)
        clients.append(new)


@case("register: same socket, same nodeId again -> join + participants with new username")
async def t_register_again(c: Case):
    a = await c.registered("a")
    b = await c.registered("b", encryption_key=True)
    d = await c.registered("d")
    await b.register(node_id=b.node_id, username="b-renamed", wait=False)
    for peer in (a, d):
        await expect_presence(peer, "join", b, ordered=False)
        msg = await peer.expect(participants_renamed(b.node_id, "b-renamed"), "participants after b re-registered")
        check_order(msg, [a, b, d])   # the entry keeps its place
        check_entry(msg, b)
    msg = await b.expect(participants_renamed(b.node_id, "b-renamed"), "participants after own re-register")
    check_entry(msg, b)
    await b.sentinel("re-register")  # no presence about itself


@case("register: missing nodeId -> error")
async def t_register_no_node(c: Case):
    a = await c.client("a")
    await a.send({"type": "register", "username": "u", "publicKey": hex64()})
    await a.expect_error("missing nodeId or username")


@case("register: missing username -> error, not registered")
async def t_register_no_user(c: Case):
    a = await c.client("a")
    node = c.new_id()
    await a.send({"type": "register", "nodeId": node, "publicKey": node})
    await a.expect_error("missing nodeId or username")
    await a.send({"type": "signal", "from": node, "to": node})
    await a.expect_error("peer not found", " (the failed register must not register)")


@case("register: empty-string nodeId -> error")
async def t_register_empty_node(c: Case):
    a = await c.client("a")
    await a.send({"type": "register", "nodeId": "", "username": "u"})
    await a.expect_error("missing nodeId or username")


@case("register: empty-string username -> error")
async def t_register_empty_user(c: Case):
    a = await c.client("a")
    await a.send({"type": "register", "nodeId": c.new_id(), "username": ""})
    await a.expect_error("missing nodeId or username")


@case("register: failed register sends nothing to others")
async def t_register_fail_quiet(c: Case):
    a = await c.registered("a")
    b = await c.client("b")
    await b.send({"type": "register", "nodeId": c.new_id()})
    await b.expect_error("missing nodeId or username")
    await a.sentinel("failed register of b")


# --- signal ----------------------------------------------------------------

async def relay(c: Case, msg_for, sender_registered: bool = True):
    a = await c.registered("a") if sender_registered else await c.client("a")
    b = await c.registered("b")
    msg = msg_for(a, b)
    await a.send(msg)
    got = await b.expect(lambda m: m.get("type") == "signal", "forwarded signal")
    check(got == msg, f"b: forwarded signal differs: sent {short(msg)}, got {short(got)}")
    await a.sentinel("signal")  # sender gets no echo / error
    return a, b


@case("signal: forwarded verbatim with extra fields and nested payload")
async def t_signal_fields(c: Case):
    await relay(c, lambda a, b: {
        "type": "signal", "from": a.node_id, "to": b.node_id, "extra": "field", "n": 42, "flag": False,
        "nothing": None, "list": [1, "two", {"three": [3]}],
        "payload": {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n",
                    "nested": {"deep": {"deeper": [None, True, -1.5, "h\u00e9llo \u2713 \U0001F600"]}}}})


@case("signal: payload of other JSON kinds (null, string, array, number, absent)")
async def t_signal_payload_kinds(c: Case):
    a = await c.client("a")
    b = await c.registered("b")
    for payload in (None, "text", [1, [2]], 7, "absent"):
        msg = {"type": "signal", "from": c.new_id(), "to": b.node_id}
        if payload != "absent":
            msg["payload"] = payload
        await a.send(msg)
        got = await b.expect(lambda m: m.get("type") == "signal", f"signal with payload {payload!r}")
        check(got == msg, f"b: forwarded signal differs: sent {short(msg)}, got {short(got)}")


@case("signal: ~8 KiB application payload forwarded")
async def t_signal_8k(c: Case):
    await relay(c, lambda a, b: {"type": "signal", "from": a.node_id, "to": b.node_id,
                                 "payload": {"type": "message", "envelope": {"data": secrets.token_hex(4096)}}})


@case("signal: ~64 KiB payload forwarded")
async def t_signal_64k(c: Case):
    await relay(c, lambda a, b: {"type": "signal", "from": a.node_id, "to": b.node_id,
                                 "payload": {"type": "message", "envelope": {"data": secrets.token_hex(32768)}}})


@case("signal: from is not checked against the sender")
async def t_signal_spoofed_from(c: Case):
    await relay(c, lambda a, b: {"type": "signal", "from": hex64(), "to": b.node_id, "payload": {"x": 1}})


@case("signal: unregistered socket may send signals")
async def t_signal_unregistered(c: Case):
    await relay(c, lambda a, b: {"type": "signal", "from": "whoever", "to": b.node_id, "payload": "hi"},
                sender_registered=False)


@case("signal: missing to -> error 'missing to or from'")
async def t_signal_no_to(c: Case):
    a = await c.registered("a")
    await a.send({"type": "signal", "from": a.node_id, "payload": 1})
    await a.expect_error("missing to or from")
    await a.send({"type": "signal", "from": a.node_id, "to": "", "payload": 1})
    await a.expect_error("missing to or from", " (empty to)")


@case("signal: missing from -> error 'missing to or from'")
async def t_signal_no_from(c: Case):
    a = await c.client("a")
    b = await c.registered("b")
    await a.send({"type": "signal", "to": b.node_id, "payload": 1})
    await a.expect_error("missing to or from")
    await a.send({"type": "signal", "from": "", "to": b.node_id, "payload": 1})
    await a.expect_error("missing to or from", " (empty from)")
    await a.signal_to(b, "rejected signals")  # b got neither of them


@case("signal: unknown target -> error 'peer not found'")
async def t_signal_unknown(c: Case):
    a = await c.client("a")
    await a.send({"type": "signal", "from": c.new_id(), "to": c.new_id(), "payload": {}})
    await a.expect_error("peer not found")


@case("signal: to own nodeId is delivered back to the sender")
async def t_signal_self(c: Case):
    a = await c.registered("a")
    msg = {"type": "signal", "from": a.node_id, "to": a.node_id, "payload": {"loop": True}}
    await a.send(msg)
    got = await a.expect(c.mine("signal"), "own signal")
    check(got == msg, f"a: got {short(got)}")


@case("signal: target that disconnected -> error 'peer not found'")
async def t_signal_gone(c: Case):
    a = await c.registered("a")
    b = await c.registered("b")
    await b.ws.close()
    await a.expect(presence("leave", b.node_id), "presence leave of b")
    await a.send({"type": "signal", "from": a.node_id, "to": b.node_id, "payload": {}})
    await a.expect_error("peer not found")


# --- heartbeat -------------------------------------------------------------

@case("heartbeat: registered sender -> every other registered client, not the sender")
async def t_heartbeat(c: Case):
    a = await c.registered("a")
    b = await c.registered("b")
    d = await c.registered("d")
    await a.send({"type": "heartbeat"})
    for peer in (b, d):
        got = await peer.expect(c.mine("heartbeat"), "heartbeat from a")
        check(got == {"type": "heartbeat", "from": a.node_id}, f"{peer.label}: got {short(got)}")
    await a.sentinel("own heartbeat")


@case("heartbeat: from is the sender's nodeId, whatever the message says")
async def t_heartbeat_spoof(c: Case):
    a = await c.registered("a")
    b = await c.registered("b")
    await a.send({"type": "heartbeat", "from": c.new_id(), "extra": 1})
    got = await b.expect(c.mine("heartbeat"), "heartbeat from a")
    check(got == {"type": "heartbeat", "from": a.node_id}, f"b: got {short(got)}")


@case("heartbeat: unregistered sender -> nothing")
async def t_heartbeat_unregistered(c: Case):
    u = await c.client("u")
    b = await c.registered("b")
    await u.send({"type": "heartbeat"})
    await u.sentinel("heartbeat")
    await u.signal_to(b, "unregistered heartbeat")


# --- role-assign -----------------------------------------------------------

@case("role-assign: to every registered client including sender, from = sender")
async def t_role(c: Case):
    a = await c.registered("a")
    b = await c.registered("b")
    await a.send({"type": "role-assign", "nodeId": b.node_id, "roles": ["relay", "bootstrap"],
                  "from": c.new_id(), "extra": True})
    want = {"type": "role-assign", "nodeId": b.node_id, "roles": ["relay", "bootstrap"], "from": a.node_id}
    for peer in (a, b):
        got = await peer.expect(c.mine("role-assign"), "role-assign")
        check(got == want, f"{peer.label}: expected {dumps(want)}, got {short(got)}")


@case("role-assign: from omitted when sender not registered")
async def t_role_unregistered(c: Case):
    u = await c.client("u")
    a = await c.registered("a")
    b = await c.registered("b")
    await u.send({"type": "role-assign", "nodeId": a.node_id, "roles": ["relay"], "from": c.new_id()})
    want = {"type": "role-assign", "nodeId": a.node_id, "roles": ["relay"]}
    for peer in (a, b):
        got = await peer.expect(c.mine("role-assign"), "role-assign")
        check(got == want, f"{peer.label}: expected {dumps(want)}, got {short(got)}")
    await u.sentinel("role-assign from unregistered socket")


@case("role-assign: empty roles array is still broadcast")
async def t_role_empty(c: Case):
    a = await c.registered("a")
    await a.send({"type": "role-assign", "nodeId": a.node_id, "roles": []})
    got = await a.expect(c.mine("role-assign"), "role-assign")
    check(got == {"type": "role-assign", "nodeId": a.node_id, "roles": [], "from": a.node_id}, f"a: got {short(got)}")


@case("role-assign: ignored when nodeId or roles missing")
async def t_role_ignored(c: Case):
    a = await c.registered("a")
    b = await c.registered("b")
    await a.send({"type": "role-assign", "roles": ["relay"]})
    await a.send({"type": "role-assign", "nodeId": b.node_id})
    await a.send({"type": "role-assign", "nodeId": "", "roles": ["relay"]})
    await a.sentinel("incomplete role-assign")
    await a.signal_to(b, "incomplete role-assign")


# --- ignored and invalid input ---------------------------------------------

@case("ignore: unknown type and missing type ignored, connection stays open")
async def t_unknown_type(c: Case):
    a = await c.registered("a")
    b = await c.registered("b")
    for msg in ({"type": "bogus", "nodeId": b.node_id, "to": b.node_id},
                {"nodeId": b.node_id, "to": b.node_id}, {"type": 5}, {}):
        await a.send(msg)
    await a.sentinel("unknown types")
    await a.signal_to(b, "unknown types")


@case("ignore: non-object JSON (42, \"str\", true, [1,2]) ignored, connection stays open")
async def t_non_object(c: Case):
    a = await c.registered("a")
    b = await c.registered("b")
    for text in ("42", '"str"', "true", "[1,2]", '[{"type":"heartbeat"}]', "3.5", "false"):
        await a.send_raw(text)
    await a.sentinel("non-object JSON")
    await a.signal_to(b, "non-object JSON")


@case("invalid JSON text -> error 'invalid JSON', connection stays open")
async def t_invalid_json(c: Case):
    a = await c.client("a")
    for text in ("{not json", "", "{\"type\":\"signal\"", "undefined", "{'a':1}"):
        await a.send_raw(text)
        await a.expect_error("invalid JSON", f" for text {text!r}")
    await a.sentinel("invalid JSON")
    await a.register()


# --- binary frames ---------------------------------------------------------

@case("binary: binary frame with register JSON registers", group="binary")
async def t_binary_register(c: Case):
    a = await c.registered("a")
    b = await c.client("b")
    await b.register(binary=True, wait=False)
    await expect_presence(a, "join", b)
    await b.expect(participants_with(a.node_id, b.node_id), "participants after binary register")


@case("binary: binary frame with signal forwarded (as text)", group="binary")
async def t_binary_signal(c: Case):
    a = await c.client("a")
    b = await c.registered("b")
    msg = {"type": "signal", "from": "bin", "to": b.node_id, "payload": {"k": "v"}}
    await a.send_raw(dumps(msg).encode())
    got = await b.expect(lambda m: m.get("type") == "signal", "signal sent as binary")
    check(got == msg, f"b: got {short(got)}")


@case("binary: binary frame with invalid JSON -> error 'invalid JSON'", group="binary")
async def t_binary_invalid(c: Case):
    a = await c.client("a")
    await a.send_raw(b"{nope")
    await a.expect_error("invalid JSON")
    await a.sentinel("binary invalid JSON")


# --- disconnect ------------------------------------------------------------

@case("disconnect: others get presence leave then participants without the leaver")
async def t_disconnect(c: Case):
    a = await c.registered("a", encryption_key=True)
    b = await c.registered("b")
    d = await c.registered("d", public_key=False)
    await a.ws.close()
    for peer in (b, d):
        await expect_presence(peer, "leave", a)
        msg = await peer.expect(lambda m: m.get("type") == "participants", "participants after a left")
        check(participants_without([b.node_id, d.node_id], [a.node_id])(msg),
              f"{peer.label}: participants after leave wrong: {short(msg)}")
        check_order(msg, [b, d])
    await d.ws.close()
    await expect_presence(b, "leave", d)   # publicKey "" and no encryptionKey
    msg = await b.expect(lambda m: m.get("type") == "participants", "participants after d left")
    check(participants_without([b.node_id], [a.node_id, d.node_id])(msg), f"b: participants wrong: {short(msg)}")


@case("disconnect: unregistered socket closing sends no presence")
async def t_disconnect_unregistered(c: Case):
    a = await c.registered("a")
    u = await c.client("u")
    await u.ws.close()
    await c.registered("b")              # barrier: a sees b's join and nothing about u first


# --- hardening -------------------------------------------------------------

async def raw_registered(c: Case, observer: Client) -> RawWS:
    r = await c.raw("raw")
    r.node_id = c.new_id()
    await r.send_json({"type": "register", "nodeId": r.node_id, "username": "raw"})
    await r.expect_json(participants_with(r.node_id), "participants after register")
    await observer.expect(presence("join", r.node_id), "presence join of raw")
    return r


async def frame_error(c: Case, code: int, what: str, **frame) -> None:
    a = await c.registered("a")
    r = await raw_registered(c, a)
    await r.send_frame(**frame)
    await r.expect_close(code, what)
    await a.expect(presence("leave", r.node_id), "presence leave of the closed raw socket")
    b = await c.registered("b")                      # the server still accepts and relays
    await a.signal_to(b, what)
    await a.sentinel(what)


@case("hardening: invalid UTF-8 in a text frame -> close 1007, others unaffected", group="hardening")
async def t_bad_utf8(c: Case):
    await frame_error(c, 1007, "invalid UTF-8 text frame", opcode=0x1, payload=b'{"type":"x","v":"\xc3\x28\xff"}')


@case("hardening: reserved opcode 0x3 -> close 1002, others unaffected", group="hardening")
async def t_reserved_opcode(c: Case):
    await frame_error(c, 1002, "reserved opcode frame", opcode=0x3, payload=b"{}")


@case("hardening: unmasked client frame -> close 1002, others unaffected", group="hardening")
async def t_unmasked(c: Case):
    await frame_error(c, 1002, "unmasked frame", opcode=0x1, payload=b'{"type":"heartbeat"}', mask=False)


@case("hardening: RSV1 bit without extension -> close 1002, others unaffected", group="hardening")
async def t_rsv(c: Case):
    await frame_error(c, 1002, "frame with RSV1 set", opcode=0x1, payload=b'{"type":"heartbeat"}', rsv=4)


@case("hardening: JSON null ignored, connection still works", group="hardening")
async def t_null(c: Case):
    a = await c.registered("a")
    b = await c.registered("b")
    await a.send_raw("null")
    await a.sentinel("null")
    await a.signal_to(b, "null")


@case("hardening: duplicate nodeId - newer socket takes over and keeps the id", group="hardening")
async def t_duplicate(c: Case):
    obs = await c.registered("obs")
    old = await c.registered("old")
    new = await c.client("new")
    await new.register(node_id=old.node_id, username="new-owner")
    got = await obs.expect(presence("join", old.node_id), "presence join of the newer socket")
    check(got.get("username") == "new-owner", f"obs: join presence of newer socket: {short(got)}")
    await obs.signal_to(new, "takeover")             # signals to the id reach the newer socket
    await old.sentinel("takeover")                   # and not the older one
    barrier = await c.registered("barrier")
    await old.ws.close()
    await barrier.ws.close()
    # Cleanup of `old` happened by the time `barrier`'s leave is out; nothing about the id before it.
    await obs.expect(presence("leave", barrier.node_id), "presence leave of barrier",
                     forbid=presence("leave", old.node_id))
    await new.expect(presence("leave", barrier.node_id), "presence leave of barrier",
                     forbid=presence("leave", old.node_id))
    msg = await obs.expect(lambda m: m.get("type") == "participants", "participants after barrier left")
    check(participants_with(obs.node_id, new.node_id)(msg),
          f"obs: id lost after the older socket closed: {short(msg)}")
    check(entry_of(msg, new.node_id).get("username") == "new-owner", f"obs: entry {short(msg)}")
    await obs.signal_to(new, "older socket closed")  # still registered to the newer socket


@case("hardening: re-register under a new id, close -> old id not left in participants", group="hardening")
async def t_reregister(c: Case):
    obs = await c.registered("obs")
    r = await c.registered("r")
    first = r.node_id
    left_first = presence("leave", first)            # the server may announce the old id leaving
    await r.register(wait=False)                     # same socket, new id
    await r.expect(participants_with(r.node_id), "participants after re-register",  # (the original also
                   allow=lambda m: left_first(m) or presence("join", r.node_id)(m))  # told r of itself)
    await obs.expect(presence("join", r.node_id), "presence join of the new id", allow=left_first)
    await r.ws.close()
    await obs.expect(presence("leave", r.node_id), "presence leave of the new id", allow=left_first)
    z = await c.client("z")                          # barrier
    await z.register()
    msg = await obs.expect(participants_with(obs.node_id, z.node_id), "participants after z joined",
                           allow=lambda m: left_first(m) or presence("join", z.node_id)(m))
    check(participants_without([obs.node_id], [first, r.node_id])(msg),
          f"obs: a nodeId of the closed socket is still listed: {short(msg)}")
    await obs.send({"type": "signal", "from": obs.node_id, "to": first, "payload": 1})
    await obs.expect_error("peer not found", " (signal to the old id)")


@case("hardening: message over the size limit -> close 1009, others unaffected", group="hardening")
async def t_too_big(c: Case):
    limit = c.opts.max_bytes
    if not limit:
        raise Skip("--max-message-bytes 0")
    a = await c.registered("a")
    big = await c.registered("big")
    msg = dumps({"type": "signal", "from": big.node_id, "to": a.node_id, "payload": ""})
    filler = "x" * (2 * limit - len(msg))
    text = msg.replace('"payload":""', f'"payload":"{filler}"')
    try:
        await big.ws.send(text)
    except ConnectionClosed:
        pass  # the server may close before the whole message is written
    await big.expect_closed({1009}, f"a {len(text)}-byte message")
    await a.expect(presence("leave", big.node_id), "presence leave of the closed socket",
                   forbid=lambda m: m.get("type") == "signal")
    b = await c.registered("b")
    await a.signal_to(b, "oversized message")


@case("hardening: message of exactly the size limit is accepted", group="hardening")
async def t_at_limit(c: Case):
    limit = c.opts.max_bytes
    if not limit:
        raise Skip("--max-message-bytes 0")
    a = await c.registered("a")
    b = await c.registered("b")
    msg = {"type": "signal", "from": a.node_id, "to": b.node_id, "payload": ""}
    msg["payload"] = "y" * (limit - len(dumps(msg)))
    check(len(dumps(msg).encode()) == limit, "internal: wrong message size")
    await a.send(msg)
    got = await b.expect(lambda m: m.get("type") == "signal", f"{limit}-byte signal")
    check(got == msg, "b: forwarded signal differs")


# ----------------------------------------------------------------------------- runner

async def run_case(opts: Options, name: str, fn) -> str:
    c = Case(opts, name)
    start = time.monotonic()
    try:
        await asyncio.wait_for(fn(c), opts.timeout * 10)
        status = f"PASS {name} ({(time.monotonic() - start) * 1000:.0f} ms)"
    except Skip as exc:
        status = f"SKIP {name}: {exc}"
    except Fail as exc:
        status = f"FAIL {name}: {exc}"
    except (asyncio.TimeoutError, TimeoutError):
        status = f"FAIL {name}: case did not finish within {opts.timeout * 10:g}s"
    except Exception as exc:  # a crash in the case is a failure, not a script crash
        status = f"FAIL {name}: {type(exc).__name__}: {exc}"
    finally:
        await c.close_all()
    return status


def selected(args) -> list:
    out = []
    for name, group, fn in CASES:
        if group == "hardening" and args.legacy_only:
            continue
        if group == "binary" and not args.binary_as_text:
            continue
        if args.only and not any(pat.lower() in name.lower() for pat in args.only):
            continue
        out.append((name, group, fn))
    return out


async def main_async(args) -> int:
    opts = Options(args)
    cases = selected(args)
    if args.list:
        for name, group, _ in cases:
            print(f"[{group}] {name}")
        return 0
    passed = failed = 0
    for name, _, fn in cases:
        line = await run_case(opts, name, fn)
        print(line, flush=True)
        passed += line.startswith("PASS")
        failed += line.startswith("FAIL")
    print(f"{passed} passed, {failed} failed", flush=True)
    return 0 if failed == 0 else 1


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Conformance tests for the legacy ToM signaling protocol.")
    p.add_argument("--url", default="ws://127.0.0.1:3001", help="server URL (ws://host:port)")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for each expected event")
    p.add_argument("--verbose", action="store_true", help="log matched and skipped messages")
    p.add_argument("--legacy-only", action="store_true", help="skip the hardening cases")
    p.add_argument("--binary-as-text", action=argparse.BooleanOptionalAction, default=True,
                   help="run the binary-frame cases (default on)")
    p.add_argument("--max-message-bytes", type=int, default=1048576,
                   help="server's message size limit for the size cases (0 = skip them)")
    p.add_argument("-k", "--only", action="append", metavar="TEXT",
                   help="run only cases whose name contains TEXT (repeatable)")
    p.add_argument("--list", action="store_true", help="list the selected cases and exit")
    return p.parse_args(argv)


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main_async(parse_args())))
    except KeyboardInterrupt:
        sys.exit(130)
