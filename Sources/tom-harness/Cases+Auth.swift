/// The authenticated register (Docs/legacy-protocol.md, "Authenticated register"): group
/// `auth` checks the opt-in on any tom-node (skipped with --legacy-only); group
/// `required-auth` runs alone with --require-auth, against a server started with it.
extension ConformanceCase {
    static let authCases: [ConformanceCase] = [
        ConformanceCase("auth: register with auth:true -> challenge, not registered; signed register -> registered", group: .auth) { c in
            let watcher = try await c.registered("w")
            let a = try await c.client("a")
            let proof = c.proof()
            try await a.send(proof.register(username: "a", ["auth": .bool(true)]))
            let challenge = try await expectChallenge(a)
            try await watcher.sentinel(after: "a register asking for a challenge")
            try await a.send(proof.register(username: "a", ["signature": .string(proof.signature(for: challenge) ?? "")]))
            try await a.expect(participantsWith([proof.nodeId, watcher.nodeId!]), "participants after the signed register")
            try await watcher.expect(presence(.join, proof.nodeId), "presence join of the proven client")
        },
        ConformanceCase("auth: tom-auth.v1 subprotocol -> echoed, challenge on connect, unsigned register refused", group: .auth) { c in
            let a = try await c.client("a", subprotocols: ["x-other", RegisterProof.subprotocol])
            try check(a.link.connection.subprotocol == RegisterProof.subprotocol,
                      "a: subprotocol \(a.link.connection.subprotocol ?? "none"), expected \(RegisterProof.subprotocol)")
            let challenge = try await expectChallenge(a)
            let proof = c.proof()
            try await a.send(proof.register(username: "a"))
            try await a.expectError("authentication required")
            try await expectNotRegistered(a, proof.nodeId)
            try await a.send(proof.register(username: "a", ["signature": .string(proof.signature(for: challenge) ?? "")]))
            try await a.expect(participantsWith([proof.nodeId]), "participants after the signed register")
        },
        ConformanceCase("auth: wrong key, another nodeId, another connection's nonce -> authentication failed", group: .auth) { c in
            let watcher = try await c.registered("w")
            let a = try await c.client("a")
            let b = try await c.client("b")
            let proof = c.proof()
            let stranger = c.proof()
            try await a.send(proof.register(username: "a", ["auth": .bool(true)]))
            let challenge = try await expectChallenge(a)
            try await b.send(stranger.register(username: "b", ["auth": .bool(true)]))
            let otherChallenge = try await expectChallenge(b)
            let forged = [
                stranger.signature(for: challenge),  // signed by a key that is not the nodeId
                proof.signature(for: otherChallenge),  // b's nonce, not a's
                "00" + String((proof.signature(for: challenge) ?? "").dropFirst(2)),  // altered
                "not hex",
            ]
            for signature in forged {
                try await a.send(proof.register(username: "a", ["signature": .string(signature ?? "")]))
                try await a.expectError("authentication failed")
            }
            // a's valid proof does not register another nodeId.
            try await a.send(stranger.register(username: "a", ["signature": .string(proof.signature(for: challenge) ?? "")]))
            try await a.expectError("authentication failed")
            try await expectNotRegistered(a, proof.nodeId)
            try await watcher.sentinel(after: "refused registers")
        },
        ConformanceCase("required-auth: challenge on connect; unsigned or forged register refused; signed register registers", group: .requiredAuth) { c in
            let w = try await c.client("w")
            let watcher = c.proof()
            let watcherChallenge = try await expectChallenge(w)
            try await w.send(watcher.register(username: "w", ["signature": .string(watcher.signature(for: watcherChallenge) ?? "")]))
            try await w.expect(participantsWith([watcher.nodeId]), "participants after the watcher's signed register")
            let a = try await c.client("a")
            let challenge = try await expectChallenge(a)
            let proof = c.proof()
            try await a.send(proof.register(username: "a"))  // what an old client sends
            try await a.expectError("authentication required")
            try await a.send(proof.register(username: "a", ["signature": .string(c.proof().signature(for: challenge) ?? "")]))
            try await a.expectError("authentication failed")
            try await expectNotRegistered(a, proof.nodeId)
            try await w.sentinel(after: "refused registers")
            try await a.send(proof.register(username: "a", ["auth": .bool(true)]))
            let again = try await expectChallenge(a)
            try check(again == challenge, "a: a second challenge on one connection changed the nonce: \(again.short())")
            try await a.send(proof.register(username: "a", ["signature": .string(proof.signature(for: challenge) ?? "")]))
            try await a.expect(participantsWith([proof.nodeId, watcher.nodeId]), "participants after the signed register")
            try await w.expect(presence(.join, proof.nodeId), "presence join of the proven client")
        },
    ]
}

/// The next message must be a well-formed challenge.
private func expectChallenge(_ client: CaseClient) async throws -> JSONValue {
    let challenge = try await client.expect({ $0.messageType == "challenge" }, "challenge")
    try check(challenge.memberNames == ["type", "nonce", "server"], "\(client.label): challenge members \(challenge.memberNames.sorted())")
    for member in ["nonce", "server"] {
        let value = challenge[member]?.stringValue ?? ""
        try check(value.count == 64 && value.allSatisfy(\.isHexDigit), "\(client.label): challenge \(member) is not 64 hex: \(challenge.short())")
    }
    return challenge
}

/// A signal to `nodeId` from `client` finds no one (at `client`'s server).
private func expectNotRegistered(_ client: CaseClient, _ nodeId: String) async throws {
    try await client.send(["type": "signal", "from": .string(nodeId), "to": .string(nodeId)])
    try await client.expectError("peer not found", " (a refused register must not register)")
}

extension CaseContext {
    /// A fresh key whose nodeId counts as this case's (its presences are not noise).
    func proof() -> RegisterProof {
        let proof = RegisterProof()
        adopt(proof.nodeId)
        return proof
    }
}
