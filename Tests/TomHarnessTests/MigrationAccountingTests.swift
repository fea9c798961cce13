import Testing

@testable import tom_harness

@Suite("tom-harness signal accounting and observations")
struct MigrationAccountingTests {
    private func entry(_ marker: String, _ from: Int, _ to: Int) -> SignalLedger.Entry {
        SignalLedger.Entry(marker: marker, from: from, to: to, kind: "test")
    }

    @Test func deliveredSignalsCountWhereverTheyArrived() {
        let tally = SignalLedger.tally(
            [entry("m1", 0, 1), entry("m2", 1, 0)], markers: [["m2"], ["m1"]], errors: [0, 0], labels: ["a", "b"])
        #expect(tally.sent == 2 && tally.delivered == 2 && tally.lost == 0)
    }

    @Test func errorsCoverUndeliveredSignalsOfTheirSenderOnly() {
        // a sent two undelivered signals and got one error; b got an error but lost nothing.
        let tally = SignalLedger.tally(
            [entry("m1", 0, 1), entry("m2", 0, 1), entry("m3", 1, 0)], markers: [["m3"], []], errors: [1, 5],
            labels: ["a", "b"])
        #expect(tally.delivered == 1)
        #expect(tally.answeredWithError == 1)
        #expect(tally.lost == 1)
        #expect(tally.lostExamples == ["test a->b"])
        #expect(tally.description == "3 signals sent: 1 delivered, 1 answered with an error, 1 lost")
    }

    @Test func observationsFollowTheLatestListSignalsAndErrors() {
        var seen = ClientObservations()
        let list: JSONValue = ["type": "participants", "participants": [["nodeId": "a", "username": "x"], ["nodeId": "b", "username": "y"]]]
        seen.apply(.json(list, text: list.text))
        seen.apply(.json(["type": "participants", "participants": [["nodeId": "b", "username": "y"]]], text: ""))
        seen.apply(.json(["type": "signal", "from": "a", "to": "b", "payload": ["marker": "m"]], text: ""))
        seen.apply(.json(["type": "signal", "from": "a", "to": "b", "payload": "plain"], text: ""))
        seen.apply(.json(["type": "error", "error": "peer not found"], text: ""))
        seen.apply(.notJSON("?"))
        #expect(seen.participants == ["b"])
        #expect(seen.participantsLists == 2)
        #expect(seen.signalMarkers == ["m"])
        #expect(seen.signalPayloads.count == 2)
        #expect(seen.errors == ["peer not found": 1])
        #expect(!seen.isClosed)
        seen.apply(.closed(code: nil))
        #expect(seen.isClosed)
    }

    @Test func inboxQueuesInOrderAndEndsWithTheTerminalItem() async {
        let inbox = ClientInbox()
        await inbox.deliver(.notJSON("1"))
        await inbox.deliver(.binary(bytes: 2))
        await inbox.deliver(.closed(code: 1000))
        await inbox.deliver(.notJSON("after the end"))
        let past = ContinuousClock.now
        #expect(await inbox.next(until: past)?.summary == "non-JSON text 1")
        #expect(await inbox.next(until: past)?.summary == "a binary frame of 2 bytes")
        #expect(await inbox.next(until: past)?.summary == "close 1000")
        #expect(await inbox.next(until: past)?.summary == "close 1000")
    }

    @Test func inboxWaitsReturnNilOnceTheDeadlineHasPassed() async {
        let inbox = ClientInbox()
        #expect(await inbox.next(until: .now) == nil)
        #expect(await inbox.wait(until: .now, for: { $0.isClosed }) == nil)
        await inbox.deliver(.failed("reset"))
        #expect(await inbox.wait(until: .now, for: { $0.isClosed })?.isClosed == true)
    }

    @Test func noiseFilterKeepsOnlyWhatConcernsTheCase() {
        let mine = CaseContext.noiseFilter(ids: ["me"])
        #expect(!mine(["type": "participants", "participants": []]))
        #expect(mine(["type": "presence", "action": "join", "nodeId": "me"]))
        #expect(!mine(["type": "presence", "action": "join", "nodeId": "stranger"]))
        #expect(!mine(["type": "heartbeat", "from": "stranger"]))
        #expect(mine(["type": "role-assign", "nodeId": "stranger", "from": "me"]))
        #expect(!mine(["type": "role-assign", "nodeId": "stranger", "roles": []]))
        #expect(mine(["type": "error", "error": "peer not found"]))
        #expect(mine(["type": "signal", "from": "stranger", "to": "stranger"]))
        #expect(mine(42))
    }
}
