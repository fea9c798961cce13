import NIOCore
import Synchronization
import Testing
import TomDHT
import TomGateway
import TomGatewayNIO
import TomSignaling
import TomWebSocketClient

/// A gateway link whose TCP connection dies in the middle of a fragmented message, over real
/// sockets: the accepting gateway drops the link (its clients see the remote clients leave),
/// delivers nothing of the partial message, and a new link works with nothing corrupted.
@Suite(.serialized, .timeLimit(.minutes(1))) struct LinkCutTests {
    /// A gateway in process: its hub, its link session and one legacy client.
    struct Gateway {
        let hub: MeshHub
        let session: LinkSession
        let client: ClientSession
        let inbox = Inbox()

        init(seed: UInt8, clientID: UInt64) {
            var settings = MeshHub.Settings()
            settings.linkGrace = .zero
            settings.leaveDelay = .zero
            let key = ItemSigningKey(seed: [UInt8](repeating: seed, count: 32))!
            let clock = Atomic<Int64>(1_700_000_000_000_000)
            hub = MeshHub(key: key, topic: Topic(name: "link-cut"), endpoints: [], settings: settings,
                          clock: { clock.add(1_000, ordering: .relaxed).newValue })
            session = LinkSession(hub: hub, key: key, topic: Topic(name: "link-cut"), logger: .init(label: "link-cut"))
            client = ClientSession(id: clientID, remoteAddress: "test", outbox: Outbox(limitBytes: 8 << 20))
        }

        /// Everything the client received so far (the outbox is drained into the inbox).
        func received() -> [String] {
            inbox.add(client.outbox.takeAll().map { String(buffer: $0) })
            return inbox.all
        }
    }

    final class Inbox: Sendable {
        private let messages = Mutex<[String]>([])
        func add(_ new: [String]) { messages.withLock { $0 += new } }
        var all: [String] { messages.withLock { $0 } }
    }

    /// Dials `port` as gateway `from` does (1 KiB fragments); the session runs in a task.
    func dial(_ from: Gateway, port: Int) async throws -> (WebSocketConnection, Task<Void, Never>) {
        let connection = try await WebSocketClient.connect(host: "127.0.0.1", port: port, path: "/tom/link")
        let (frames, transport) = connection.gatewayLink(remote: "accepting gateway")
        let task = Task { _ = try? await from.session.initiate(frames: frames, over: transport) }
        return (connection, task)
    }

    func eventually(_ what: String, _ condition: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !(await condition()) {
            guard ContinuousClock.now < deadline else { throw TestFailure("timed out waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test func linkCutMidMessageIsDroppedAndRelinks() async throws {
        let dialling = Gateway(seed: 1, clientID: 1)
        let accepting = Gateway(seed: 2, clientID: 2)
        try await TestServer.with { server in
            server.server.route("/tom/link", maxMessageBytes: LinkSession.Settings().maxFrameBytes) { frames, socket in
                _ = try? await accepting.session.accept(
                    frames: frames, over: LinkTransport(send: socket.send, close: socket.close, remote: socket.remoteAddress))
            }
            await dialling.hub.receive(.register(Participant(nodeId: "far", username: "far")), from: dialling.client)
            await accepting.hub.receive(.register(Participant(nodeId: "near", username: "near")), from: accepting.client)
            let joined = #"{"type":"presence","action":"join","nodeId":"far""#
            let left = #"{"type":"presence","action":"leave","nodeId":"far""#

            let (first, firstSession) = try await dial(dialling, port: server.port)
            try await eventually("the first link") { await accepting.hub.snapshot().gatewayLinks == 1 }
            try await eventually("the remote client's join") { accepting.received().contains { $0.hasPrefix(joined) } }
            try await eventually("the join at the dialling side") {
                dialling.received().contains { $0.hasPrefix(#"{"type":"presence","action":"join","nodeId":"near""#) }
            }

            // Two fragments of a 64 KiB signal, then the TCP connection dies.
            let payload = String(repeating: "s", count: 64 << 10)
            let signalText = #"{"type":"signal","from":"far","to":"near","sdp":"\#(payload)"}"#
            let partial = LinkMessage.signal(to: "near", message: Array(signalText.utf8), replyTo: 7).encoded
            try await first.sendRaw(opcode: 0x2, payload: Array(partial[0..<1024]), fin: false)
            try await first.sendRaw(opcode: 0x0, payload: Array(partial[1024..<2048]), fin: false)
            await first.abort()
            try await eventually("the link dropped on both sides") {
                let accepted = await accepting.hub.snapshot().gatewayLinks
                let dialled = await dialling.hub.snapshot().gatewayLinks
                return accepted == 0 && dialled == 0
            }
            await firstSession.value
            try await eventually("the remote client's leave") { accepting.received().contains { $0.hasPrefix(left) } }
            #expect(!accepting.received().contains { $0.contains(#""type":"signal""#) })

            // A new link: the remote client is back and a whole signal arrives intact.
            let (second, secondSession) = try await dial(dialling, port: server.port)
            try await eventually("the second link") { await accepting.hub.snapshot().gatewayLinks == 1 }
            try await eventually("the remote client's second join") {
                accepting.received().filter { $0.hasPrefix(joined) }.count == 2
            }
            let nearJoined = #"{"type":"presence","action":"join","nodeId":"near""#
            try await eventually("the dialling side to list the accepting side's client again") {
                dialling.received().filter { $0.hasPrefix(nearJoined) }.count == 2
            }
            await dialling.hub.receive(LegacyRequest.decode(ByteBuffer(string: signalText)), from: dialling.client)
            try await eventually("the signal over the new link") { accepting.received().contains(signalText) }
            #expect(accepting.received().filter { $0.contains(#""type":"signal""#) } == [signalText])
            await second.abort()
            await secondSession.value
        }
    }
}
