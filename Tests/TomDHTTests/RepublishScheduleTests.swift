import Bencode
import Testing
import TomDHT

@Suite("Republishing our own data")
struct RepublishScheduleTests {
    static let start = DHTTime.at(seconds: 1_000)
    static let item = Publication.immutable(CanonicalBencode("kept"))
    static let announce = Publication.announce(infoHash: NodeID(bytes: Array("info-hash-info-hash!".utf8))!, port: 7000)

    @Test func itemsComeBackHourlyAndAnnouncesEveryQuarterHour() {
        var schedule = RepublishSchedule()
        schedule.remember(Self.item, now: Self.start)
        schedule.remember(Self.announce, now: Self.start)
        #expect(schedule.nextDeadline == Self.start + .minutes(15))
        #expect(schedule.takeDue(now: Self.start + .minutes(14)).isEmpty)

        let first = schedule.takeDue(now: Self.start + .minutes(15))
        #expect(first.map(\.publication) == [Self.announce])
        // While a round runs, the next deadline is the other publication's.
        #expect(schedule.nextDeadline == Self.start + .minutes(60))
        schedule.finish(first[0], result: .stored(8), now: Self.start + .minutes(16))
        #expect(schedule.nextDeadline == Self.start + .minutes(31))

        // Both due at once come out earliest first.
        let both = schedule.takeDue(now: Self.start + .minutes(61))
        #expect(both.map(\.publication) == [Self.announce, Self.item])
        #expect(schedule.runningCount == 2)
    }

    @Test func aRoundThatStoredNowhereIsRetriedSoon() {
        var schedule = RepublishSchedule()
        schedule.remember(Self.item, now: Self.start)
        let round = schedule.takeDue(now: Self.start + .minutes(60))
        #expect(round.count == 1)
        schedule.finish(round[0], result: .failed, now: Self.start + .minutes(61))
        #expect(schedule.nextDeadline == Self.start + .minutes(63))
        // A driver shutting down (no outcome) counts as a failure too.
        let retry = schedule.takeDue(now: Self.start + .minutes(63))
        #expect(schedule.finish(retry[0], outcome: nil, now: Self.start + .minutes(63)) == .failed)
    }

    @Test func aSupersededPublicationIsDropped() {
        var schedule = RepublishSchedule()
        schedule.remember(Self.item, now: Self.start)
        let round = schedule.takeDue(now: Self.start + .minutes(60))
        schedule.finish(round[0], result: .superseded, now: Self.start + .minutes(61))
        #expect(schedule.count == 0)
        #expect(schedule.nextDeadline == nil)
    }

    @Test func roundsAreLimitedToMaxConcurrent() {
        var schedule = RepublishSchedule(settings: RepublishSchedule.Settings(maxConcurrent: 2))
        for number in 0..<5 {
            schedule.remember(.immutable(CanonicalBencode(.integer(Int64(number)))), now: Self.start)
        }
        let due = Self.start + .minutes(60)
        let first = schedule.takeDue(now: due)
        #expect(first.count == 2)
        #expect(schedule.takeDue(now: due).isEmpty)
        // Nothing can start, so there is no deadline to wake up for (no spinning timer).
        #expect(schedule.nextDeadline == nil)
        schedule.finish(first[0], result: .stored(8), now: due)
        #expect(schedule.nextDeadline == due)
        #expect(schedule.takeDue(now: due).count == 1)
    }

    @Test func aNewerVersionReplacesTheOldOneEvenMidRound() {
        var schedule = RepublishSchedule()
        var generator = DHTRandom(seed: 17)
        let key = ItemSigningKey.random(using: &generator)
        let older = Publication.mutable(MutableItem.signed(value: CanonicalBencode("v1"), salt: [], sequenceNumber: 1, key: key))
        let newer = Publication.mutable(MutableItem.signed(value: CanonicalBencode("v2"), salt: [], sequenceNumber: 2, key: key))
        #expect(older.key == newer.key)
        schedule.remember(older, now: Self.start)
        let round = schedule.takeDue(now: Self.start + .minutes(60))
        schedule.remember(newer, now: Self.start + .minutes(61))
        // The old round's end does not touch the replacement's schedule.
        schedule.finish(round[0], result: .failed, now: Self.start + .minutes(62))
        #expect(schedule.publications == [newer])
        #expect(schedule.nextDeadline == Self.start + .minutes(121))
    }

    @Test func theNumberOfPublicationsIsBounded() {
        var schedule = RepublishSchedule(settings: RepublishSchedule.Settings(maxPublications: 1))
        let first = schedule.remember(Self.item, now: Self.start)
        let second = schedule.remember(Self.announce, now: Self.start)
        let replacement = schedule.remember(Self.item, now: Self.start)  // a replacement still fits
        #expect(first && !second && replacement)
        schedule.forget(Self.item.key)
        #expect(schedule.count == 0)
    }

