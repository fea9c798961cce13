import NIOCore
import Testing
@testable import TomSignaling

/// A hub client for tests: a session whose queued messages can be read back in order.
struct FakeClient {
    let session: ClientSession
    private var iterator: AsyncStream<ByteBuffer>.AsyncIterator

    init(id: UInt64, outboxLimit: Int = 1 << 20, onOverflow: @escaping @Sendable () -> Void = {}) {
        session = ClientSession(id: id, remoteAddress: "test", outbox: Outbox(limitBytes: outboxLimit, onOverflow: onOverflow))
        iterator = session.outbox.messages.makeAsyncIterator()
    }

    /// Everything queued so far.
    mutating func drain() async -> [String] {
        var received: [String] = []
        while session.outbox.pendingBytes > 0, let message = await iterator.next() {
            session.outbox.didWrite(message)
            received.append(String(buffer: message))
        }
        return received
    }
}

@Suite struct LocalHubTests {
    let hub = LocalHub()

    func send(_ text: String, from client: FakeClient) async {
        await hub.receive(LegacyRequest.decode(ByteBuffer(string: text)), from: client.session)
    }

    func register(_ client: FakeClient, _ nodeId: String, username: String? = nil) async {
        await send(#"{"type":"register","nodeId":"\#(nodeId)","username":"\#(username ?? nodeId.uppercased())"}"#, from: client)
    }

    @Test func registerSendsPresenceToOthersThenParticipantsToAll() async {
        var a = FakeClient(id: 1)
        var b = FakeClient(id: 2)
        await register(a, "a")
        #expect(await a.drain() == [#"{"type":"participants","participants":[{"nodeId":"a","username":"A"}]}"#])
        await register(b, "b")
        let list = #"{"type":"participants","participants":[{"nodeId":"a","username":"A"},{"nodeId":"b","username":"B"}]}"#
        #expect(await a.drain() == [#"{"type":"presence","action":"join","nodeId":"b","username":"B","publicKey":""}"#, list])
        #expect(await b.drain() == [list])
    }

    @Test func disconnectSendsLeaveThenParticipants() async {
        var a = FakeClient(id: 1)
        var b = FakeClient(id: 2)
        await register(a, "a")
        await register(b, "b")
        _ = await a.drain()
        await hub.disconnected(b.session)
        #expect(await a.drain() == [
            #"{"type":"presence","action":"leave","nodeId":"b","username":"B","publicKey":""}"#,
            #"{"type":"participants","participants":[{"nodeId":"a","username":"A"}]}"#,
        ])
        #expect(await b.drain().isEmpty == false)
        #expect(await hub.participants().map(\.nodeId) == ["a"])
    }

    @Test func newerSocketTakesANodeIdOverAndTheOlderCloseDoesNotRemoveIt() async {
        var older = FakeClient(id: 1)
        var newer = FakeClient(id: 2)
        var other = FakeClient(id: 3)
        await register(other, "o")
        await register(older, "x", username: "old")
        await register(newer, "x", username: "new")
        // The nodeId keeps its place in registration order.
        #expect(await hub.participants().map(\.username) == ["O", "new"])
        _ = await (older.drain(), newer.drain(), other.drain())
        await hub.disconnected(older.session)
        #expect(await other.drain().isEmpty)
        #expect(await hub.participants().map(\.nodeId) == ["o", "x"])
        await send(#"{"type":"signal","from":"o","to":"x","payload":1}"#, from: other)
        #expect(await newer.drain() == [#"{"type":"signal","from":"o","to":"x","payload":1}"#])
        #expect(await older.drain().isEmpty)
    }

    @Test func reRegisteringUnderANewIdLeavesNoGhost() async {
        var a = FakeClient(id: 1)
        var b = FakeClient(id: 2)
        await register(b, "b")
        await register(a, "a1")
        await register(a, "a2")
        #expect(await hub.participants().map(\.nodeId) == ["b", "a2"])
        let seenByB = await b.drain()
        #expect(seenByB.contains(#"{"type":"presence","action":"leave","nodeId":"a1","username":"A1","publicKey":""}"#))
        await hub.disconnected(a.session)
        #expect(await hub.participants().map(\.nodeId) == ["b"])
        _ = await a.drain()
    }

    @Test func signalToUnknownOrClosedTargetIsPeerNotFound() async {
        var a = FakeClient(id: 1)
        let b = FakeClient(id: 2)
        await register(b, "b")
        await send(#"{"type":"signal","from":"a","to":"nobody"}"#, from: a)
        #expect(await a.drain() == [#"{"type":"error","error":"peer not found"}"#])
        b.session.outbox.shut()
        await send(#"{"type":"signal","from":"a","to":"b"}"#, from: a)
        #expect(await a.drain() == [#"{"type":"error","error":"peer not found"}"#])
    }

    @Test func heartbeatGoesToOthersOnlyFromRegisteredSenders() async {
        var a = FakeClient(id: 1)
        var b = FakeClient(id: 2)
        var stranger = FakeClient(id: 3)
        await register(a, "a")
        await register(b, "b")
        _ = await (a.drain(), b.drain())
        await send(#"{"type":"heartbeat"}"#, from: a)
        #expect(await a.drain().isEmpty)
        #expect(await b.drain() == [#"{"type":"heartbeat","from":"a"}"#])
        await send(#"{"type":"heartbeat"}"#, from: stranger)
        #expect(await b.drain().isEmpty)
        #expect(await stranger.drain().isEmpty)
    }

    @Test func roleAssignGoesToEveryRegisteredClientWithFromWhenKnown() async {
        var a = FakeClient(id: 1)
        var stranger = FakeClient(id: 2)
        await register(a, "a")
        _ = await a.drain()
        await send(#"{"type":"role-assign","nodeId":"a","roles":["relay"]}"#, from: a)
        #expect(await a.drain() == [#"{"type":"role-assign","nodeId":"a","roles":["relay"],"from":"a"}"#])
        await send(#"{"type":"role-assign","nodeId":"a","roles":["x"]}"#, from: stranger)
        #expect(await a.drain() == [#"{"type":"role-assign","nodeId":"a","roles":["x"]}"#])
        #expect(await stranger.drain().isEmpty)
    }

    @Test func coalescingSendsOneParticipantsListPerBurst() async throws {
        let hub = LocalHub(coalesceParticipants: .milliseconds(20))
        var clients = (1...5).map { FakeClient(id: UInt64($0)) }
        for (index, client) in clients.enumerated() {
            await hub.receive(.register(Participant(nodeId: "n\(index)", username: "u")), from: client.session)
        }
        while clients[0].session.outbox.pendingBytes == 0 || clients[4].session.outbox.pendingBytes == 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
        let first = await clients[0].drain()
        // Four presence joins, then one list with all five.
        #expect(first.count == 5)
        #expect(first.last?.split(separator: "nodeId", omittingEmptySubsequences: false).count == 6)
        #expect(await clients[4].drain().count == 1)
    }
}

@Suite struct OutboxTests {
    @Test func overflowShutsTheQueueAndReportsOnce() {
        let counter = Counter()
        let outbox = Outbox(limitBytes: 10) { counter.increment() }
        #expect(outbox.enqueue(ByteBuffer(string: "12345")) == .queued)
        #expect(outbox.enqueue(ByteBuffer(string: "12345")) == .queued)
        #expect(outbox.enqueue(ByteBuffer(string: "1")) == .overflowed)
        #expect(outbox.hasOverflowed)
        #expect(outbox.enqueue(ByteBuffer(string: "1")) == .closed)
        #expect(counter.value == 1)
    }

    @Test func writtenBytesFreeRoom() async {
        let outbox = Outbox(limitBytes: 10) {}
        var iterator = outbox.messages.makeAsyncIterator()
        for _ in 0..<10 {
            #expect(outbox.enqueue(ByteBuffer(string: "123456")) == .queued)
            let message = await iterator.next()!
            outbox.didWrite(message)
        }
        #expect(outbox.pendingBytes == 0)
    }
}

import Synchronization

final class Counter: Sendable {
    private let count = Atomic<Int>(0)
    func increment() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}
