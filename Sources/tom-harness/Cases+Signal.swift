extension ConformanceCase {
    static let signalCases: [ConformanceCase] = [
        ConformanceCase("signal: forwarded verbatim with extra fields and nested payload") { c in
            try await relay(c) { a, b in
                [
                    "type": "signal", "from": .string(a.nodeId!), "to": .string(b.nodeId!), "extra": "field", "n": 42,
                    "flag": false, "nothing": nil, "list": [1, "two", ["three": [3]]],
                    "payload": [
                        "type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n",
                        "nested": ["deep": ["deeper": [nil, true, -1.5, "h\u{e9}llo \u{2713} \u{1F600}"]]],
                    ],
                ]
            }
        },
        ConformanceCase("signal: payload of other JSON kinds (null, string, array, number, absent)") { c in
            let b = try await c.registered("b")
            let a = try await c.client("a", near: b)
            let payloads: [JSONValue?] = [.null, "text", [1, [2]], 7, nil]
            for payload in payloads {
                let message = JSONValue.object(["type": "signal", "from": .string(c.newId()), "to": .string(b.nodeId!)])
                    .setting("payload", to: payload)
                try await a.send(message)
                let got = try await b.expect({ $0.messageType == "signal" }, "signal with payload \(payload?.text ?? "absent")")
                try check(got == message, "b: forwarded signal differs: sent \(message.short()), got \(got.short())")
            }
        },
        ConformanceCase("signal: ~8 KiB application payload forwarded") { c in
            try await relay(c) { a, b in
                ["type": "signal", "from": .string(a.nodeId!), "to": .string(b.nodeId!),
                 "payload": ["type": "message", "envelope": ["data": .string(RandomHex.make(bytes: 4096))]]]
            }
        },
        ConformanceCase("signal: ~64 KiB payload forwarded") { c in
            try await relay(c) { a, b in
                ["type": "signal", "from": .string(a.nodeId!), "to": .string(b.nodeId!),
                 "payload": ["type": "message", "envelope": ["data": .string(RandomHex.make(bytes: 32768))]]]
            }
        },
        ConformanceCase("signal: from is not checked against the sender") { c in
            try await relay(c) { _, b in
                ["type": "signal", "from": .string(RandomHex.nodeId()), "to": .string(b.nodeId!), "payload": ["x": 1]]
            }
        },
        ConformanceCase("signal: unregistered socket may send signals") { c in
            try await relay(c, senderRegistered: false) { _, b in
                ["type": "signal", "from": "whoever", "to": .string(b.nodeId!), "payload": "hi"]
            }
        },
        ConformanceCase("signal: missing to -> error 'missing to or from'") { c in
            let a = try await c.registered("a")
            try await a.send(["type": "signal", "from": .string(a.nodeId!), "payload": 1])
            try await a.expectError("missing to or from")
            try await a.send(["type": "signal", "from": .string(a.nodeId!), "to": "", "payload": 1])
            try await a.expectError("missing to or from", " (empty to)")
        },
        ConformanceCase("signal: missing from -> error 'missing to or from'") { c in
            let b = try await c.registered("b")
            let a = try await c.client("a", near: b)
            try await a.send(["type": "signal", "to": .string(b.nodeId!), "payload": 1])
            try await a.expectError("missing to or from")
            try await a.send(["type": "signal", "from": "", "to": .string(b.nodeId!), "payload": 1])
            try await a.expectError("missing to or from", " (empty from)")
            try await a.signal(to: b, after: "rejected signals")  // b got neither of them
        },
        ConformanceCase("signal: unknown target -> error 'peer not found'") { c in
            let a = try await c.client("a")
            try await a.send(["type": "signal", "from": .string(c.newId()), "to": .string(c.newId()), "payload": [:]])
            try await a.expectError("peer not found")
        },
        ConformanceCase("signal: to own nodeId is delivered back to the sender") { c in
            let a = try await c.registered("a")
            let message: JSONValue = ["type": "signal", "from": .string(a.nodeId!), "to": .string(a.nodeId!), "payload": ["loop": true]]
            try await a.send(message)
            let got = try await a.expect(c.mine("signal"), "own signal")
            try check(got == message, "a: got \(got.short())")
        },
        ConformanceCase("signal: target that disconnected -> error 'peer not found'") { c in
            let a = try await c.registered("a")
            let b = try await c.registered("b")
            await b.close()
            try await a.expect(presence(.leave, b.nodeId!), "presence leave of b")
            try await a.send(["type": "signal", "from": .string(a.nodeId!), "to": .string(b.nodeId!), "payload": [:]])
            try await a.expectError("peer not found")
        },
    ]

    /// a sends the message made by `make` to b; b must get it unchanged, a nothing.
    static func relay(
        _ c: CaseContext, senderRegistered: Bool = true, _ make: (CaseClient, CaseClient) -> JSONValue
    ) async throws {
        let a: CaseClient
        let b: CaseClient
        if senderRegistered {
            a = try await c.registered("a")
            b = try await c.registered("b")
        } else {
            b = try await c.registered("b")
            a = try await c.client("a", near: b)
        }
        let message = make(a, b)
        try await a.send(message)
        let got = try await b.expect({ $0.messageType == "signal" }, "forwarded signal")
        try check(got == message, "b: forwarded signal differs: sent \(message.short()), got \(got.short())")
        try await a.sentinel(after: "signal")  // the sender gets no echo and no error
    }
}
