import NIOCore
import NIOPosix
import Testing
import TomServer
import TomWebSocketClient

/// The hostile-input catalogue of Docs/security.md for the legacy front end: each test is
/// named after its case, sends the hostile input, checks the documented outcome, and then
/// checks that everybody else is still served.
@Suite(.serialized, .timeLimit(.minutes(1))) struct HostileWebSocketTests {
    func bystander(_ server: TestServer) async throws -> LegacyClient {
        let client = try await server.connect()
        try await client.register("bystander")
        _ = try await client.next()
        return client
    }

    /// `client` is still served: skipping what others' actions sent it, it gets the reply
    /// to a signal to nobody.
    func stillServed(_ client: LegacyClient) async throws {
        try await client.send(#"{"type":"signal","from":"probe","to":"nobody"}"#)
        _ = try await client.next(containing: #"{"type":"error","error":"peer not found"}"#)
    }

    @Test("H-WS-07 deeply nested JSON is answered invalid JSON and the connection stays open")
    func deeplyNestedJSON() async throws {
        try await TestServer.with { server in
            let other = try await bystander(server)
            let client = try await server.connect()
            let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
            try await client.send(#"{"type":"signal","from":"a","to":"bystander","p":\#(deep)}"#)
            #expect(try await client.next() == #"{"type":"error","error":"invalid JSON"}"#)
            try await client.send(String(repeating: "[", count: 200_000))
            #expect(try await client.next() == #"{"type":"error","error":"invalid JSON"}"#)
            // 256 levels are still fine, and relayed.
            let fits = String(repeating: "[", count: 255) + String(repeating: "]", count: 255)
            try await client.send(#"{"type":"signal","from":"a","to":"bystander","p":\#(fits)}"#)
            #expect(try await other.next().hasSuffix(#"]]]}"#))
            try await client.sync()
            try await other.sync()
        }
    }

    @Test("H-WS-09 wrong JSON types in known fields are refused like missing ones")
    func wrongTypes() async throws {
        try await TestServer.with { server in
            let other = try await bystander(server)
            let client = try await server.connect()
            for text in [#"{"type":"register","nodeId":{"a":1},"username":"u"}"#, #"{"type":"register","nodeId":"n","username":["u"]}"#,
                         #"{"type":"register","nodeId":12,"username":"u"}"#, #"{"type":"register","nodeId":true,"username":"u"}"#] {
                try await client.send(text)
                #expect(try await client.next() == #"{"type":"error","error":"missing nodeId or username"}"#)
            }
            try await client.send(#"{"type":"signal","from":"a","to":{"nodeId":"bystander"}}"#)
            #expect(try await client.next() == #"{"type":"error","error":"peer not found"}"#)
            // A `type` that is not a string is an unknown type: ignored.
            try await client.send(#"{"type":["register"],"nodeId":"n","username":"u"}"#)
            try await client.sync()
            try await other.sync()
            #expect(try await server.http("/status").bodyText.contains(#""participants":1"#))
        }
    }

    @Test("H-WS-17 lone UTF-16 surrogates in decoded fields become U+FFFD")
    func loneSurrogates() async throws {
        try await TestServer.with { server in
            let client = try await server.connect()
            try await client.send(#"{"type":"register","nodeId":"\ud800x","username":"\udfffy"}"#)
            let list = try await client.next()
            #expect(list == "{\"type\":\"participants\",\"participants\":[{\"nodeId\":\"\u{FFFD}x\",\"username\":\"\u{FFFD}y\"}]}")
            try await client.sync()
        }
    }

    @Test("H-WS-18 more registers than the register burst close the connection with 1008")
    func registerFlood() async throws {
        try await TestServer.with({ $0.registerRate = .init(perSecond: 0.01, burst: 3) }) { server in
            let other = try await bystander(server)
            let flooder = try await server.connect()
            for index in 0..<6 {
                try? await flooder.register("flood-\(index)")
            }
            #expect(try await flooder.closeCode() == 1008)
            #expect(try await server.metric(#"tom_errors_total{kind="register_rate"}"#) == 1)
            try await stillServed(other)
            // A client within the burst is never closed.
            let polite = try await server.connect()
            for index in 0..<3 { try await polite.register("polite-\(index)") }
            try await stillServed(polite)
        }
    }

    @Test("H-WS-19 more messages than the message burst close the connection with 1008")
    func messageFlood() async throws {
        try await TestServer.with({ $0.messageRate = .init(perSecond: 1, burst: 20) }) { server in
            let other = try await bystander(server)
            let flooder = try await server.connect()
            try await flooder.connection.send(texts: Array(repeating: #"{"type":"heartbeat"}"#, count: 40))
            #expect(try await flooder.closeCode() == 1008)
            #expect(try await server.metric(#"tom_errors_total{kind="message_rate"}"#) == 1)
            try await other.sync()
            let polite = try await server.connect()
            try await polite.connection.send(texts: Array(repeating: #"{"type":"heartbeat"}"#, count: 19))
            try await polite.sync()  // the 20th message
        }
    }

    @Test("H-WS-30 more message bytes than the byte burst close the connection with 1008")
    func byteFlood() async throws {
        try await TestServer.with({ $0.byteRate = .init(perSecond: 1, burst: 64 * 1024) }) { server in
            let other = try await bystander(server)
            let flooder = try await server.connect()
            let large = #"{"type":"heartbeat","pad":""# + String(repeating: "x", count: 16 * 1024) + #""}"#
            try await flooder.connection.send(texts: Array(repeating: large, count: 8))
            #expect(try await flooder.closeCode() == 1008)
            #expect(try await server.metric(#"tom_errors_total{kind="byte_rate"}"#) == 1)
            try await other.sync()
            // Small messages of the same count stay far within the byte burst.
            let polite = try await server.connect()
            try await polite.connection.send(texts: Array(repeating: #"{"type":"heartbeat"}"#, count: 8))
            try await polite.sync()
        }
    }

    @Test("H-WS-20 a register storm past the participants budget merges lists; registrants still get theirs at once")
    func registerStormMergesLists() async throws {
        try await TestServer.with({ $0.participantsBudget = .init(perSecond: 2_000, burst: 2_000) }) { server in
            var clients: [LegacyClient] = []
            for index in 0..<12 {
                let client = try await server.connect()
                try await client.register("storm-\(index)")
                // Its own list comes at once, naming it.
                #expect(try await client.next(containing: #""type":"participants""#).contains(#""nodeId":"storm-\#(index)""#))
                clients.append(client)
            }
            #expect((try await server.metric("tom_participants_coalesced_total") ?? 0) >= 1)
            // Everyone converges on the full list, every presence join having arrived first.
            for (index, client) in clients.enumerated() {
                var joins = 0
                var last = ""
                while !(last.contains(#""nodeId":"storm-11""#) && last.contains(#""type":"participants""#)) {
                    last = try await client.next()
                    if last.contains(#""action":"join""#) { joins += 1 }
                }
                #expect(joins == 11 - index)
                #expect(last.components(separatedBy: #""nodeId":"storm-"#).count == 13)
            }
        }
    }

    @Test("H-WS-25 a continuation frame with no message to continue closes with 1002")
    func strayContinuation() async throws {
        try await TestServer.with { server in
            let other = try await bystander(server)
            let bad = try await server.connect()
            try await bad.sync()
            try await bad.connection.sendRaw(opcode: 0x0, payload: Array(#"{"type":"heartbeat"}"#.utf8))
            #expect(try await bad.closeCode() == 1002)
            try await other.sync()
        }
    }

    @Test("H-WS-26 a text frame inside a fragmented message closes with 1002")
    func interleavedDataFrames() async throws {
        try await TestServer.with { server in
            let other = try await bystander(server)
            let bad = try await server.connect()
            try await bad.sync()
            try await bad.connection.sendRaw(opcode: 0x1, payload: Array(#"{"type":"#.utf8), fin: false)
            try await bad.connection.sendRaw(opcode: 0x1, payload: Array(#""heartbeat"}"#.utf8))
            #expect(try await bad.closeCode() == 1002)
            try await other.sync()
        }
    }

    @Test("H-WS-27 a control frame over 125 bytes closes with 1002")
    func oversizedControlFrame() async throws {
        try await TestServer.with { server in
            let other = try await bystander(server)
            let bad = try await server.connect()
            try await bad.sync()
            try await bad.connection.sendRaw(opcode: 0x9, payload: [UInt8](repeating: 0x70, count: 126))
            #expect(try await bad.closeCode() == 1002)
            try await other.sync()
        }
    }

    @Test("H-WS-28 garbage bytes instead of frames end that connection only")
    func garbageAfterUpgrade() async throws {
        try await TestServer.with { server in
            let other = try await bystander(server)
            let bad = try await server.connect()
            try await bad.sync()
            try await bad.connection.sendRaw(bytes: [0xFF, 0xFF, 0x7F] + [UInt8](repeating: 0xFF, count: 8) + Array("garbage".utf8))
            let code = try await bad.closeCode()
            #expect(code == nil || code == 1002 || code == 1009)
            try await server.waitForConnections { $0 == 1 }
            try await other.sync()
        }
    }

    @Test("H-WS-29 a close frame with a one-byte body ends that connection only")
    func malformedCloseFrame() async throws {
        try await TestServer.with { server in
            let other = try await bystander(server)
            let bad = try await server.connect()
            try await bad.sync()
            try await bad.connection.sendRaw(opcode: 0x8, payload: [0x03])
            _ = try await bad.closeCode()
            try await server.waitForConnections { $0 == 1 }
            try await other.sync()
        }
    }
}

@Suite(.serialized, .timeLimit(.minutes(1))) struct HostileHTTPTests {
    /// The server still answers a well-formed request after the hostile one.
    func stillServes(_ server: TestServer) async throws {
        let health = try await server.http("/health")
        #expect(health.status == 200)
        #expect(health.bodyText == #"{"ok":true}"#)
    }

    /// A reply that is either nothing (the connection was closed) or a 4xx status line.
    func isRefusal(_ reply: String) -> Bool {
        reply.isEmpty || reply.hasPrefix("HTTP/1.1 4")
    }

    @Test("H-HTTP-03 a garbage request line is refused (400 or close)")
    func garbageRequestLine() async throws {
        try await TestServer.with { server in
            let raw = try await RawTCPConnection.connect(port: server.port)
            await raw.send("\u{01}\u{02}GARBAGE \u{FF}\r\n\r\n")
            #expect(isRefusal(await raw.reply(timeout: .milliseconds(500))))
            await raw.close()
            try await stillServes(server)
        }
    }

    @Test("H-HTTP-04 a 100 KB header is refused (4xx or close)")
    func oversizeHeader() async throws {
        try await TestServer.with { server in
            let raw = try await RawTCPConnection.connect(port: server.port)
            await raw.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 100_000) + "\r\n\r\n")
            #expect(isRefusal(await raw.reply(timeout: .milliseconds(500))))
            await raw.close()
            try await stillServes(server)
        }
    }

    @Test("H-HTTP-05 ten thousand header lines are refused (4xx or close)")
    func tooManyHeaders() async throws {
        try await TestServer.with { server in
            let raw = try await RawTCPConnection.connect(port: server.port)
            let headers = (0..<10_000).map { "X-H\($0): v\r\n" }.joined()
            await raw.send("GET /health HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n")
            #expect(isRefusal(await raw.reply(timeout: .milliseconds(500))))
            await raw.close()
            try await stillServes(server)
        }
    }

    @Test("H-HTTP-06 a body announced as a terabyte and never sent costs nothing")
    func absurdContentLength() async throws {
        try await TestServer.with { server in
            let raw = try await RawTCPConnection.connect(port: server.port)
            await raw.send("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\npartial")
            let reply = await raw.reply(until: { $0.contains("\r\n\r\n") }, timeout: .milliseconds(500))
            #expect(reply.isEmpty || reply.hasPrefix("HTTP/1.1 404") || reply.hasPrefix("HTTP/1.1 4"))
            await raw.close()
            try await stillServes(server)
        }
    }

    @Test("H-HTTP-07 Content-Length together with chunked encoding is refused (request smuggling)")
    func smuggling() async throws {
        try await TestServer.with { server in
            let raw = try await RawTCPConnection.connect(port: server.port)
            await raw.send("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /status HTTP/1.1\r\nHost: x\r\n\r\n")
            let reply = await raw.reply(until: { $0.contains("\"mode\"") }, timeout: .seconds(1))
            // Never the smuggled /status answer.
            #expect(!reply.contains("\"mode\""))
            await raw.close()
            try await stillServes(server)
        }
    }

    @Test("H-HTTP-08 admin endpoints refuse anyone but loopback with 403")
    func adminFromAnotherAddress() async throws {
        try await TestServer.with({ $0.host = "0.0.0.0" }) { server in
            server.server.setAdminAction("degrade") { "degraded" }
            guard let address = Self.nonLoopbackAddress() else {
                print("H-HTTP-08: no non-loopback IPv4 address on this machine; only the loopback half ran")
                #expect(try await server.http("/admin/degrade", method: "POST").status == 200)
                return
            }
            let remote = try await HTTPProbe.get(host: address, port: server.port, path: "/admin/degrade", method: "POST")
            #expect(remote.status == 403)
            #expect(remote.bodyText == #"{"error":"admin endpoints answer loopback only"}"#)
            #expect(try await server.http("/admin/degrade", method: "POST").status == 200)
        }
    }

    @Test("H-HTTP-09 an upgrade with a bad version or no key is not upgraded")
    func badUpgrade() async throws {
        try await TestServer.with { server in
            for headers in ["Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 12\r\n",
                            "Sec-WebSocket-Version: 13\r\n"] {
                let raw = try await RawTCPConnection.connect(port: server.port)
                await raw.send("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + headers + "\r\n")
                let reply = await raw.reply(until: { $0.contains("\r\n\r\n") }, timeout: .seconds(2))
                #expect(!reply.hasPrefix("HTTP/1.1 101"))
                await raw.close()
            }
            try await stillServes(server)
        }
    }

    @Test("H-HTTP-10 a thousand pipelined requests on one connection are answered in order or cut, never crash")
    func pipelinedFlood() async throws {
        try await TestServer.with { server in
            let raw = try await RawTCPConnection.connect(port: server.port)
            await raw.send(String(repeating: "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", count: 1_000))
            let reply = await raw.reply(until: { $0.components(separatedBy: "HTTP/1.1 200").count > 1_000 }, timeout: .seconds(10))
            let answered = reply.components(separatedBy: "HTTP/1.1 200").count - 1
            #expect(answered >= 1)
            #expect(!reply.contains("HTTP/1.1 5"))
            await raw.close()
            try await stillServes(server)
        }
    }

    @Test("H-HTTP-11 invalid bytes and traversal in the path are a plain 404")
    func hostilePaths() async throws {
        try await TestServer.with { server in
            for path in ["/%ff%fe", "/../../etc/passwd", "/health/../status", "/%00", "/" + String(repeating: "a", count: 4_000)] {
                let raw = try await RawTCPConnection.connect(port: server.port)
                await raw.send("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
                let reply = await raw.reply(until: { $0.contains("}") }, timeout: .seconds(2))
                #expect(reply.hasPrefix("HTTP/1.1 404") || reply.hasPrefix("HTTP/1.1 400"), "\(path): \(reply.prefix(40))")
                await raw.close()
            }
            try await stillServes(server)
        }
    }

    @Test("H-HTTP-12 a connection that completes no request head in time is closed and frees its slot")
    func silentAndSlowConnections() async throws {
        // 1 s, not less: under the thread sanitizer a real client's head can take a few
        // hundred milliseconds to arrive, and the test must tell silence from slowness.
        try await TestServer.with({ $0.requestHeadTimeout = .seconds(1); $0.maxConnections = 1 }) { server in
            for opening in ["", "GET /health HTTP/1.1\r\nHost: x\r\n", "\u{01}garbage\r\n\r\n"] {
                let raw = try await RawTCPConnection.connect(port: server.port)
                await raw.send(opening)
                let started = ContinuousClock.now
                _ = await raw.reply(timeout: .seconds(5))
                #expect(await raw.isClosed)
                #expect(ContinuousClock.now - started < .seconds(3))
                try await server.waitForConnections { $0 == 0 }
            }
            // The single slot is free again; a real client within the deadline is served.
            try await stillServes(server)
            try await server.waitForConnections { $0 == 0 }
            let client = try await server.connect()
            try await client.sync()
        }
    }

    @Test("H-HTTP-13 connections that never sent a request head do not delay a graceful shutdown")
    func pendingConnectionsDoNotDelayShutdown() async throws {
        var held: [RawTCPConnection] = []
        let started = ContinuousClock.now
        try await TestServer.with { server in
            for opening in ["", "GET /health HTTP/1.1\r\n", "\u{01}garbage\r\n\r\n"] {
                let raw = try await RawTCPConnection.connect(port: server.port)
                await raw.send(opening)
                held.append(raw)
            }
            try await server.waitForConnections { $0 == 3 }
        }
        // Well inside the 10 s request timeout: the shutdown closed them.
        #expect(ContinuousClock.now - started < .seconds(3))
        for raw in held { await raw.close() }
    }

    /// The first IPv4 address of this machine that is not loopback, if any.
    static func nonLoopbackAddress() -> String? {
        let devices = (try? System.enumerateDevices()) ?? []
        for device in devices {
            guard case .v4 = device.address, let ip = device.address?.ipAddress, !ip.hasPrefix("127.") else { continue }
            return ip
        }
        return nil
    }
}
