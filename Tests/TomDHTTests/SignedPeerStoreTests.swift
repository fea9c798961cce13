import Testing
import TomDHT

@Suite("Signed peer store")
struct SignedPeerStoreTests {
    let infoHash = NodeID(bytes: [UInt8](repeating: 7, count: 20))!
    let otherHash = NodeID(bytes: [UInt8](repeating: 8, count: 20))!
    let start = DHTTime.at(seconds: 10_000)
    /// Our Unix clock at `start`, in microseconds.
    let unixNow: Int64 = 1_761_300_000_000_000
    static let second: Int64 = 1_000_000

    func key(_ number: UInt8) -> ItemSigningKey {
        ItemSigningKey(seed: [UInt8](repeating: number, count: 32))!
    }

    func record(_ key: ItemSigningKey, for hash: NodeID? = nil, at offset: Int64 = 0) -> SignedPeer {
        SignedPeer.signed(infoHash: hash ?? infoHash, timestamp: unixNow + offset, key: key)
    }

    @Test func verifiesTheSignatureAndTheTimestampWindow() {
        var store = SignedPeerStore()
        let valid = record(key(1))
        #expect(store.announce(valid, for: infoHash, unixTime: unixNow, now: start) == .success(.added))

        var forged = record(key(2))
        forged.signature[10] ^= 1
        #expect(store.announce(forged, for: infoHash, unixTime: unixNow, now: start) == .failure(.invalidSignature))
        // Signed for another info-hash: invalid here.
        #expect(store.announce(record(key(3), for: otherHash), for: infoHash, unixTime: unixNow, now: start) == .failure(.invalidSignature))
        // Another key's signature under our key.
        var stolen = record(key(4))
        stolen.publicKey = key(5).publicKey
        #expect(store.announce(stolen, for: infoHash, unixTime: unixNow, now: start) == .failure(.invalidSignature))

        // ±45 s, inclusive.
        #expect(store.announce(record(key(6), at: 45 * Self.second), for: infoHash, unixTime: unixNow, now: start) == .success(.added))
        #expect(store.announce(record(key(7), at: -45 * Self.second), for: infoHash, unixTime: unixNow, now: start) == .success(.added))
        #expect(store.announce(record(key(8), at: 45 * Self.second + 1), for: infoHash, unixTime: unixNow, now: start) == .failure(.timestampInFuture))
        #expect(store.announce(record(key(9), at: -45 * Self.second - 1), for: infoHash, unixTime: unixNow, now: start) == .failure(.timestampTooOld))
        // Extremes do not overflow.
        let farFuture = SignedPeer.signed(infoHash: infoHash, timestamp: .max, key: key(10))
        #expect(store.announce(farFuture, for: infoHash, unixTime: .min, now: start) == .failure(.timestampInFuture))
        let ancient = SignedPeer.signed(infoHash: infoHash, timestamp: 0, key: key(11))
        #expect(store.announce(ancient, for: infoHash, unixTime: .max, now: start) == .failure(.timestampTooOld))

        #expect(Set(store.allPeers(for: infoHash, now: start).map(\.publicKey)) == [key(1).publicKey, key(6).publicKey, key(7).publicKey])
        #expect(store.count == 3)
        #expect(SignedPeerRejection.invalidSignature.errorCode == .protocolError)
        #expect(SignedPeerRejection.timestampTooOld.errorCode == .protocolError)
    }

    @Test func aStaleRecordIsRefusedBeforeItsSignatureIsChecked() {
        var store = SignedPeerStore()
        var stale = record(key(1), at: -60 * Self.second)
        stale.signature = [UInt8](repeating: 0, count: 64)
        #expect(store.announce(stale, for: infoHash, unixTime: unixNow, now: start) == .failure(.timestampTooOld))
    }

    @Test func oneRecordPerKeyTheNewestWins() {
        var store = SignedPeerStore()
        let signer = key(1)
        let first = record(signer, at: -10 * Self.second)
        let newer = record(signer)
        let older = record(signer, at: -20 * Self.second)
        #expect(store.announce(first, for: infoHash, unixTime: unixNow, now: start) == .success(.added))
        #expect(store.announce(newer, for: infoHash, unixTime: unixNow, now: start + .seconds(1)) == .success(.replaced))
        #expect(store.announce(older, for: infoHash, unixTime: unixNow, now: start + .seconds(2)) == .success(.keptNewer))
        #expect(store.allPeers(for: infoHash, now: start + .seconds(2)) == [newer])
        // The same record again refreshes it.
        #expect(store.announce(newer, for: infoHash, unixTime: unixNow, now: start + .seconds(3)) == .success(.replaced))
        // The same key on another info-hash is a separate record.
        #expect(store.announce(record(signer, for: otherHash), for: otherHash, unixTime: unixNow, now: start) == .success(.added))
        #expect(store.count == 2)
        #expect(store.infoHashCount == 2)
    }

