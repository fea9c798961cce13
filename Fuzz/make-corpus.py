#!/usr/bin/env python3
"""Writes the seed corpora in Fuzz/corpus/<target>/: a few valid inputs and edge cases each.

Run from the repository root. The files are committed; this script documents how they were
made and can regenerate them. Signatures here are not valid (the fuzz targets re-sign with
their own fixed keys where they need a valid one)."""
import os

def be(value):
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:" % len(value) + value
    if isinstance(value, list):
        return b"l" + b"".join(be(v) for v in value) + b"e"
    if isinstance(value, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, v) for k, v in value.items())
        return b"d" + b"".join(be(k) + be(v) for k, v in items) + b"e"
    raise TypeError(type(value))

ID = bytes(range(1, 21))
KEY = bytes(range(32, 64))
SIG = bytes(range(64, 128))
NODE4 = bytes(range(100, 120)) + bytes([203, 0, 113, 7, 0x1a, 0xe1])
NODE6 = bytes(range(120, 140)) + bytes([0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [1]) + bytes([0x1a, 0xe1])
RECORD = KEY + (1_700_000_000_000_000).to_bytes(8, "big") + SIG

def query(method, args, **top):
    message = {"t": "aa", "y": "q", "q": method, "a": dict({"id": ID}, **args)}
    message.update(top)
    return be(message)

def response(values, **top):
    message = {"t": "aa", "y": "r", "r": dict({"id": ID}, **values)}
    message.update(top)
    return be(message)

corpora = {
    "bencode": [
        b"i0e", b"i-42e", b"i9223372036854775807e", b"i-9223372036854775808e", b"0:", b"4:spam",
        b"le", b"de", b"l4:spami42ee", b"d3:bar4:spam3:fooi42ee",
        b"d3:foo1:a3:bar1:be",  # unsorted keys: lenient only
        b"l" * 20 + b"e" * 20,
        b"d1:ad2:id20:" + ID + b"e1:q4:ping1:t2:aa1:y1:qe",
        b"i01e", b"i-0e", b"03:abc", b"d1:ai1e1:ai2ee",  # refused
    ],
    "krpc": [
        query("ping", {}),
        query("ping", {}, v=b"LT\x01\x02", ro=1),
        query("find_node", {"target": ID[::-1], "want": ["n4", "n6"]}),
        query("get_peers", {"info_hash": ID[::-1]}),
        query("announce_peer", {"info_hash": ID[::-1], "port": 6881, "token": "tok"}),
        query("announce_peer", {"info_hash": ID[::-1], "implied_port": 1, "token": "tok"}),
        query("get", {"target": ID[::-1], "seq": 3}),
        query("put", {"token": "tok", "v": "Hello World!"}),
        query("put", {"token": "tok", "v": {"a": [1, "b"]}, "k": KEY, "sig": SIG, "seq": 8, "cas": 7, "salt": "foobar"}),
        query("get_signed_peers", {"info_hash": ID[::-1], "want": ["n4"]}),
        query("announce_signed_peer", {"info_hash": ID[::-1], "token": "tok", "k": KEY, "t": 1_700_000_000_000_000, "sig": SIG}),
        query("vote", {"target": ID}),
        response({"nodes": NODE4 * 2, "nodes6": NODE6, "token": "tok"}, ip=bytes([203, 0, 113, 9, 0x1a, 0xe1])),
        response({"values": [bytes([203, 0, 113, 7, 0, 80]), bytes(16) + b"\x00\x50"], "token": "t"}),
        response({"v": "Hello World!", "k": KEY, "sig": SIG, "seq": 4, "token": "t"}),
        response({"peers": [RECORD, RECORD]}),
        be({"t": "aa", "y": "e", "e": [201, "A Generic Error Ocurred"]}),
        be({"t": "aa", "y": "e", "e": [203, b"\xff\xfe bad utf-8"]}),
        b"d1:ad2:id20:" + ID + b"1:v1:xe1:q3:put1:t2:aa1:y1:qe",  # no token
        b"d1:rd2:id20:" + ID + b"1:vd1:bi1e1:ai2eee1:t2:aa1:y1:re",  # non-canonical v
    ],
    "bep44-item": [
        b"\x00" + be({"id": ID, "token": "tok", "v": "Hello World!"}),
        b"\x00" + be({"id": ID, "token": "tok", "v": "Hello World!", "k": KEY, "sig": SIG, "seq": 8}),
        b"\x00" + be({"id": ID, "token": "tok", "v": [1, 2, {"x": "y"}], "k": KEY, "sig": SIG, "seq": 16, "salt": "foobar", "cas": 8}),
        b"\x00" + be({"id": ID, "token": "tok", "v": "x" * 997, "k": KEY, "sig": SIG, "seq": 0}),
        b"\x00" + be({"id": ID, "token": "tok", "v": "x", "k": KEY, "sig": SIG, "seq": 1, "salt": "s" * 65}),
        b"\x01" + be({"id": ID, "v": "Hello World!", "k": KEY, "sig": SIG, "seq": 24}),
        b"\x01" + be({"id": ID, "v": {"f": 1, "n": 2}}),
    ],
    "signed-peer": [
        RECORD,
        RECORD + RECORD,
        KEY[:32] + bytes([0x80]) + bytes(7) + SIG,  # negative timestamp
        RECORD[:103],
        ID + (1_700_000_000_000_000).to_bytes(8, "big"),  # 28 bytes: sign and verify
        bytes(104),
    ],
    "legacy-json": [
        b'{"type":"register","nodeId":"n1","username":"alice"}',
        b'{"type":"register","nodeId":"n1","username":"al\\u00e9\\ud83d\\ude00","publicKey":"pk","encryptionKey":"ek"}',
        b'{"type":"register","nodeId":"","username":"bob"}',
        b'{ "type" : "signal", "to" : "n2", "from" : "n1", "payload" : { "sdp" : "v=0\\r\\n a" } }',
        b'{"type":"signal","to":"n2","from":"n1","payload":[1,2.5e-3,true,null]}',
        b'{"type":"signal","to":7,"from":"n1"}',
        b'{"type":"heartbeat"}',
        b'{"type":"role-assign","nodeId":"n2","roles":["relay","seed"]}',
        b'{"type":"role-assign","nodeId":{"a":1},"roles":0}',
        b'{"type":"unknown"}', b'[1,2,3]', b'"text"', b'{"type":"register"', b'{"a":"\\ud800"}',
        b"[" * 40 + b"]" * 40,
        b'{"type":"register","type":"heartbeat"}',
    ],
    "link-frame": [
        be({"y": "hello", "v": 1, "k": KEY, "n": KEY[::-1], "h": ID}),
        be({"y": "welcome", "v": 1, "k": KEY, "n": KEY[::-1], "s": SIG}),
        be({"y": "proof", "s": SIG}),
        be({"y": "items", "i": [
            {"k": KEY, "salt": "tom-protocol/roster/0", "seq": 3, "sig": SIG,
             "v": {"f": 1, "n": 1, "d": bytes(16), "w": ["ws://203.0.113.7:3001"]}},
            {"k": KEY, "salt": "tom-protocol/roster/1", "seq": 5, "sig": SIG,
             "v": {"f": 1, "r": [{"i": "n1", "u": "alice", "t": 1700000000000000, "k": "pk", "r": "[\"relay\"]"}]}},
        ]}),
        be({"y": "signal", "to": "n2", "m": '{"type":"signal","to":"n2","from":"n1"}', "r": 12}),
        be({"y": "nf", "r": -1}),
        be({"y": "bc", "m": '{"type":"heartbeat","from":"n1"}'}),
        be({"y": "ka"}), be({"y": "bye"}),
        be({"y": "hello", "v": 2, "k": KEY, "n": KEY, "h": ID}),
        b"d1:y2:ka1:a0:e",  # unsorted: refused
        b"R" + be({"f": 1, "n": 2, "d": bytes(16), "w": ["ws://a", "wss://b:443"], "x": 1}),
        b"r" + be({"f": 1, "r": [{"i": "n1", "u": "alice", "t": 1}, {"i": "n2", "u": "bob", "t": 2, "e": "ek"}]}),
    ],
}

for target, inputs in corpora.items():
    folder = os.path.join("Fuzz", "corpus", target)
    os.makedirs(folder, exist_ok=True)
    for index, data in enumerate(inputs):
        with open(os.path.join(folder, "seed-%02d" % index), "wb") as file:
            file.write(data)
    print(target, len(inputs))
