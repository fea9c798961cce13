import NIOCore
import Testing
import TomWebSocketClient

/// Every row of the legacy wire contract (Docs/legacy-protocol.md), over real sockets.
@Suite(.serialized, .timeLimit(.minutes(1))) struct LegacyContractTests {
    @Test func healthAndNotFound() async throws {
        try await TestServer.with { server in
            let health = try await server.http("/health?probe=1")
            #expect(health.status == 200)
            #expect(health.headers.first("content-type") == "application/json; charset=utf-8")
            #expect(health.bodyText == #"{"ok":true}"#)
            for (path, method) in [("/nope", "GET"), ("/", "GET"), ("/health", "POST"), ("/", "POST")] {
                let response = try await server.http(path, method: method)
                #expect(response.status == 404)
                #expect(response.headers.first("content-type") == "application/json; charset=utf-8")
                #expect(response.bodyText == #"{"error":"not found"}"#)
            }
        }
    }

    @Test func statusAndMetrics() async throws {
        try await TestServer.with { server in
            let client = try await server.connect()
            try await client.register("a")
            _ = try await client.next()
            let status = try await server.http("/status").bodyText
            #expect(status.contains(#""mode":"seed""#))
            #expect(status.contains(#""participants":1"#))
            #expect(status.contains(#""publicKey":"abab"#))
            let metrics = try await server.http("/metrics").bodyText
            #expect(metrics.contains(#"tom_messages_in_total{type="register"} 1"#))
            #expect(metrics.contains(#"tom_messages_out_total{type="participants"} 1"#))
            #expect(try await server.metric("tom_open_connections") ?? 0 >= 1)
            #expect(try await server.metric("tom_registered_participants") == 1)
        }
    }

    @Test func upgradeOnAnyPathEchoesFirstSubprotocol() async throws {
        try await TestServer.with { server in
            let plain = try await server.connect(path: "/some/path?q=1")
            #expect(plain.connection.subprotocol == nil)
            let offered = try await server.connect(subprotocols: ["foo", "bar"])
            #expect(offered.connection.subprotocol == "foo")
        }
    }

    @Test func registerPresenceAndParticipants() async throws {
        try await TestServer.with { server in
            let a = try await server.connect()
            let b = try await server.connect()
            try await a.register("a", encryptionKey: "ka")
            #expect(try await a.next() == #"{"type":"participants","participants":[{"nodeId":"a","username":"user-a","encryptionKey":"ka"}]}"#)
            try await b.register("b")
            let list = #"{"type":"participants","participants":[{"nodeId":"a","username":"user-a","encryptionKey":"ka"},{"nodeId":"b","username":"user-b"}]}"#
            #expect(try await a.next() == #"{"type":"presence","action":"join","nodeId":"b","username":"user-b","publicKey":"b"}"#)
            #expect(try await a.next() == list)
            #expect(try await b.next() == list)
        }
    }

    @Test func registerErrors() async throws {
        try await TestServer.with { server in
            let a = try await server.connect()
            for text in [#"{"type":"register","username":"u"}"#, #"{"type":"register","nodeId":"n"}"#, #"{"type":"register","nodeId":"","username":"u"}"#] {
                try await a.send(text)
                #expect(try await a.next() == #"{"type":"error","error":"missing nodeId or username"}"#)
            }
        }
    }

    @Test func signalRelay() async throws {
        try await TestServer.with { server in
            let a = try await server.connect()
            let b = try await server.connect()
            let stranger = try await server.connect()
            try await b.register("b")
            _ = try await b.next()
            let payload = String(repeating: "x", count: 64 * 1024)
            let signal = #"{"type":"signal","from":"anyone","to":"b","extra":[1,{"k":null}],"payload":{"sdp":"\#(payload)"}}"#
            try await stranger.send(signal)
            #expect(try await b.next() == signal)
            try await a.send(#"{"type":"signal","to":"b"}"#)
            #expect(try await a.next() == #"{"type":"error","error":"missing to or from"}"#)
            try await a.send(#"{"type":"signal","from":"a"}"#)
            #expect(try await a.next() == #"{"type":"error","error":"missing to or from"}"#)
            try await a.send(#"{"type":"signal","from":"a","to":"ghost"}"#)
            #expect(try await a.next() == #"{"type":"error","error":"peer not found"}"#)
            await b.close()
            _ = try await b.closeCode()
            try await server.waitForConnections { $0 == 2 }
            try await a.send(#"{"type":"signal","from":"a","to":"b"}"#)
            #expect(try await a.next() == #"{"type":"error","error":"peer not found"}"#)
        }
    }

    @Test func heartbeat() async throws {
        try await TestServer.with { server in
            let (a, b) = try await server.registeredPair()
            let stranger = try await server.connect()
            try await a.send(#"{"type":"heartbeat","from":"spoof"}"#)
            #expect(try await b.next() == #"{"type":"heartbeat","from":"a"}"#)
            try await a.sync()
            try await stranger.send(#"{"type":"heartbeat"}"#)
            try await stranger.sync()
            try await b.sync()
        }
    }

    @Test func roleAssign() async throws {
        try await TestServer.with { server in
            let (a, b) = try await server.registeredPair()
            let stranger = try await server.connect()
            try await a.send(#"{"type":"role-assign","nodeId":"b","roles":["relay","seed"],"from":"x"}"#)
            let expected = #"{"type":"role-assign","nodeId":"b","roles":["relay","seed"],"from":"a"}"#
            #expect(try await a.next() == expected)
            #expect(try await b.next() == expected)
            try await stranger.send(#"{"type":"role-assign","nodeId":"b","roles":[]}"#)
            #expect(try await b.next() == #"{"type":"role-assign","nodeId":"b","roles":[]}"#)
            try await stranger.send(#"{"type":"role-assign","nodeId":"b"}"#)
            try await stranger.sync()
            try await b.sync()
        }
    }

    @Test func ignoredAndInvalidInputKeepTheConnectionOpen() async throws {
        try await TestServer.with { server in
            let a = try await server.connect()
            for text in [#"{"type":"unknown"}"#, "{}", "42", #""s""#, "true", "[1,2]", "null"] {
                try await a.send(text)
            }
            try await a.sync()
            try await a.send("not json")
            #expect(try await a.next() == #"{"type":"error","error":"invalid JSON"}"#)
            try await a.sync()
        }
    }

    @Test func binaryFramesAreReadAsText() async throws {
        try await TestServer.with { server in
            let a = try await server.connect()
            try await a.connection.send(binary: Array(#"{"type":"register","nodeId":"bin","username":"u"}"#.utf8))
            #expect(try await a.next() == #"{"type":"participants","participants":[{"nodeId":"bin","username":"u"}]}"#)
            try await a.connection.send(binary: [0x7b, 0xff])
            #expect(try await a.next() == #"{"type":"error","error":"invalid JSON"}"#)
        }
    }

    @Test func disconnectSendsLeaveThenParticipants() async throws {
        try await TestServer.with { server in
            let (a, b) = try await server.registeredPair(secondKey: "kb")
            await b.close()
            #expect(try await a.next() == #"{"type":"presence","action":"leave","nodeId":"b","username":"user-b","publicKey":"b","encryptionKey":"kb"}"#)
            #expect(try await a.next() == #"{"type":"participants","participants":[{"nodeId":"a","username":"user-a"}]}"#)
        }
    }
}
