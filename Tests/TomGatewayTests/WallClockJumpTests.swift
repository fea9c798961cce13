import TomDHT
import TomSignaling
import Testing
@testable import TomGateway

/// The roster's `seq` comes from the wall clock (microseconds), the one clock that survives a
/// restart. If that clock jumps back (NTP step, manual change), the next items must still
/// supersede the ones already in the DHT and at other gateways.
@Suite struct WallClockJumpTests {
    let topic = Topic(name: "clock-jump")
    let key = ItemSigningKey(seed: [UInt8](repeating: 7, count: 32))!

    func entry(_ name: String, at time: Int64) -> RosterEntry {
        RosterEntry(participant: Participant(nodeId: name, username: name), registeredAt: time)
    }

    @Test func backwardWallClockStillIncreasesSeq() throws {
        let hourMicros: Int64 = 3_600_000_000
        let now: Int64 = 1_800_000_000_000_000
        var publisher = RosterPublisher(topic: topic, key: key, endpoints: [], now: now)
        var reader = GatewayDirectory(topic: topic, ownKey: GatewayKey(ItemSigningKey(seed: [UInt8](repeating: 8, count: 32))!.publicKey)!)
        var last = Int64.min
        for (index, time) in [now, now - hourMicros, now - 2 * hourMicros, now + hourMicros, now + hourMicros - 1].enumerated() {
            for item in publisher.upsert(entry("n\(index)", at: time), now: time) {
                #expect(item.sequenceNumber > last)
                last = item.sequenceNumber
                _ = try reader.accept(item)
            }
        }
        // The reader holds the latest state: every entry, despite the clock going back twice.
        let roster = try #require(reader.roster(of: GatewayKey(key.publicKey)!))
        #expect(roster.isComplete)
        #expect(Set(roster.entries.map(\.nodeId)) == Set((0..<5).map { "n\($0)" }))
        let withdrawal = publisher.withdraw(now: now - 10 * hourMicros)
        #expect(withdrawal.sequenceNumber > last)
    }
}
