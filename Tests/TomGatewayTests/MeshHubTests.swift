import NIOCore
import TomDHT
import TomSignaling
import Testing
@testable import TomGateway

@Suite struct MeshHubTests {
    @Test func aRegistrationReachesTheClientsOfEveryOtherGateway() async {
        let mesh = MeshFixture(gateways: 3)
        await mesh.linkAll()
        let alice = mesh.client(), bob = mesh.client(), carol = mesh.client()
        await mesh.hubs[0].receive(register("A", "alice"), from: alice.session)
        await mesh.pump()
        await mesh.hubs[1].receive(register("B", "bob"), from: bob.session)
        await mesh.pump()
        await mesh.hubs[2].receive(register("C", "carol"), from: carol.session)
        await mesh.pump()

        let seenByAlice = alice.received()
        #expect(seenByAlice.contains(#"{"type":"presence","action":"join","nodeId":"B","username":"bob","publicKey":""}"#))
        #expect(seenByAlice.last == #"{"type":"participants","participants":[{"nodeId":"A","username":"alice"},{"nodeId":"B","username":"bob"},{"nodeId":"C","username":"carol"}]}"#)
        #expect(carol.received() == [#"{"type":"participants","participants":[{"nodeId":"A","username":"alice"},{"nodeId":"B","username":"bob"},{"nodeId":"C","username":"carol"}]}"#])
        for hub in mesh.hubs {
            #expect(await hub.participants().map(\.nodeId) == ["A", "B", "C"])
        }
    }

    /// Alice registered at gateway 0 and Bob at 1, each having seen the other.
    func aliceAndBobAtTwoLinkedGateways() async -> (MeshFixture, TestClient, TestClient) {
        let mesh = MeshFixture(gateways: 2)
        await mesh.linkAll()
        let alice = mesh.client(), bob = mesh.client()
        await mesh.hubs[0].receive(register("A"), from: alice.session)
        await mesh.hubs[1].receive(register("B"), from: bob.session)
        await mesh.pump()
        _ = alice.received(); _ = bob.received()
        return (mesh, alice, bob)
    }

    @Test func signalsFindTheirTargetAtAnyGatewayOrAnswerPeerNotFound() async {
        let (mesh, alice, bob) = await aliceAndBobAtTwoLinkedGateways()

        await mesh.hubs[0].receive(signal(to: "B", from: "A"), from: alice.session)
        await mesh.pump()
        #expect(bob.received() == [#"{"type":"signal","to":"B","from":"A","sdp":"v=0"}"#])

        await mesh.hubs[0].receive(signal(to: "nobody", from: "A"), from: alice.session)
        #expect(alice.received() == [#"{"type":"error","error":"peer not found"}"#])

        // Bob leaves, and Alice signals before the roster change reached her gateway:
        // Bob's gateway answers, and Alice still gets her error.
        await mesh.hubs[1].disconnected(bob.session)
        await mesh.hubs[0].receive(signal(to: "B", from: "A"), from: alice.session)
        await mesh.pump()
        let afterLeave = alice.received()
        #expect(afterLeave.contains(#"{"type":"error","error":"peer not found"}"#))
        #expect(afterLeave.contains(#"{"type":"presence","action":"leave","nodeId":"B","username":"user","publicKey":""}"#))
    }

    @Test func aSignalUnconfirmedWhenItsLinkDiesAnswersPeerNotFound() async {
        let (mesh, alice, bob) = await aliceAndBobAtTwoLinkedGateways()

        // Delivered and confirmed: the link's later death owes Alice nothing.
        await mesh.hubs[0].receive(signal(to: "B", from: "A"), from: alice.session)
        await mesh.pump()
        #expect(bob.received().count == 1)
        // This one is still on the wire when the link dies.
        await mesh.hubs[0].receive(signal(to: "B", from: "A"), from: alice.session)
        await mesh.cut(0, 1)
        #expect(alice.received().filter { $0.contains("error") } == [#"{"type":"error","error":"peer not found"}"#])
        #expect(!bob.received().contains { $0.contains("signal") })
    }

    @Test func signalsInFlightAreConfirmedByCount() {
        var inFlight = SignalsInFlight()
        for sender: UInt64 in [7, 8, 9] { inFlight.forwarded(replyTo: sender) }
        inFlight.confirm(handled: 1)
        inFlight.confirm(handled: 0)
        #expect(inFlight.unconfirmed == [8, 9])
        inFlight.confirm(handled: 99)
        #expect(inFlight.unconfirmed.isEmpty)
        inFlight.forwarded(replyTo: 10)
        // The earlier over-count confirmed only what existed; the new one stays owed.
        inFlight.confirm(handled: 3)
        #expect(inFlight.unconfirmed == [10])
        inFlight.confirm(handled: 4)
        #expect(inFlight.unconfirmed.isEmpty)
    }

