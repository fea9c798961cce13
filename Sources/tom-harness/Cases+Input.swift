extension ConformanceCase {
    static let inputCases: [ConformanceCase] = [
        ConformanceCase("ignore: unknown type and missing type ignored, connection stays open") { c in
            let a = try await c.registered("a")
            let b = try await c.registered("b")
            let id = JSONValue.string(b.nodeId!)
            for message: JSONValue in [["type": "bogus", "nodeId": id, "to": id], ["nodeId": id, "to": id], ["type": 5], [:]] {
                try await a.send(message)
            }
            try await a.sentinel(after: "unknown types")
            try await a.signal(to: b, after: "unknown types")
        },
        ConformanceCase("ignore: non-object JSON (42, \"str\", true, [1,2]) ignored, connection stays open") { c in
            let a = try await c.registered("a")
            let b = try await c.registered("b")
            for text in ["42", "\"str\"", "true", "[1,2]", #"[{"type":"heartbeat"}]"#, "3.5", "false"] {
                try await a.send(text: text)
            }
            try await a.sentinel(after: "non-object JSON")
            try await a.signal(to: b, after: "non-object JSON")
        },
        ConformanceCase("invalid JSON text -> error 'invalid JSON', connection stays open") { c in
            let a = try await c.client("a")
            for text in ["{not json", "", #"{"type":"signal""#, "undefined", "{'a':1}"] {
                try await a.send(text: text)
                try await a.expectError("invalid JSON", " for text '\(text)'")
            }
            try await a.sentinel(after: "invalid JSON")
            try await a.register()
        },
        ConformanceCase("binary: binary frame with register JSON registers", group: .binary) { c in
            let a = try await c.registered("a")
            let b = try await c.client("b")
            try await b.register(wait: false, binary: true)
            try await a.expectPresence(.join, of: b)
            try await b.expect(participantsWith([a.nodeId!, b.nodeId!]), "participants after binary register")
        },
        ConformanceCase("binary: binary frame with signal forwarded (as text)", group: .binary) { c in
            let b = try await c.registered("b")
            let a = try await c.client("a", near: b)
            let message: JSONValue = ["type": "signal", "from": "bin", "to": .string(b.nodeId!), "payload": ["k": "v"]]
            try await a.send(binary: message.text)
            let got = try await b.expect({ $0.messageType == "signal" }, "signal sent as binary")
            try check(got == message, "b: got \(got.short())")
        },
        ConformanceCase("binary: binary frame with invalid JSON -> error 'invalid JSON'", group: .binary) { c in
            let a = try await c.client("a")
            try await a.send(binary: "{nope")
            try await a.expectError("invalid JSON")
            try await a.sentinel(after: "binary invalid JSON")
        },
    ]

    static let disconnectCases: [ConformanceCase] = [
        ConformanceCase("disconnect: others get presence leave then participants without the leaver") { c in
            let a = try await c.registered("a", encryptionKey: true)
            let b = try await c.registered("b")
            let d = try await c.registered("d", publicKey: false)
            await a.close()
            for peer in [b, d] {
                try await peer.expectPresence(.leave, of: a)
                let list = try await peer.expect({ $0.messageType == "participants" }, "participants after a left")
                try check(participantsWithout([b.nodeId!, d.nodeId!], [a.nodeId!])(list), "\(peer.label): participants after leave wrong: \(list.short())")
                try checkOrder(list, [b, d])
            }
            await d.close()
            try await b.expectPresence(.leave, of: d)  // publicKey "" and no encryptionKey
            let list = try await b.expect({ $0.messageType == "participants" }, "participants after d left")
            try check(participantsWithout([b.nodeId!], [a.nodeId!, d.nodeId!])(list), "b: participants wrong: \(list.short())")
        },
        ConformanceCase("disconnect: unregistered socket closing sends no presence") { c in
            _ = try await c.registered("a")
            let u = try await c.client("u")
            await u.close()
            _ = try await c.registered("b")  // barrier: a sees b's join and nothing about u first
        },
    ]
}
