import Foundation
import Testing
import TomCrypto
import TomSignaling

/// The authenticated register over real sockets (Docs/legacy-protocol.md, "Authenticated
/// register"): opt-in by default, mandatory with `requireAuth`.
@Suite(.serialized, .timeLimit(.minutes(1))) struct AuthenticatedRegisterTests {
    /// A client holding the key behind its nodeId.
    struct KeyedClient {
        let client: LegacyClient
        let key = Ed25519KeyPair.generate()
        var nodeId: String { key.publicKeyHex }

        /// Reads a challenge and returns the signature over it for this client's nodeId.
        func answerChallenge(_ text: String) throws -> String {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String])
            #expect(object["type"] == "challenge")
            let nonce = try #require(object["nonce"].flatMap(Hex.decode))
            let server = try #require(object["server"].flatMap(Hex.decode))
            #expect(nonce.count == 32)
            return Hex.encode(key.sign(RegisterAuth.signedBytes(nonce: nonce, serverKey: server, nodeKey: key.publicKey)))
        }

        func register(extra: String = "") async throws {
            try await client.send(#"{"type":"register","nodeId":"\#(nodeId)","username":"u","publicKey":"\#(nodeId)"\#(extra)}"#)
        }
    }

    @Test func optInOnADefaultServer() async throws {
        try await TestServer.with { server in
            // An old client: no challenge, the usual participants list first.
            let old = try await server.connect()
            try await old.register("old")
            #expect(try await old.next().hasPrefix(#"{"type":"participants""#))

            let keyed = KeyedClient(client: try await server.connect())
            try await keyed.register(extra: #","auth":true"#)
            let signature = try keyed.answerChallenge(try await keyed.client.next())
            try await keyed.register(extra: #","signature":"\#(signature)""#)
            let list = try await keyed.client.next()
            #expect(list.contains(keyed.nodeId) && list.hasPrefix(#"{"type":"participants""#))
            #expect(try await old.next().contains(#""action":"join","nodeId":"\#(keyed.nodeId)""#))
            #expect(try await server.metric("tom_authenticated_registers_total") == 1)
            #expect(try await server.metric(#"tom_messages_out_total{type="challenge"}"#) == 1)
        }
    }

    @Test func subprotocolAsksOnConnect() async throws {
        try await TestServer.with { server in
            let keyed = KeyedClient(client: try await server.connect(subprotocols: ["foo", "tom-auth.v1"]))
            #expect(keyed.client.connection.subprotocol == "tom-auth.v1")
            let signature = try keyed.answerChallenge(try await keyed.client.next())
            // Having asked, an unsigned register is refused.
            try await keyed.register()
            #expect(try await keyed.client.next() == #"{"type":"error","error":"authentication required"}"#)
            try await keyed.register(extra: #","signature":"\#(signature)""#)
            #expect(try await keyed.client.next().contains(keyed.nodeId))
        }
    }

    @Test func requiredAuthRefusesUnprovenRegisters() async throws {
        try await TestServer.with({ $0.requireAuth = true }) { server in
            let watcher = KeyedClient(client: try await server.connect())
            let watcherProof = try watcher.answerChallenge(try await watcher.client.next())
            try await watcher.register(extra: #","signature":"\#(watcherProof)""#)
            _ = try await watcher.client.next()

            let keyed = KeyedClient(client: try await server.connect())
            let challenge = try await keyed.client.next()
            let signature = try keyed.answerChallenge(challenge)
            // An old client's register.
            try await keyed.register()
            #expect(try await keyed.client.next() == #"{"type":"error","error":"authentication required"}"#)
            // A proof made for another nodeId.
            let thief = KeyedClient(client: keyed.client)
            try await thief.register(extra: #","signature":"\#(signature)""#)
            #expect(try await keyed.client.next() == #"{"type":"error","error":"authentication failed"}"#)
            // Nothing was registered: a signal to the nodeId finds no one, the watcher saw nothing.
            try await keyed.client.send(#"{"type":"signal","from":"x","to":"\#(keyed.nodeId)"}"#)
            #expect(try await keyed.client.next() == #"{"type":"error","error":"peer not found"}"#)
            try await watcher.client.sync()
            // `auth:true` again repeats the same challenge.
            try await keyed.register(extra: #","auth":true"#)
            #expect(try await keyed.client.next() == challenge)
            try await keyed.register(extra: #","signature":"\#(signature)""#)
            #expect(try await keyed.client.next().contains(keyed.nodeId))
            #expect(try await watcher.client.next().contains(#""action":"join","nodeId":"\#(keyed.nodeId)""#))

            #expect(try await server.metric(#"tom_errors_total{kind="auth_required"}"#) == 1)
            #expect(try await server.metric(#"tom_errors_total{kind="auth_failed"}"#) == 1)
            #expect(try await server.metric("tom_authenticated_registers_total") == 2)
        }
    }

    @Test func requiredAuthLeavesOtherMessagesAlone() async throws {
        try await TestServer.with({ $0.requireAuth = true }) { server in
            let a = try await server.connect()
            #expect(try await a.next().hasPrefix(#"{"type":"challenge","nonce":""#))
            try await a.send("not json")
            #expect(try await a.next() == #"{"type":"error","error":"invalid JSON"}"#)
            try await a.sync()
        }
    }
}