    @Test func pastTheParticipantsBudgetRegistrantsGetTheirListAndOthersOneLater() async throws {
        var settings = MeshHub.Settings()
        // Room for about one small list, then 2,000 bytes a second.
        settings.participantsBudget = RateLimit(perSecond: 2_000, burst: 100)
        let key = ItemSigningKey(seed: [UInt8](repeating: 9, count: 32))!
        let hub = MeshHub(key: key, topic: Topic(name: "budget"), endpoints: [], settings: settings, clock: TestClock().read)
        let clients = (1...6).map { TestClient(id: UInt64($0)) }
        var seen: [String] = []
        for (index, client) in clients.enumerated() {
            await hub.receive(register("n\(index)"), from: client.session)
            let own = client.received()
            #expect(own.last?.contains(#""nodeId":"n\#(index)""#) == true)
            seen += index == 0 ? own : clients[0].received()
        }
        #expect(seen.filter { $0.contains(#""action":"join""#) }.count == 5)
        #expect(seen.filter { $0.contains(#""type":"participants""#) }.count < 5)
        let deadline = ContinuousClock.now + .seconds(5)
        while !(seen.last?.contains(#""nodeId":"n5""#) == true && seen.last?.contains("participants") == true) {
            guard ContinuousClock.now < deadline else {
                Issue.record("the merged list never came")
                return
            }
            try await Task.sleep(for: .milliseconds(5))
            seen += clients[0].received()
        }
    }

    @Test func heartbeatsReachEveryOtherClientAndRoleAssignsReachEveryone() async {
        let mesh = MeshFixture(gateways: 2)
        await mesh.linkAll()
        let alice = mesh.client(), bob = mesh.client(), carol = mesh.client()
        await mesh.hubs[0].receive(register("A"), from: alice.session)
        await mesh.hubs[0].receive(register("C"), from: carol.session)
        await mesh.hubs[1].receive(register("B"), from: bob.session)
        await mesh.pump()
        _ = alice.received(); _ = bob.received(); _ = carol.received()

        await mesh.hubs[0].receive(.heartbeat, from: alice.session)
        await mesh.pump()
        #expect(alice.received().isEmpty)
        #expect(bob.received() == [#"{"type":"heartbeat","from":"A"}"#])
        #expect(carol.received() == [#"{"type":"heartbeat","from":"A"}"#])

        let roleAssign = LegacyRequest.decode(ByteBuffer(string: #"{"type":"role-assign","nodeId":"B","roles":["relay"]}"#))
        await mesh.hubs[0].receive(roleAssign, from: alice.session)
        await mesh.pump()
        let expected = #"{"type":"role-assign","nodeId":"B","roles":["relay"],"from":"A"}"#
        #expect(alice.received() == [expected])
        #expect(bob.received() == [expected])
        #expect(carol.received() == [expected])
    }

    @Test func aNodeIdRegisteredAtTwoGatewaysEndsAtTheNewerWithNoGhost() async {
        let mesh = MeshFixture(gateways: 2)
        await mesh.linkAll()
        let old = mesh.client(), new = mesh.client(), watcher = mesh.client()
        await mesh.hubs[0].receive(register("W", "watcher"), from: watcher.session)
        await mesh.hubs[0].receive(register("X", "old"), from: old.session)
        await mesh.pump()
        await mesh.hubs[1].receive(register("X", "new"), from: new.session)
        await mesh.pump()
        for hub in mesh.hubs {
            #expect(await hub.participants().map(\.username) == ["watcher", "new"])
        }
        // The old socket owns nothing now: its close sends no leave and removes nobody.
        _ = watcher.received()
        await mesh.hubs[0].disconnected(old.session)
        await mesh.pump()
        #expect(watcher.received().isEmpty)
        #expect(await mesh.hubs[0].participants().map(\.username) == ["watcher", "new"])
        // Signals to X go to the new socket.
        await mesh.hubs[0].receive(signal(to: "X", from: "W"), from: watcher.session)
        await mesh.pump()
        #expect(new.received().last == #"{"type":"signal","to":"X","from":"W","sdp":"v=0"}"#)
    }

    @Test func aLostLinkTakesItsClientsAwayAndAPullRepairsLostPushes() async {
        let mesh = MeshFixture(gateways: 2)
        await mesh.linkAll()
        let alice = mesh.client(), bob = mesh.client()
        await mesh.hubs[0].receive(register("A"), from: alice.session)
        await mesh.hubs[1].receive(register("B"), from: bob.session)
        await mesh.pump()
        _ = alice.received()

        // Pushes lost on the way: the next pull from the DHT (here: the items themselves) repairs.
        let late = mesh.client()
        await mesh.hubs[1].receive(register("L", "late"), from: late.session)
        await mesh.pump(dropping: true)
        #expect(await mesh.hubs[0].participants().map(\.nodeId) == ["A", "B"])
        await mesh.hubs[0].acceptPulled(await mesh.hubs[1].ownItems())
        #expect(await mesh.hubs[0].participants().map(\.nodeId) == ["A", "B", "L"])
        #expect(alice.received().first == #"{"type":"presence","action":"join","nodeId":"L","username":"late","publicKey":""}"#)

        await mesh.cut(0, 1)
        #expect(alice.received() == [
            #"{"type":"presence","action":"leave","nodeId":"B","username":"user","publicKey":""}"#,
            #"{"type":"presence","action":"leave","nodeId":"L","username":"late","publicKey":""}"#,
            #"{"type":"participants","participants":[{"nodeId":"A","username":"user"}]}"#,
        ])
    }

    @Test func aWithdrawnGatewayIsForgottenAtOnce() async {
        let mesh = MeshFixture(gateways: 2)
        await mesh.linkAll()
        let alice = mesh.client(), bob = mesh.client()
        await mesh.hubs[0].receive(register("A"), from: alice.session)
        await mesh.hubs[1].receive(register("B"), from: bob.session)
        await mesh.pump()
        _ = await mesh.hubs[1].withdraw()
        await mesh.pump()
        #expect(await mesh.hubs[0].participants().map(\.nodeId) == ["A"])
        #expect(await mesh.hubs[0].linkedGateways().isEmpty)
    }

    @Test func aNodeIdMovingBetweenGatewaysIsNeverAnnouncedAsLeaving() async {
        // Old owner at 1, new at 2, watcher at 0: 1's release reaches 0 before 2's claim.
        let mesh = MeshFixture(gateways: 3, leaveDelay: .seconds(60))
        await mesh.linkAll()
        let watcher = mesh.client(), old = mesh.client(), new = mesh.client()
        await mesh.hubs[0].receive(register("W"), from: watcher.session)
        await mesh.hubs[1].receive(register("X", "old"), from: old.session)
        await mesh.pump()
        _ = watcher.received()
        await mesh.hubs[2].receive(register("X", "new"), from: new.session)
        let claim = await mesh.hubs[2].ownItems()
        await mesh.hubs[1].acceptPulled(claim)  // 1 releases X and pushes the release first
        await mesh.pump()
        let seen = watcher.received()
        #expect(!seen.contains { $0.contains(#""action":"leave""#) })
        #expect(seen.contains(#"{"type":"presence","action":"join","nodeId":"X","username":"new","publicKey":""}"#))
        #expect(await mesh.hubs[0].participants().map(\.username) == ["user", "new"])
    }

    @Test func aRealLeaveIsAnnouncedOnceTheDelayEnds() async throws {
        let mesh = MeshFixture(gateways: 2, leaveDelay: .milliseconds(1))
        await mesh.linkAll()
        let watcher = mesh.client(), leaver = mesh.client()
        await mesh.hubs[0].receive(register("W"), from: watcher.session)
        await mesh.hubs[1].receive(register("L"), from: leaver.session)
        await mesh.pump()
        _ = watcher.received()
        await mesh.hubs[1].disconnected(leaver.session)
        await mesh.pump()
        // The leave follows the delay's timer; wait for the event, not for a fixed time.
        var seen: [String] = []
        while !seen.contains(where: { $0.contains(#""type":"participants""#) }) {
            await Task.yield()
            seen += watcher.received()
        }
        #expect(seen == [
            #"{"type":"presence","action":"leave","nodeId":"L","username":"user","publicKey":""}"#,
            #"{"type":"participants","participants":[{"nodeId":"W","username":"user"}]}"#,
        ])
        #expect(await mesh.hubs[0].participants().map(\.nodeId) == ["W"])
    }

    @Test func linksPastTheLimitAreRefused() async {
        let mesh = MeshFixture(gateways: 4, maxLinks: 2)
        #expect(await mesh.link(0, 1))
        #expect(await mesh.link(0, 2))
        #expect(await !mesh.link(0, 3))
        #expect(await mesh.hubs[0].linkedGateways().count == 2)
    }

    @Test func aDegradingSeedHandsItsClientsOverWithoutAWord() async {
        let seed = LocalHub()
        let alice = TestClient(id: 1), bob = TestClient(id: 2)
        await seed.receive(register("A"), from: alice.session)
        await seed.receive(register("B"), from: bob.session)
        _ = alice.received(); _ = bob.received()

        let clock = TestClock()
        let mesh = await seed.handOver { adopted in
            MeshHub(key: ItemSigningKey(seed: [UInt8](repeating: 9, count: 32))!, topic: Topic(), endpoints: [],
                    clock: clock.read, adopting: adopted)
        }
        #expect(alice.received().isEmpty)
        #expect(await mesh.participants().map(\.nodeId) == ["A", "B"])
        #expect(await mesh.ownItems().count == 2)
        // Calls still reaching the old hub are forwarded.
        await seed.receive(signal(to: "B", from: "A"), from: alice.session)
        #expect(bob.received() == [#"{"type":"signal","to":"B","from":"A","sdp":"v=0"}"#])
        await seed.disconnected(bob.session)
        #expect(alice.received().first == #"{"type":"presence","action":"leave","nodeId":"B","username":"user","publicKey":""}"#)
    }
}
