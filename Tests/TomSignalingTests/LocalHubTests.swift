import NIOCore
import Testing
@testable import TomSignaling

/// A hub client for tests: a session whose queued messages can be read back in order.
struct FakeClient {
    let session: ClientSession

    init(id: UInt64, outboxLimit: Int = 1 << 20) {
        session = ClientSession(id: id, remoteAddress: "test", outbox: Outbox(limitBytes: outboxLimit))
    }

    /// Everything queued so far, as if written to the socket.
    func drain() -> [String] {
        let messages = session.outbox.takeAll()
        session.outbox.didWrite(bytes: messages.reduce(0) { $0 + $1.readableBytes })
        return messages.map { String(buffer: $0) }
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
        let a = FakeClient(id: 1)
        let b = FakeClient(id: 2)
        await register(a, "a")
        #expect(a.drain() == [#"{"type":"participants","participants":[{"nodeId":"a","username":"A"}]}"#])
        await register(b, "b")
        let list = #"{"type":"participants","participants":[{"nodeId":"a","username":"A"},{"nodeId":"b","username":"B"}]}"#
        #expect(a.drain() == [#"{"type":"presence","action":"join","nodeId":"b","username":"B","publicKey":""}"#, list])
        #expect(b.drain() == [list])
    }

    @Test func disconnectSendsLeaveThenParticipants() async {
        let a = FakeClient(id: 1)
        let b = FakeClient(id: 2)
        await register(a, "a")
        await register(b, "b")
        _ = a.drain()
        await hub.disconnected(b.session)
        #expect(a.drain() == [
            #"{"type":"presence","action":"leave","nodeId":"b","username":"B","publicKey":""}"#,
            #"{"type":"participants","participants":[{"nodeId":"a","username":"A"}]}"#,
        ])
        #expect(b.drain().isEmpty == false)
        #expect(await hub.participants().map(\.nodeId) == ["a"])
    }

    @Test func newerSocketTakesANodeIdOverAndTheOlderCloseDoesNotRemoveIt() async {
        let older = FakeClient(id: 1)
        let newer = FakeClient(id: 2)
        let other = FakeClient(id: 3)
        await register(other, "o")
        await register(older, "x", username: "old")
        await register(newer, "x", username: "new")
        // The nodeId keeps its place in registration order.
        #expect(await hub.participants().map(\.username) == ["O", "new"])
        _ = (older.drain(), newer.drain(), other.drain())
        await hub.disconnected(older.session)
        #expect(other.drain().isEmpty)
        #expect(await hub.participants().map(\.nodeId) == ["o", "x"])
        await send(#"{"type":"signal","from":"o","to":"x","payload":1}"#, from: other)
        #expect(newer.drain() == [#"{"type":"signal","from":"o","to":"x","payload":1}"#])
        #expect(older.drain().isEmpty)
    }

    @Test func reRegisteringUnderANewIdLeavesNoGhost() async {
        let a = FakeClient(id: 1)
        let b = FakeClient(id: 2)
        await register(b, "b")
        await register(a, "a1")
        await register(a, "a2")
        #expect(await hub.participants().map(\.nodeId) == ["b", "a2"])
        let seenByB = b.drain()
        #expect(seenByB.contains(#"{"type":"presence","action":"leave","nodeId":"a1","username":"A1","publicKey":""}"#))
        await hub.disconnected(a.session)
        #expect(await hub.participants().map(\.nodeId) == ["b"])
        _ = a.drain()
    }

    @Test func signalToUnknownOrClosedTargetIsPeerNotFound() async {
        let a = FakeClient(id: 1)
        let b = FakeClient(id: 2)
        await register(b, "b")
        await send(#"{"type":"signal","from":"a","to":"nobody"}"#, from: a)
        #expect(a.drain() == [#"{"type":"error","error":"peer not found"}"#])
        b.session.outbox.shut()
        await send(#"{"type":"signal","from":"a","to":"b"}"#, from: a)
        #expect(a.drain() == [#"{"type":"error","error":"peer not found"}"#])
    }

    @Test func heartbeatGoesToOthersOnlyFromRegisteredSenders() async {
        let a = FakeClient(id: 1)
        let b = FakeClient(id: 2)
        let stranger = FakeClient(id: 3)
        await register(a, "a")
        await register(b, "b")
        _ = (a.drain(), b.drain())
        await send(#"{"type":"heartbeat"}"#, from: a)
        #expect(a.drain().isEmpty)
        #expect(b.drain() == [#"{"type":"heartbeat","from":"a"}"#])
        await send(#"{"type":"heartbeat"}"#, from: stranger)
        #expect(b.drain().isEmpty)
        #expect(stranger.drain().isEmpty)
    }

    @Test func roleAssignGoesToEveryRegisteredClientWithFromWhenKnown() async {
        let a = FakeClient(id: 1)
        let stranger = FakeClient(id: 2)
        await register(a, "a")
        _ = a.drain()
        await send(#"{"type":"role-assign","nodeId":"a","roles":["relay"]}"#, from: a)
        #expect(a.drain() == [#"{"type":"role-assign","nodeId":"a","roles":["relay"],"from":"a"}"#])
        await send(#"{"type":"role-assign","nodeId":"a","roles":["x"]}"#, from: stranger)
        #expect(a.drain() == [#"{"type":"role-assign","nodeId":"a","roles":["x"]}"#])
        #expect(stranger.drain().isEmpty)
    }

    @Test func coalescingSendsOneParticipantsListPerBurst() async throws {
        let hub = LocalHub(coalesceParticipants: .milliseconds(20))
        let clients = (1...5).map { FakeClient(id: UInt64($0)) }
        for (index, client) in clients.enumerated() {
            await hub.receive(.register(Participant(nodeId: "n\(index)", username: "u")), from: client.session)
        }
        while clients[0].session.outbox.pendingBytes == 0 || clients[4].session.outbox.pendingBytes == 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
        let first = clients[0].drain()
        // Four presence joins, then one list with all five.
        #expect(first.count == 5)
        #expect(first.last?.split(separator: "nodeId", omittingEmptySubsequences: false).count == 6)
        #expect(clients[4].drain().count == 1)
    }
}

@Suite struct OutboxTests {
    @Test func overflowShutsTheQueueDropsTheBacklogAndReportsOnce() {
        let overflows = Counter()
        let outbox = Outbox(limitBytes: 10)
        outbox.attach(wake: {}, onOverflow: { overflows.increment() })
        #expect(outbox.enqueue(ByteBuffer(string: "12345")) == .queued)
        #expect(outbox.enqueue(ByteBuffer(string: "12345")) == .queued)
        #expect(outbox.enqueue(ByteBuffer(string: "1")) == .overflowed)
        #expect(outbox.hasOverflowed)
        #expect(outbox.takeAll().isEmpty)
        #expect(outbox.enqueue(ByteBuffer(string: "1")) == .closed)
        #expect(overflows.value == 1)
    }

    @Test func wakesOncePerBatchAndWrittenBytesFreeRoom() {
        let wakes = Counter()
        let outbox = Outbox(limitBytes: 10)
        #expect(outbox.enqueue(ByteBuffer(string: "123")) == .queued)
        outbox.attach(wake: { wakes.increment() }, onOverflow: {})
        // Attaching to a non-empty queue wakes the consumer at once.
        #expect(wakes.value == 1)
        #expect(outbox.enqueue(ByteBuffer(string: "456")) == .queued)
        #expect(wakes.value == 1)
        #expect(outbox.takeAll().map { String(buffer: $0) } == ["123", "456"])
        #expect(outbox.pendingBytes == 6)
        outbox.didWrite(bytes: 6)
        for _ in 0..<10 {
            #expect(outbox.enqueue(ByteBuffer(string: "123456")) == .queued)
            outbox.didWrite(bytes: outbox.takeAll().reduce(0) { $0 + $1.readableBytes })
        }
        #expect(wakes.value == 11)
        #expect(outbox.pendingBytes == 0)
    }

    @Test func aNewerSnapshotReplacesAnUnsentOneAndGoesLast() {
        let outbox = Outbox(limitBytes: 1000)
        outbox.enqueue(ByteBuffer(string: "join-1"))
        outbox.enqueue(ByteBuffer(string: "list-1"), isSnapshot: true)
        outbox.enqueue(ByteBuffer(string: "join-2"))
        outbox.enqueue(ByteBuffer(string: "list-12"), isSnapshot: true)
        #expect(outbox.pendingBytes == 19)
        #expect(outbox.takeAll().map { String(buffer: $0) } == ["join-1", "join-2", "list-12"])
        // Once taken (handed to the socket), a snapshot is never replaced.
        outbox.enqueue(ByteBuffer(string: "list-123"), isSnapshot: true)
        #expect(outbox.takeAll().map { String(buffer: $0) } == ["list-123"])
    }

    @Test func aLaggingClientHoldsOneParticipantsList() async {
        let hub = LocalHub()
        let laggard = FakeClient(id: 0)
        await hub.receive(.register(Participant(nodeId: "lag", username: "l")), from: laggard.session)
        for index in 1...50 {
            await hub.receive(.register(Participant(nodeId: "n\(index)", username: "u")), from: FakeClient(id: UInt64(index)).session)
        }
        let received = laggard.drain()
        // 50 joins, then only the newest list, which names all 51.
        #expect(received.count == 51)
        #expect(received.filter { $0.contains("participants") }.count == 1)
        #expect(received.last?.split(separator: "nodeId", omittingEmptySubsequences: false).count == 52)
    }

    @Test func partialTakesKeepTheConsumerResponsibleUntilEmpty() {
        let wakes = Counter()
        let outbox = Outbox(limitBytes: 1000)
        outbox.attach(wake: { wakes.increment() }, onOverflow: {})
        outbox.enqueue(ByteBuffer(string: "aaaa"))
        outbox.enqueue(ByteBuffer(string: "list-1"), isSnapshot: true)
        outbox.enqueue(ByteBuffer(string: "bbbb"))
        #expect(wakes.value == 1)
        #expect(outbox.take(maxBytes: 5).map { String(buffer: $0) } == ["aaaa"])
        // Still work queued: no new wake-up, and the queued snapshot is still replaceable.
        outbox.enqueue(ByteBuffer(string: "list-2"), isSnapshot: true)
        #expect(wakes.value == 1)
        #expect(outbox.take(maxBytes: 1).map { String(buffer: $0) } == ["bbbb"])
        #expect(outbox.take(maxBytes: 100).map { String(buffer: $0) } == ["list-2"])
        #expect(outbox.take(maxBytes: 100).isEmpty)
        outbox.enqueue(ByteBuffer(string: "c"))
        #expect(wakes.value == 2)
    }

    @Test func shutDropsTheBacklog() {
        let outbox = Outbox(limitBytes: 100)
        outbox.enqueue(ByteBuffer(string: "x"))
        #expect(outbox.shut())
        #expect(!outbox.shut())
        #expect(outbox.takeAll().isEmpty)
        #expect(outbox.enqueue(ByteBuffer(string: "x")) == .closed)
    }
}

import Synchronization

final class Counter: Sendable {
    private let count = Atomic<Int>(0)
    func increment() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}