    /// Three hours on a virtual network: what is kept published outlives BEP 44's 2-hour
    /// item lifetime and the 30-minute peer lifetime; what is not kept expires.
    @Test func keptDataOutlivesItsLifetimeOnTheVirtualNetwork() throws {
        var sim = SimulatedNetwork(count: 24, seed: 31)
        var generator = DHTRandom(seed: 5)
        let key = ItemSigningKey.random(using: &generator)
        let mutable = MutableItem.signed(value: CanonicalBencode("roster"), salt: Array("room".utf8), sequenceNumber: 9, key: key)
        let infoHash = NodeID.random(using: &generator)
        let kept: [Publication] = [.immutable(CanonicalBencode("kept")), .mutable(mutable), .announce(infoHash: infoHash, port: 4444)]
        let forgotten = CanonicalBencode("not kept")

        var schedule = RepublishSchedule()
        for publication in kept {
            let outcome = sim.network.perform(on: 0) { node, now in node.publish(publication, now: now) }
            #expect(RepublishSchedule.result(of: outcome) == .stored(8))
            schedule.remember(publication, now: sim.network.now)
        }
        _ = sim.network.perform(on: 0) { node, now in node.putImmutable(forgotten, now: now) }

        // The driver's loop, on virtual time: wait for the next deadline, run what is due.
        let end = sim.network.now + .minutes(180)
        var rounds = 0
        while let deadline = schedule.nextDeadline, deadline <= end {
            sim.network.run(until: deadline)
            for round in schedule.takeDue(now: sim.network.now) {
                let outcome = sim.network.perform(on: 0) { node, now in node.publish(round.publication, now: now) }
                let result = schedule.finish(round, outcome: outcome, now: sim.network.now)
                #expect(result == .stored(8), "\(round.publication.key) at \(sim.network.now): \(String(describing: outcome))")
                rounds += 1
            }
        }
        sim.network.run(until: end)
        // 3 item rounds each for two items, 12 for the announce (every 15 minutes); a round
        // takes virtual time, so the last one may fall just past the end.
        #expect((16...18).contains(rounds))

        let reader = 17
        let found = sim.network.perform(on: reader) { node, now in node.get(ItemTarget.immutable(CanonicalBencode("kept")), now: now) }
        guard case .itemFound(let immutable) = found else { Issue.record("get failed"); return }
        #expect(immutable.item != nil)
        let latest = sim.network.perform(on: reader) { node, now in node.getMutable(publicKey: key.publicKey, salt: Array("room".utf8), now: now) }
        guard case .itemFound(let mutableResult) = latest else { Issue.record("get failed"); return }
        #expect(mutableResult.item?.sequenceNumber == 9)
        let peers = sim.network.perform(on: reader) { node, now in node.getPeers(infoHash, now: now) }
        guard case .peersFound(let peerResult) = peers else { Issue.record("get_peers failed"); return }
        #expect(peerResult.peers == [DHTAddress(ip: sim.network.addresses[0].ip, port: 4444)])
        let gone = sim.network.perform(on: reader) { node, now in node.get(ItemTarget.immutable(forgotten), now: now) }
        guard case .itemFound(let goneResult) = gone else { Issue.record("get failed"); return }
        #expect(goneResult.item == nil)
    }

    /// Real outcomes read as round results: a put that reached nobody failed; one refused
    /// everywhere with 302 because the key's holder published a newer seq is superseded.
    @Test func outcomesOnTheVirtualNetworkReadAsRoundResults() throws {
        var lonely = DHTNode(seed: 1, now: Self.start)
        let id = lonely.putImmutable(CanonicalBencode("nobody"), now: Self.start)
        let nowhere = lonely.pollEvents().first { if case .operationCompleted(id, _) = $0 { true } else { false } }
        guard case .operationCompleted(_, let outcome) = nowhere else { Issue.record("no outcome"); return }
        #expect(RepublishSchedule.result(of: outcome) == .failed)
        #expect(RepublishSchedule.result(of: nil) == .failed)

        var sim = SimulatedNetwork(count: 16, seed: 41)
        var generator = DHTRandom(seed: 6)
        let key = ItemSigningKey.random(using: &generator)
        let old = MutableItem.signed(value: CanonicalBencode("old"), salt: [], sequenceNumber: 1, key: key)
        let new = MutableItem.signed(value: CanonicalBencode("new"), salt: [], sequenceNumber: 2, key: key)
        let first = sim.network.perform(on: 2) { node, now in node.publish(.mutable(old), now: now) }
        #expect(RepublishSchedule.result(of: first) == .stored(8))
        _ = sim.network.perform(on: 9) { node, now in node.publish(.mutable(new), now: now) }
        let again = sim.network.perform(on: 2) { node, now in node.publish(.mutable(old), now: now) }
        #expect(RepublishSchedule.result(of: again) == .superseded)
        // The same seq and value again only refreshes the item.
        let refresh = sim.network.perform(on: 9) { node, now in node.publish(.mutable(new), now: now) }
        #expect(RepublishSchedule.result(of: refresh) == .stored(8))

        // Re-putting an immutable item that nodes already hold reaches all K closest again:
        // the put's lookup does not stop at the first node that has the value.
        let value = Publication.immutable(CanonicalBencode("held"))
        #expect(RepublishSchedule.result(of: sim.network.perform(on: 3) { node, now in node.publish(value, now: now) }) == .stored(8))
        #expect(RepublishSchedule.result(of: sim.network.perform(on: 3) { node, now in node.publish(value, now: now) }) == .stored(8))
    }
}
