import Synchronization
import Testing
import TomSignaling
@testable import TomServer

/// The queue between the connections' event loops and the hub: order kept, bounded, and
/// the consumer ends only after what was queued has been delivered.
struct HubInboxTests {
    actor RecordingHub: SignalingHub {
        var log: [String] = []
        func receive(_ request: LegacyRequest, from session: ClientSession) { log.append("\(session.id):\(request.typeName)") }
        func disconnected(_ session: ClientSession) { log.append("\(session.id):gone") }
        func snapshot() -> HubSnapshot { HubSnapshot(registeredParticipants: 0) }
    }

    func session(_ id: UInt64) -> ClientSession {
        ClientSession(id: id, remoteAddress: "test", outbox: Outbox(limitBytes: 1 << 20))
    }

    @Test func deliversInArrivalOrderThenEnds() async {
        let hub = RecordingHub()
        let inbox = HubInbox()
        let (one, two) = (session(1), session(2))
        inbox.submit(.request(.heartbeat, one))
        inbox.submit(.request(.ignored, two))
        inbox.submit(.disconnected(one))
        inbox.finish()
        await inbox.run(delivering: HubSlot(hub, mode: "seed"))
        #expect(await hub.log == ["1:heartbeat", "2:other", "1:gone"])
    }

    @Test func fullQueueAsksToPauseAndResumesOnceDrained() async {
        let hub = RecordingHub()
        let inbox = HubInbox(highWatermark: 4)
        let client = session(1)
        let answers = (0..<4).map { _ in inbox.submit(.request(.heartbeat, client)) }
        #expect(answers == [false, false, false, true])
        let resumed = Atomic(0)
        inbox.resumeWhenDrained { resumed.add(1, ordering: .relaxed) }
        #expect(resumed.load(ordering: .relaxed) == 0)
        inbox.finish()
        await inbox.run(delivering: HubSlot(hub, mode: "seed"))
        #expect(resumed.load(ordering: .relaxed) == 1)
        #expect(await hub.log.count == 4)
        // Under half full: resumed at once.
        inbox.resumeWhenDrained { resumed.add(1, ordering: .relaxed) }
        #expect(resumed.load(ordering: .relaxed) == 2)
    }

    @Test func consumerWaitsForEventsSubmittedLater() async {
        let hub = RecordingHub()
        let inbox = HubInbox()
        let consumer = Task { await inbox.run(delivering: HubSlot(hub, mode: "seed")) }
        inbox.submit(.request(.heartbeat, session(7)))
        inbox.finish()
        await consumer.value
        #expect(await hub.log == ["7:heartbeat"])
    }
}
