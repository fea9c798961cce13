import NIOCore
import Testing
@testable import TomSignaling

/// A bucket behind a reference, so `#expect` can call `take` on it.
final class BucketProbe {
    var bucket: TokenBucket
    init(_ limit: RateLimit) { bucket = TokenBucket(limit) }
    func take(cost: Int = 1, now: ContinuousClock.Instant) -> Bool { bucket.take(cost: cost, now: now) }
    func nextAvailable(cost: Int = 1, after now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        bucket.nextAvailable(cost: cost, after: now)
    }
}

@Suite struct TokenBucketTests {
    let start = ContinuousClock.now

    @Test func aBurstPassesThenTheRateApplies() {
        let bucket = BucketProbe(RateLimit(perSecond: 10, burst: 5))
        for _ in 0..<5 { #expect(bucket.take(now: start)) }
        #expect(!bucket.take(now: start))
        // One token per 100 ms.
        #expect(!bucket.take(now: start + .milliseconds(99)))
        #expect(bucket.take(now: start + .milliseconds(100)))
        #expect(!bucket.take(now: start + .milliseconds(100)))
        // A quiet second refills the whole burst, and no more.
        let later = start + .seconds(2)
        for _ in 0..<5 { #expect(bucket.take(now: later)) }
        #expect(!bucket.take(now: later))
    }

    @Test func nextAvailableIsWhenTakeSucceeds() {
        let bucket = BucketProbe(RateLimit(perSecond: 4, burst: 2))
        #expect(bucket.nextAvailable(after: start) == start)
        _ = bucket.take(now: start)
        _ = bucket.take(now: start)
        let due = bucket.nextAvailable(after: start)
        #expect(due == start + .milliseconds(250))
        #expect(!bucket.take(now: due - .milliseconds(1)))
        #expect(bucket.take(now: due))
    }

    @Test func aCostLargerThanTheBurstPassesOnlyFromAFullBucket() {
        let bucket = BucketProbe(RateLimit(perSecond: 1_000, burst: 1_000))
        #expect(bucket.take(cost: 5_000, now: start))  // full: goes into debt
        #expect(!bucket.take(cost: 1, now: start + .seconds(4)))
        #expect(bucket.nextAvailable(cost: 5_000, after: start) == start + .seconds(5))
        #expect(bucket.take(cost: 5_000, now: start + .seconds(5)))
    }

    @Test func unlimitedAlwaysPasses() {
        let bucket = BucketProbe(.unlimited)
        for _ in 0..<10_000 { #expect(bucket.take(now: start)) }
        #expect(bucket.nextAvailable(after: start) == start)
    }
}

@Suite struct ParticipantsBudgetTests {
    func client(_ id: UInt64) -> FakeClient { FakeClient(id: id) }

    @Test func withinTheBudgetEveryChangeGetsItsList() async {
        let hub = LocalHub(participantsBudget: RateLimit(perSecond: 1_000_000, burst: 1_000_000))
        let clients = (1...5).map(client)
        // The first client reads as it goes (an unread list would be replaced by a newer one).
        var first: [String] = []
        for (index, client) in clients.enumerated() {
            await hub.receive(.register(Participant(nodeId: "n\(index)", username: "u")), from: client.session)
            first += clients[0].drain()
        }
        // Four presence joins and five lists, as the legacy server sent.
        #expect(first.filter { $0.contains(#""type":"participants""#) }.count == 5)
        #expect(first.filter { $0.contains(#""action":"join""#) }.count == 4)
    }

    @Test func pastTheBudgetRegistrantsStillGetTheirListAndOthersOneLater() async throws {
        // Room for about one small list, then 100 bytes a second.
        let hub = LocalHub(participantsBudget: RateLimit(perSecond: 2_000, burst: 100))
        let clients = (1...6).map(client)
        var seen: [String] = []
        for (index, client) in clients.enumerated() {
            await hub.receive(.register(Participant(nodeId: "n\(index)", username: "u")), from: client.session)
            // Each registrant has a list naming itself at once.
            let own = client.drain()
            #expect(own.last?.contains(#""nodeId":"n\#(index)""#) == true)
            // The first client reads as it goes (an unread list would be replaced).
            seen += index == 0 ? own : clients[0].drain()
        }
        // The first client saw every join, and not a list per join.
        #expect(seen.filter { $0.contains(#""action":"join""#) }.count == 5)
        #expect(seen.filter { $0.contains(#""type":"participants""#) }.count < 5)
        // The merged list comes when the budget has room (well under a second here).
        let deadline = ContinuousClock.now + .seconds(5)
        while !(seen.last?.contains(#""nodeId":"n5""#) == true && seen.last?.contains("participants") == true) {
            #expect(ContinuousClock.now < deadline)
            guard ContinuousClock.now < deadline else { return }
            try await Task.sleep(for: .milliseconds(5))
            seen += clients[0].drain()
        }
        #expect(seen.last?.split(separator: "nodeId", omittingEmptySubsequences: false).count == 7)
    }
}
