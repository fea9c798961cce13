extension ConformanceCase {
    static let broadcastCases: [ConformanceCase] = [
        ConformanceCase("heartbeat: registered sender -> every other registered client, not the sender") { c in
            let a = try await c.registered("a")
            let b = try await c.registered("b")
            let d = try await c.registered("d")
            try await a.send(["type": "heartbeat"])
            for peer in [b, d] {
                let got = try await peer.expect(c.mine("heartbeat"), "heartbeat from a")
                try check(got == ["type": "heartbeat", "from": .string(a.nodeId!)], "\(peer.label): got \(got.short())")
            }
            try await a.sentinel(after: "own heartbeat")
        },
        ConformanceCase("heartbeat: from is the sender's nodeId, whatever the message says") { c in
            let a = try await c.registered("a")
            let b = try await c.registered("b")
            try await a.send(["type": "heartbeat", "from": .string(c.newId()), "extra": 1])
            let got = try await b.expect(c.mine("heartbeat"), "heartbeat from a")
            try check(got == ["type": "heartbeat", "from": .string(a.nodeId!)], "b: got \(got.short())")
        },
        ConformanceCase("heartbeat: unregistered sender -> nothing") { c in
            let b = try await c.registered("b")
            let u = try await c.client("u", near: b)
            try await u.send(["type": "heartbeat"])
            try await u.sentinel(after: "heartbeat")
            try await u.signal(to: b, after: "unregistered heartbeat")
        },
        ConformanceCase("role-assign: to every registered client including sender, from = sender") { c in
            let a = try await c.registered("a")
            let b = try await c.registered("b")
            try await a.send([
                "type": "role-assign", "nodeId": .string(b.nodeId!), "roles": ["relay", "bootstrap"],
                "from": .string(c.newId()), "extra": true,
            ])
            let want: JSONValue = ["type": "role-assign", "nodeId": .string(b.nodeId!), "roles": ["relay", "bootstrap"], "from": .string(a.nodeId!)]
            for peer in [a, b] {
                let got = try await peer.expect(c.mine("role-assign"), "role-assign")
                try check(got == want, "\(peer.label): expected \(want.text), got \(got.short())")
            }
        },
        ConformanceCase("role-assign: from omitted when sender not registered") { c in
            let u = try await c.client("u")
            let a = try await c.registered("a")
            let b = try await c.registered("b")
            try await u.send(["type": "role-assign", "nodeId": .string(a.nodeId!), "roles": ["relay"], "from": .string(c.newId())])
            let want: JSONValue = ["type": "role-assign", "nodeId": .string(a.nodeId!), "roles": ["relay"]]
            for peer in [a, b] {
                let got = try await peer.expect(c.mine("role-assign"), "role-assign")
                try check(got == want, "\(peer.label): expected \(want.text), got \(got.short())")
            }
            try await u.sentinel(after: "role-assign from an unregistered socket")
        },
        ConformanceCase("role-assign: empty roles array is still broadcast") { c in
            let a = try await c.registered("a")
            try await a.send(["type": "role-assign", "nodeId": .string(a.nodeId!), "roles": []])
            let got = try await a.expect(c.mine("role-assign"), "role-assign")
            try check(got == ["type": "role-assign", "nodeId": .string(a.nodeId!), "roles": [], "from": .string(a.nodeId!)], "a: got \(got.short())")
        },
        ConformanceCase("role-assign: ignored when nodeId or roles missing") { c in
            let a = try await c.registered("a")
            let b = try await c.registered("b")
            try await a.send(["type": "role-assign", "roles": ["relay"]])
            try await a.send(["type": "role-assign", "nodeId": .string(b.nodeId!)])
            try await a.send(["type": "role-assign", "nodeId": "", "roles": ["relay"]])
            try await a.sentinel(after: "incomplete role-assign")
            try await a.signal(to: b, after: "incomplete role-assign")
        },
    ]
}
