import Testing
import TomDHT

@Suite("Peer store")
struct PeerStoreTests {
    let infoHash = NodeID(bytes: [UInt8](repeating: 7, count: 20))!
    let otherHash = NodeID(bytes: [UInt8](repeating: 8, count: 20))!
    let start = DHTTime.at(seconds: 10_000)

    func peer(_ number: Int) -> DHTAddress {
        .v4(11, UInt8(number >> 16 & 0xff), UInt8(number >> 8 & 0xff), UInt8(number & 0xff), port: 6881)
    }

    @Test func peersExpireThirtyMinutesAfterTheirLastAnnounce() {
        var store = PeerStore()
        store.announce(peer(1), for: infoHash, now: start)
        store.announce(peer(2), for: infoHash, now: start + .minutes(10))
        store.announce(peer(1), for: infoHash, now: start + .minutes(20))  // refresh

        store.removeExpired(now: start + .minutes(35))
        #expect(Set(store.allPeers(for: infoHash, now: start + .minutes(35))) == [peer(1), peer(2)])
        // Expired peers are never served, even before a sweep.
        #expect(store.allPeers(for: infoHash, now: start + .minutes(40)) == [peer(1)])
        store.removeExpired(now: start + .minutes(40))
        #expect(store.count == 1)
        store.removeExpired(now: start + .minutes(50))
        #expect(store.count == 0)
        #expect(store.infoHashCount == 0)
    }

    @Test func aFullSwarmEvictsItsOldestPeer() {
        var store = PeerStore(settings: PeerStore.Settings(maxPeersPerInfoHash: 3))
        for number in 0..<3 { store.announce(peer(number), for: infoHash, now: start + .seconds(UInt64(number))) }
        store.announce(peer(0), for: infoHash, now: start + .seconds(10))  // peer 1 is now the oldest
        store.announce(peer(3), for: infoHash, now: start + .seconds(11))
        #expect(Set(store.allPeers(for: infoHash, now: start + .seconds(11))) == [peer(0), peer(2), peer(3)])
        #expect(store.count == 3)
    }

    @Test func theStoreEvictsTheOldestAnnounceAcrossSwarms() {
        var store = PeerStore(settings: PeerStore.Settings(maxPeersTotal: 4))
        store.announce(peer(1), for: infoHash, now: start)
        store.announce(peer(2), for: otherHash, now: start + .seconds(1))
        store.announce(peer(3), for: infoHash, now: start + .seconds(2))
        store.announce(peer(4), for: otherHash, now: start + .seconds(3))
        store.announce(peer(5), for: otherHash, now: start + .seconds(4))
        #expect(store.count == 4)
        #expect(store.allPeers(for: infoHash, now: start + .seconds(4)) == [peer(3)])
        // Many re-announces stay bounded too.
        for round in 0..<5_000 { store.announce(peer(round % 4), for: infoHash, now: start + .seconds(5)) }
        #expect(store.count == 4)
    }

    @Test func getPeersReturnsABoundedRandomSubset() {
        var store = PeerStore()
        for number in 0..<500 { store.announce(peer(number), for: infoHash, now: start) }
        var random = DHTRandom(seed: 3)
        let first = store.peers(for: infoHash, now: start, using: &random)
        let second = store.peers(for: infoHash, now: start, using: &random)
        #expect(first.count == 50)
        #expect(Set(first).count == 50)
        #expect(first != second)
        #expect(store.peers(for: otherHash, now: start, using: &random).isEmpty)
    }
}
