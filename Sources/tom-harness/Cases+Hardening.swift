extension ConformanceCase {
    static let hardeningCases: [ConformanceCase] = [
        ConformanceCase("hardening: invalid UTF-8 in a text frame -> close 1007, others unaffected", group: .hardening) { c in
            try await frameError(c, code: 1007, what: "invalid UTF-8 text frame", opcode: 0x1, payload: Array(#"{"type":"x","v":""#.utf8) + [0xC3, 0x28, 0xFF] + Array(#""}"#.utf8))
        },
        ConformanceCase("hardening: reserved opcode 0x3 -> close 1002, others unaffected", group: .hardening) { c in
            try await frameError(c, code: 1002, what: "reserved opcode frame", opcode: 0x3, payload: Array("{}".utf8))
        },
        ConformanceCase("hardening: unmasked client frame -> close 1002, others unaffected", group: .hardening) { c in
            try await frameError(c, code: 1002, what: "unmasked frame", opcode: 0x1, payload: Array(#"{"type":"heartbeat"}"#.utf8), masked: false)
        },
        ConformanceCase("hardening: RSV1 bit without extension -> close 1002, others unaffected", group: .hardening) { c in
            try await frameError(c, code: 1002, what: "frame with RSV1 set", opcode: 0x1, payload: Array(#"{"type":"heartbeat"}"#.utf8), rsv1: true)
        },
        ConformanceCase("hardening: JSON null ignored, connection still works", group: .hardening) { c in
            let a = try await c.registered("a")
            let b = try await c.registered("b")
            try await a.send(text: "null")
            try await a.sentinel(after: "null")
            try await a.signal(to: b, after: "null")
        },
        ConformanceCase("hardening: duplicate nodeId - newer socket takes over and keeps the id", group: .hardening) { c in
            let observer = try await c.registered("obs")
            let old = try await c.registered("old")
            let new = try await c.client("new")
            try await new.register(username: "new-owner", nodeId: old.nodeId)
            let join = try await observer.expect(presence(.join, old.nodeId!), "presence join of the newer socket")
            try check(join["username"]?.stringValue == "new-owner", "obs: join presence of the newer socket: \(join.short())")
            try await observer.signal(to: new, after: "takeover")  // signals to the id reach the newer socket
            try await old.sentinel(after: "takeover")  // and not the older one
            let barrier = try await c.registered("barrier")
            await old.close()
            await barrier.close()
            // The older socket's cleanup is done by the time barrier's leave is out: nothing about the id before it.
            let oldLeft = presence(.leave, old.nodeId!)
            try await observer.expect(presence(.leave, barrier.nodeId!), "presence leave of barrier", forbid: oldLeft)
            try await new.expect(presence(.leave, barrier.nodeId!), "presence leave of barrier", forbid: oldLeft)
            let list = try await observer.expect({ $0.messageType == "participants" }, "participants after barrier left")
            try check(participantsWith([observer.nodeId!, new.nodeId!])(list), "obs: id lost after the older socket closed: \(list.short())")
            let entry = list["participants"]?.arrayValue?.first { $0["nodeId"]?.stringValue == new.nodeId }
            try check(entry?["username"]?.stringValue == "new-owner", "obs: entry \(list.short())")
            try await observer.signal(to: new, after: "older socket closed")  // still the newer socket's
        },
        ConformanceCase("hardening: re-register under a new id, close -> old id not left in participants", group: .hardening) { c in
            let observer = try await c.registered("obs")
            let r = try await c.registered("r")
            let first = r.nodeId!
            let leftFirst = presence(.leave, first)  // the server may announce the old id leaving
            try await r.register(wait: false)  // same socket, new id
            let newId = r.nodeId!
            let joinedNew = presence(.join, newId)
            try await r.expect(participantsWith([newId]), "participants after re-register", allow: { leftFirst($0) || joinedNew($0) })
            try await observer.expect(presence(.join, newId), "presence join of the new id", allow: leftFirst)
            await r.close()
            try await observer.expect(presence(.leave, newId), "presence leave of the new id", allow: leftFirst)
            let z = try await c.client("z")  // barrier
            try await z.register()
            let zJoined = presence(.join, z.nodeId!)
            let list = try await observer.expect(
                participantsWith([observer.nodeId!, z.nodeId!]), "participants after z joined", allow: { leftFirst($0) || zJoined($0) })
            try check(participantsWithout([observer.nodeId!], [first, newId])(list), "obs: a nodeId of the closed socket is still listed: \(list.short())")
            try await observer.send(["type": "signal", "from": .string(observer.nodeId!), "to": .string(first), "payload": 1])
            try await observer.expectError("peer not found", " (signal to the old id)")
        },
        ConformanceCase("hardening: message over the size limit -> close 1009, others unaffected", group: .hardening) { c in
            let limit = c.settings.maxMessageBytes
            guard limit > 0 else { throw CaseSkip("--max-message-bytes 0") }
            let a = try await c.registered("a")
            let big = try await c.registered("big")
            let message: JSONValue = ["type": "signal", "from": .string(big.nodeId!), "to": .string(a.nodeId!), "payload": .string(String(repeating: "x", count: 2 * limit))]
            try? await big.link.send(message)  // the server may close before the whole message is written
            try await big.expectClosed([1009], after: "a \(message.text.utf8.count)-byte message")
            try await a.expect(presence(.leave, big.nodeId!), "presence leave of the closed socket", forbid: { $0.messageType == "signal" })
            let b = try await c.registered("b")
            try await a.signal(to: b, after: "oversized message")
        },
        ConformanceCase("hardening: message of exactly the size limit is accepted", group: .hardening) { c in
            let limit = c.settings.maxMessageBytes
            guard limit > 0 else { throw CaseSkip("--max-message-bytes 0") }
            let a = try await c.registered("a")
            let b = try await c.registered("b")
            let empty: JSONValue = ["type": "signal", "from": .string(a.nodeId!), "to": .string(b.nodeId!), "payload": ""]
            let message = empty.setting("payload", to: .string(String(repeating: "y", count: limit - empty.text.utf8.count)))
            try check(message.text.utf8.count == limit, "internal: message of \(message.text.utf8.count) bytes, not \(limit)")
            try await a.send(message)
            let got = try await b.expect({ $0.messageType == "signal" }, "\(limit)-byte signal")
            try check(got == message, "b: forwarded signal differs")
        },
    ]

    /// A registered client sends one bad frame: it must be closed with `code`, the others see
    /// it leave, and the server still accepts and relays.
    private static func frameError(
        _ c: CaseContext, code: UInt16, what: String, opcode: UInt8, payload: [UInt8], masked: Bool = true, rsv1: Bool = false
    ) async throws {
        let a = try await c.registered("a")
        let raw = try await c.registered("raw")
        do {
            try await raw.link.sendRaw(opcode: opcode, payload: payload, masked: masked, rsv1: rsv1)
        } catch {
            throw CaseFailure("raw: sending the \(what) failed (\(error))")
        }
        try await raw.expectClosed([code], after: what)
        try await a.expect(presence(.leave, raw.nodeId!), "presence leave of the closed socket")
        let b = try await c.registered("b")
        try await a.signal(to: b, after: what)
        try await a.sentinel(after: what)
    }
}
