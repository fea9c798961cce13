import Testing
import TomDHT
import TomDHTNIO

/// Signed peers (draft BEP) between drivers over real UDP sockets on 127.0.0.1: the drivers
/// give their nodes the wall clock, or every announce would be refused as too old.
@Suite(.serialized, .timeLimit(.minutes(1))) struct DHTDriverSignedPeerTests {
    @Test func announcedSignedPeersAreFoundWithTheirWallClockTimestamps() async throws {
        let drivers = try await TestDrivers.network(5)
        let infoHash = DHTTarget.topicHash("tom-signed-peer-topic")
        var generator = SystemRandomNumberGenerator()
        let keys = [ItemSigningKey.random(using: &generator), ItemSigningKey.random(using: &generator)]
        let before = WallClock.microsecondsSinceEpoch()
        for (driver, key) in zip([drivers[1], drivers[2]], keys) {
            let summary = try await driver.announceSignedPeer(infoHash, key: key)
            #expect(summary.stored >= 4)
            #expect(summary.stored == summary.attempted, "errors: \(summary.errors)")
        }
        let after = WallClock.microsecondsSinceEpoch()

        let found = try await drivers[4].getSignedPeers(infoHash).signedPeers
        #expect(Set(found.map(\.publicKey)) == Set(keys.map(\.publicKey)))
        #expect(found.allSatisfy { $0.isValid(for: infoHash) && $0.timestamp >= before && $0.timestamp <= after })
        await TestDrivers.shutdown(drivers)
    }
}