    @Test func recordsExpireThirtyMinutesAfterTheAnnounceThatStoredThem() {
        var store = SignedPeerStore()
        let one = record(key(1))
        let two = record(key(2))
        _ = store.announce(one, for: infoHash, unixTime: unixNow, now: start)
        _ = store.announce(two, for: infoHash, unixTime: unixNow, now: start + .minutes(10))
        // Re-announced later with a newer timestamp: its lifetime restarts.
        let oneAgain = record(key(1), at: 20 * 60 * Self.second)
        _ = store.announce(oneAgain, for: infoHash, unixTime: unixNow + 20 * 60 * Self.second, now: start + .minutes(20))

        store.removeExpired(now: start + .minutes(35))
        #expect(Set(store.allPeers(for: infoHash, now: start + .minutes(35))) == [oneAgain, two])
        // Expired records are never served, even before a sweep.
        var generator = DHTRandom(seed: 1)
        #expect(store.peers(for: infoHash, now: start + .minutes(40), using: &generator) == [oneAgain])
        store.removeExpired(now: start + .minutes(40))
        #expect(store.count == 1)
        store.removeExpired(now: start + .minutes(50))
        #expect(store.count == 0)
        #expect(store.infoHashCount == 0)

        // An expired record does not block an older timestamp from being stored again.
        var short = SignedPeerStore(settings: SignedPeerStore.Settings(lifetime: .seconds(10)))
        _ = short.announce(record(key(3)), for: infoHash, unixTime: unixNow, now: start)
        let earlier = record(key(3), at: -Self.second)
        #expect(short.announce(earlier, for: infoHash, unixTime: unixNow, now: start + .seconds(11)) == .success(.replaced))
    }

    @Test func boundedPerInfoHashAndOverallTheOldestMakesRoom() {
        var store = SignedPeerStore(settings: SignedPeerStore.Settings(maxPeersPerInfoHash: 3, maxPeersTotal: 5))
        for number in UInt8(1)...4 {
            _ = store.announce(record(key(number)), for: infoHash, unixTime: unixNow, now: start + .seconds(UInt64(number)))
        }
        #expect(store.count == 3)
        #expect(Set(store.allPeers(for: infoHash, now: start + .seconds(5)).map(\.publicKey)) == Set([2, 3, 4].map { key($0).publicKey }))

        for number in UInt8(5)...7 {
            _ = store.announce(record(key(number), for: otherHash), for: otherHash, unixTime: unixNow, now: start + .seconds(UInt64(number)))
        }
        // Six records over two hashes, five allowed: key 2, the oldest anywhere, goes.
        #expect(store.count == 5)
        #expect(Set(store.allPeers(for: infoHash, now: start + .seconds(8)).map(\.publicKey)) == Set([3, 4].map { key($0).publicKey }))
        #expect(store.allPeers(for: otherHash, now: start + .seconds(8)).count == 3)
    }

    @Test func answersCarryARandomSampleOfAtMostTen() {
        var store = SignedPeerStore()
        for number in UInt8(1)...30 {
            _ = store.announce(record(key(number)), for: infoHash, unixTime: unixNow, now: start)
        }
        var generator = DHTRandom(seed: 3)
        var seen: Set<[UInt8]> = []
        for _ in 0..<20 {
            let sample = store.peers(for: infoHash, now: start, using: &generator)
            #expect(sample.count == 10)
            #expect(Set(sample.map(\.publicKey)).count == 10)
            seen.formUnion(sample.map(\.publicKey))
        }
        #expect(seen.count == 30)  // every record gets handed out over repeated requests
        #expect(store.peers(for: otherHash, now: start, using: &generator).isEmpty)
    }

    @Test func theUnixClockFollowsTheDriversTime() {
        let clock = UnixClock(microsecondsSinceEpoch: unixNow, at: start)
        #expect(clock.microsecondsSinceEpoch(at: start) == unixNow)
        #expect(clock.microsecondsSinceEpoch(at: start + .seconds(2)) == unixNow + 2 * Self.second)
        #expect(UnixClock().microsecondsSinceEpoch(at: DHTTime.at(seconds: 3)) == 3 * Self.second)
        #expect(UnixClock(microsecondsAtOrigin: .max).microsecondsSinceEpoch(at: start) == .max)
    }
}
