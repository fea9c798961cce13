import TomDHT
import TomSignaling
import Testing
@testable import TomGateway

@Suite struct RosterPublisherTests {
    let topic = Topic(name: "test-topic")

    func key(_ byte: UInt8) -> ItemSigningKey {
        ItemSigningKey(seed: [UInt8](repeating: byte, count: 32))!
    }

    func entry(_ index: Int, at time: Int64) -> RosterEntry {
        RosterEntry(
            participant: Participant(
                nodeId: String(repeating: String(index % 10), count: 60) + String(index + 1000),
                username: "user-\(index)",
                publicKey: String(repeating: "a", count: 64),
                encryptionKey: String(repeating: "b", count: 64)),
            registeredAt: time)
    }

    @Test func pagesStayWithinBEP44AndReaderSeesEveryEntry() throws {
        var publisher = RosterPublisher(topic: topic, key: key(1), endpoints: ["ws://127.0.0.1:3001"], now: 1)
        var directory = GatewayDirectory(topic: topic, ownKey: GatewayKey(key(2).publicKey)!)
        for index in 0..<40 {
            for item in publisher.upsert(entry(index, at: Int64(100 + index)), now: Int64(1_000 + index)) {
                #expect(item.value.bytes.count <= RosterPage.maxValueBytes)
                _ = try directory.accept(item)
            }
        }
        let roster = try #require(directory.roster(of: GatewayKey(key(1).publicKey)!))
        #expect(roster.isComplete)
        #expect(roster.entries.map(\.nodeId) == (0..<40).map { entry($0, at: 0).nodeId })
        #expect(roster.manifest?.endpoints == ["ws://127.0.0.1:3001"])
    }

    @Test func removalShrinksPagesAndReaderFollows() throws {
        var publisher = RosterPublisher(topic: topic, key: key(1), endpoints: [], now: 1)
        var directory = GatewayDirectory(topic: topic, ownKey: GatewayKey(key(2).publicKey)!)
        var now: Int64 = 10
        func apply(_ items: [MutableItem]) throws {
            for item in items { _ = try directory.accept(item) }
        }
        for index in 0..<10 {
            now += 1
            try apply(publisher.upsert(entry(index, at: now), now: now))
        }
        for index in (2..<10).reversed() {
            now += 1
            try apply(publisher.remove(nodeId: entry(index, at: 0).nodeId, now: now))
        }
        let roster = try #require(directory.roster(of: GatewayKey(key(1).publicKey)!))
        #expect(roster.entries.map(\.nodeId) == [entry(0, at: 0).nodeId, entry(1, at: 0).nodeId])
        #expect(roster.manifest?.pageCount == 1)
        #expect(roster.isComplete)
    }

    @Test func staleForgedAndForeignItemsAreRefused() throws {
        var publisher = RosterPublisher(topic: topic, key: key(1), endpoints: [], now: 1)
        var directory = GatewayDirectory(topic: topic, ownKey: GatewayKey(key(2).publicKey)!)
        let items = publisher.upsert(entry(1, at: 5), now: 5)
        for item in items { #expect(try directory.accept(item) == .accepted(GatewayKey(key(1).publicKey)!)) }
        for item in items { #expect(try directory.accept(item) == .stale) }

        var forged = publisher.upsert(entry(2, at: 6), now: 6)[0]
        forged.signature[0] ^= 1
        #expect(throws: GatewayRecordError.badSignature) { try directory.accept(forged) }

        var otherTopic = RosterPublisher(topic: Topic(name: "other"), key: key(3), endpoints: [], now: 1)
        let foreign = otherTopic.upsert(entry(3, at: 7), now: 7)[0]
        #expect(throws: GatewayRecordError.wrongTopic) { try directory.accept(foreign) }
    }
}
