extension ConformanceCase {
    static let registerCases: [ConformanceCase] = [
        ConformanceCase("register: registrant gets participants with itself, no publicKey field") { c in
            let a = try await c.client("a")
            try await a.register(encryptionKey: true, wait: false)
            let first = try await a.expect(
                { $0.messageType == "participants" }, "participants after register", forbid: { $0.messageType == "presence" })
            try check(participantsWith([a.nodeId!])(first), "a: first participants lacks itself: \(first.short())")
            try checkEntry(first, a)
            let b = try await c.client("b")
            try await b.register(wait: false)
            let list = try await b.expect(participantsWith([b.nodeId!]), "participants after register")
            try checkEntry(list, b)
            try checkEntry(list, a)
            try await a.expectPresence(.join, of: b)
            try await a.expect(participantsWith([a.nodeId!, b.nodeId!]), "participants after b joined")
            try await a.sentinel(after: "registrations")  // a got no presence about itself
            try await b.sentinel(after: "registration")
        },
        ConformanceCase("register: others get presence join (with publicKey/encryptionKey) before participants") { c in
            let a = try await c.registered("a")
            let b = try await c.client("b")
            try await b.register(publicKey: true, encryptionKey: true, wait: false)
            try await a.expectPresence(.join, of: b)
            let list = try await a.expect(participantsWith([a.nodeId!, b.nodeId!]), "participants after b joined")
            try checkEntry(list, b)
            try checkEntry(list, a)
            try await b.expect(participantsWith([a.nodeId!, b.nodeId!]), "participants after own register")
            try await b.sentinel(after: "own register")
        },
        ConformanceCase("register: presence publicKey is \"\" and encryptionKey absent when not given") { c in
            let a = try await c.registered("a", encryptionKey: true)
            let b = try await c.client("b")
            try await b.register(publicKey: false, encryptionKey: false, wait: false)
            try await a.expectPresence(.join, of: b)
            let list = try await a.expect(participantsWith([a.nodeId!, b.nodeId!]), "participants after b joined")
            try checkEntry(list, b)
        },
        ConformanceCase("register: participants in registration order") { c in
            var clients: [CaseClient] = []
            for label in ["a", "b", "c", "d"] {
                let new = try await c.client(label)
                try await new.register(publicKey: label != "c", encryptionKey: label == "a" || label == "c", wait: false)
                for client in clients + [new] {
                    if client !== new { try await client.expectPresence(.join, of: new) }
                    let list = try await client.expect(participantsWith([new.nodeId!]), "participants after \(label) joined")
                    try checkOrder(list, clients + [new])
                    for listed in clients + [new] { try checkEntry(list, listed) }
                }
                clients.append(new)
            }
        },
        ConformanceCase("register: same socket, same nodeId again -> join + participants with new username") { c in
            let a = try await c.registered("a")
            let b = try await c.registered("b", encryptionKey: true)
            let d = try await c.registered("d")
            try await b.register(username: "b-renamed", nodeId: b.nodeId, wait: false)
            for peer in [a, d] {
                try await peer.expectPresence(.join, of: b, ordered: false)
                let list = try await peer.expect(participantsRenamed(b.nodeId!, "b-renamed"), "participants after b re-registered")
                try checkOrder(list, [a, b, d])  // the entry keeps its place
                try checkEntry(list, b)
            }
            let own = try await b.expect(participantsRenamed(b.nodeId!, "b-renamed"), "participants after own re-register")
            try checkEntry(own, b)
            try await b.sentinel(after: "re-register")
        },
        ConformanceCase("register: missing nodeId -> error") { c in
            let a = try await c.client("a")
            try await a.send(["type": "register", "username": "u", "publicKey": .string(RandomHex.nodeId())])
            try await a.expectError("missing nodeId or username")
        },
        ConformanceCase("register: missing username -> error, not registered") { c in
            let a = try await c.client("a")
            let node = c.newId()
            try await a.send(["type": "register", "nodeId": .string(node), "publicKey": .string(node)])
            try await a.expectError("missing nodeId or username")
            try await a.send(["type": "signal", "from": .string(node), "to": .string(node)])
            try await a.expectError("peer not found", " (the failed register must not register)")
        },
        ConformanceCase("register: empty-string nodeId -> error") { c in
            let a = try await c.client("a")
            try await a.send(["type": "register", "nodeId": "", "username": "u"])
            try await a.expectError("missing nodeId or username")
        },
        ConformanceCase("register: empty-string username -> error") { c in
            let a = try await c.client("a")
            try await a.send(["type": "register", "nodeId": .string(c.newId()), "username": ""])
            try await a.expectError("missing nodeId or username")
        },
        ConformanceCase("register: failed register sends nothing to others") { c in
            let a = try await c.registered("a")
            let b = try await c.client("b")
            try await b.send(["type": "register", "nodeId": .string(c.newId())])
            try await b.expectError("missing nodeId or username")
            try await a.sentinel(after: "failed register of b")
        },
    ]
}
