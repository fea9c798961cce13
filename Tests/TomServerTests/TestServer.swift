import Logging
import NIOCore
import ServiceLifecycle
import Testing
import TomServer
import TomSignaling
import TomWebSocketClient

/// A seed server on an ephemeral loopback port, run for the length of one test.
struct TestServer {
    let server: SignalingServer
    let port: Int
    let group: ServiceGroup

    static func with<T>(
        _ configure: (inout ServerSettings) -> Void = { _ in },
        _ body: (TestServer) async throws -> T
    ) async throws -> T {
        var settings = ServerSettings()
        settings.host = "127.0.0.1"
        settings.port = 0
        configure(&settings)
        var logger = Logger(label: "test-server")
        logger.logLevel = .critical
        let server = SignalingServer(
            settings: settings,
            hub: { [settings] metrics in LocalHub(metrics: metrics, coalesceParticipants: settings.coalesceParticipants, participantsBudget: settings.participantsBudget) },
            mode: "seed",
            publicKeyHex: String(repeating: "ab", count: 32),
            logger: logger
        )
        let (listening, portSink) = AsyncStream.makeStream(of: Int.self)
        let group = ServiceGroup(configuration: .init(
            services: server.services(onListening: { port in portSink.yield(port) }).map { .init(service: $0) },
            logger: logger
        ))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var ports = listening.makeAsyncIterator()
            guard let port = await ports.next() else { throw TestFailure("server did not start") }
            let running = TestServer(server: server, port: port, group: group)
            do {
                let result = try await body(running)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    func connect(path: String = "/", subprotocols: [String] = []) async throws -> LegacyClient {
        LegacyClient(try await WebSocketClient.connect(host: "127.0.0.1", port: port, path: path, subprotocols: subprotocols))
    }

    /// Two clients registered as "a" and "b", with the messages of their registration consumed.
    func registeredPair(secondKey: String? = nil) async throws -> (LegacyClient, LegacyClient) {
        let a = try await connect()
        let b = try await connect()
        try await a.register("a")
        _ = try await a.next()
        try await b.register("b", encryptionKey: secondKey)
        _ = try await (a.next(), a.next(), b.next())
        return (a, b)
    }

    func http(_ path: String, method: String = "GET") async throws -> TomWebSocketClient.HTTPResponse {
        try await HTTPProbe.get(host: "127.0.0.1", port: port, path: path, method: method)
    }

    /// Waits until the server reports `predicate` true for its open connection count.
    func waitForConnections(_ predicate: (Int) -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !predicate(await server.status().connections) {
            guard ContinuousClock.now < deadline else { throw TestFailure("connection count never settled") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    func metric(_ name: String) async throws -> Double? {
        let body = try await http("/metrics").bodyText
        for line in body.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.split(separator: " ").last ?? "")
        }
        return nil
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A legacy client over the real WebSocket client, with helpers that await specific messages.
struct LegacyClient {
    let connection: WebSocketConnection

    init(_ connection: WebSocketConnection) {
        self.connection = connection
    }

    func send(_ text: String) async throws {
        try await connection.send(text: text)
    }

    func register(_ nodeId: String, username: String? = nil, encryptionKey: String? = nil) async throws {
        var fields = #""type":"register","nodeId":"\#(nodeId)","username":"\#(username ?? "user-" + nodeId)","publicKey":"\#(nodeId)""#
        if let encryptionKey { fields += #","encryptionKey":"\#(encryptionKey)""# }
        try await send("{\(fields)}")
    }

    /// The next text message; fails on close or after `timeout`.
    func next(timeout: Duration = .seconds(10)) async throws -> String {
        guard let event = try await connection.next(timeout: timeout) else { throw TestFailure("connection ended") }
        guard let text = event.text else { throw TestFailure("expected a text message, got \(event)") }
        return text
    }

    /// Skips messages until one contains `fragment`.
    func next(containing fragment: String, timeout: Duration = .seconds(10)) async throws -> String {
        while true {
            let text = try await next(timeout: timeout)
            if text.contains(fragment) { return text }
        }
    }

    /// The close code the server sent, skipping any messages before it.
    func closeCode(timeout: Duration = .seconds(10)) async throws -> UInt16? {
        while let event = try await connection.next(timeout: timeout) {
            if event.isClosed { return event.closeCodeNumber }
        }
        return nil
    }

    /// Proves the server processed everything sent before: a signal to nobody is answered.
    func sync() async throws {
        try await send(#"{"type":"signal","from":"sync","to":"nobody-\#(UInt64.random(in: 0...UInt64.max))"}"#)
        let reply = try await next()
        guard reply == #"{"type":"error","error":"peer not found"}"# else {
            throw TestFailure("expected the sync reply, got \(reply)")
        }
    }

    func close() async {
        try? await connection.close()
    }
}
