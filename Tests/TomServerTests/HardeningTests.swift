import NIOCore
import Testing
import TomWebSocketClient

/// The hardening rules: no input crashes the server or disturbs other clients, and every
/// limit answers as documented.
@Suite(.serialized, .timeLimit(.minutes(1))) struct HardeningTests {
    /// Registers a bystander that must keep working after another client misbehaves.
    func bystander(_ server: TestServer) async throws -> LegacyClient {
        let client = try await server.connect()
        try await client.register("bystander")
        _ = try await client.next()
        return client
    }

    @Test func invalidUTF8ClosesWith1007() async throws {
        try await TestServer.with { server in
            let other = try await bystander(server)
            let bad = try await server.connect()
            try await bad.connection.sendRaw(opcode: 0x1, payload: [0x7b, 0xc3, 0x28, 0x7d])
            #expect(try await bad.closeCode() == 1007)
            try await other.sync()
        }
    }

    @Test(arguments: [
        (UInt8(0x3), true, false), // reserved data opcode
        (UInt8(0xB), true, false), // reserved control opcode
        (UInt8(0x1), false, false), // unmasked client frame
        (UInt8(0x1), true, true), // RSV1 without an extension
    ])
    func malformedFramesCloseWith1002(opcode: UInt8, masked: Bool, rsv1: Bool) async throws {
        try await TestServer.with { server in
            let other = try await bystander(server)
            let bad = try await server.connect()
            // The unmasked-frame check is installed as the connection starts (see
            // ClientFrameGuard); one round trip makes sure it is in place.
            try await bad.sync()
            try await bad.connection.sendRaw(opcode: opcode, payload: Array(#"{"type":"heartbeat"}"#.utf8), masked: masked, rsv1: rsv1)
            #expect(try await bad.closeCode() == 1002)
            try await other.sync()
        }
    }

    @Test func jsonNullIsIgnored() async throws {
        try await TestServer.with { server in
            let client = try await server.connect()
            try await client.send("null")
            try await client.sync()
        }
    }

    @Test func oversizeMessageClosesWith1009() async throws {
        try await TestServer.with({ $0.maxMessageBytes = 64 * 1024 }) { server in
            let other = try await bystander(server)
            let exact = try await server.connect()
            let fits = #"{"type":"signal","from":"a","to":"nobody","p":""# + String(repeating: "x", count: 64 * 1024 - 49) + #""}"#
            #expect(fits.utf8.count <= 64 * 1024)
            try await exact.send(fits)
            #expect(try await exact.next() == #"{"type":"error","error":"peer not found"}"#)
            let big = try await server.connect()
            try await big.send(String(repeating: "x", count: 64 * 1024 + 1))
            #expect(try await big.closeCode() == 1009)
            // Fragmented messages count as a whole.
            let fragmented = try await server.connect()
            let half = [UInt8](repeating: 0x20, count: 40 * 1024)
            try await fragmented.connection.sendRaw(opcode: 0x1, payload: half, fin: false)
            try await fragmented.connection.sendRaw(opcode: 0x0, payload: half, fin: true)
            #expect(try await fragmented.closeCode() == 1009)
            try await other.sync()
        }
    }

    @Test func newerSocketTakesOverANodeIdAndKeepsIt() async throws {
        try await TestServer.with { server in
            let older = try await server.connect()
            let newer = try await server.connect()
            let sender = try await server.connect()
            try await older.register("dup")
            _ = try await older.next()
            try await newer.register("dup")
            _ = try await newer.next(containing: "participants")
            await older.close()
            try await server.waitForConnections { $0 == 2 }
            try await sender.send(#"{"type":"signal","from":"s","to":"dup","n":1}"#)
            #expect(try await newer.next() == #"{"type":"signal","from":"s","to":"dup","n":1}"#)
            let status = try await server.http("/status").bodyText
            #expect(status.contains(#""participants":1"#))
        }
    }

    @Test func reRegisterUnderNewIdLeavesNoGhost() async throws {
        try await TestServer.with { server in
            let watcher = try await bystander(server)
            let mover = try await server.connect()
            try await mover.register("first")
            try await mover.register("second")
            let list = try await watcher.next(containing: #""nodeId":"second""#)
            #expect(!list.contains(#""nodeId":"first""#) || list.contains("presence"))
            await mover.close()
            _ = try await watcher.next(containing: #""action":"leave","nodeId":"second""#)
            let final = try await watcher.next()
            #expect(final == #"{"type":"participants","participants":[{"nodeId":"bystander","username":"user-bystander"}]}"#)
        }
    }

    @Test func slowReaderIsClosedWithoutSlowingOthers() async throws {
        try await TestServer.with({ $0.outboxLimitBytes = 256 * 1024; $0.maxMessageBytes = 64 * 1024 }) { server in
            let sender = try await server.connect()
            let slow = try await RawWebSocketPeer.connect(port: server.port)
            try await slow.sendText(#"{"type":"register","nodeId":"slow","username":"s"}"#)
            try await slow.stopReading()
            try await sender.sync()
            let payload = String(repeating: "y", count: 32 * 1024)
            // Far more than the socket buffers and the outbox can hold.
            var refused = false
            for index in 0..<4000 where !refused {
                try await sender.send(#"{"type":"signal","from":"s","to":"slow","i":\#(index),"p":"\#(payload)"}"#)
                if index % 50 == 49 {
                    try await sender.send(#"{"type":"signal","from":"s","to":"slow-probe"}"#)
                    _ = try await sender.next()
                    refused = (try await server.metric("tom_backpressure_closed_total") ?? 0) >= 1
                }
            }
            #expect(refused)
            try await slow.resumeReading()
            try await slow.waitUntilClosed()
            try await sender.send(#"{"type":"signal","from":"s","to":"slow"}"#)
            #expect(try await sender.next(containing: "error") == #"{"type":"error","error":"peer not found"}"#)
        }
    }

    @Test func deadPeerIsDroppedAfterUnansweredPing() async throws {
        try await TestServer.with({ $0.pingInterval = .milliseconds(300) }) { server in
            let healthy = try await server.connect()
            try await healthy.register("healthy")
            _ = try await healthy.next()
            let dead = try await RawWebSocketPeer.connect(port: server.port)
            try await dead.waitUntilClosed()
            // The well-behaved client answers pings and is still served.
            try await healthy.sync()
        }
    }

    @Test func connectionCapsAnswer503() async throws {
        try await TestServer.with({ $0.maxConnections = 2 }) { server in
            let first = try await server.connect()
            let second = try await server.connect()
            await #expect {
                _ = try await server.connect()
            } throws: { error in
                (error as? WebSocketClientError)?.httpStatus == 503
            }
            await first.close()
            try await server.waitForConnections { $0 < 2 }
            let replacement = try await server.connect()
            try await replacement.sync()
            try await second.sync()
        }
        try await TestServer.with({ $0.maxConnectionsPerIP = 1; $0.limitLoopback = true }) { server in
            let only = try await server.connect()
            await #expect {
                _ = try await server.connect()
            } throws: { error in
                (error as? WebSocketClientError)?.httpStatus == 503
            }
            try await only.sync()
            await only.close()
            try await server.waitForConnections { $0 == 0 }
            #expect((try await server.metric(#"tom_errors_total{kind="rejected_connection"}"#) ?? 0) >= 1)
        }
        try await TestServer.with({ $0.maxConnectionsPerIP = 1 }) { server in
            // Loopback is exempt unless configured.
            let first = try await server.connect()
            let second = try await server.connect()
            try await first.sync()
            try await second.sync()
        }
    }

    @Test func gracefulShutdownClosesEveryWebSocketWith1001() async throws {
        var clients: [LegacyClient] = []
        let started = ContinuousClock.now
        try await TestServer.with { server in
            for index in 0..<3 {
                let client = try await server.connect()
                try await client.register("c\(index)")
                clients.append(client)
            }
            _ = try await clients[2].next(containing: "participants")
        }
        #expect(ContinuousClock.now - started < .seconds(5))
        for client in clients {
            #expect(try await client.closeCode() == 1001)
        }
    }
}
