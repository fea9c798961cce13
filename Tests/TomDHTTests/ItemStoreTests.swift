import Bencode
import Testing
import TomDHT

/// Builds BEP 44 put arguments for the store tests.
struct ItemFixture {
    let key = ItemSigningKey(seed: [UInt8](repeating: 0x11, count: 32))!
    let otherKey = ItemSigningKey(seed: [UInt8](repeating: 0x22, count: 32))!
    let start = DHTTime.at(seconds: 50_000)

    func mutablePut(
        _ text: String,
        seq: Int64,
        salt: [UInt8] = [],
        cas: Int64? = nil,
        key: ItemSigningKey? = nil
    ) -> PutItemArguments {
        let item = MutableItem.signed(value: CanonicalBencode(.string(text)), salt: salt, sequenceNumber: seq, key: key ?? self.key)
        return PutItemArguments(
            token: [], value: item.value, publicKey: item.publicKey, signature: item.signature,
            sequenceNumber: seq, expectedSequenceNumber: cas, salt: salt.isEmpty ? nil : salt
        )
    }

    func immutablePut(_ value: BencodeValue) -> PutItemArguments {
        PutItemArguments(token: [], value: CanonicalBencode(value))
    }
}

@Suite("BEP 44 item store")
struct ItemStoreTests {
    let fixture = ItemFixture()

    @Test func immutableItemsAreStoredUnderTheHashOfTheirValue() throws {
        var store = ItemStore()
        let result = store.put(fixture.immutablePut("Hello World!"), now: fixture.start)
        // The BEP 44 immutable test vector.
        let target = try #require(NodeID(hex: "e5f96f6f38320f0f33959cb4d3d656452117aadb"))
        #expect(result == .success(target))
        #expect(store.item(at: target, now: fixture.start)?.item == .immutable(ImmutableItem(value: CanonicalBencode("Hello World!"))))
    }

    @Test func aClaimedTargetIsNeverTrusted() throws {
        var store = ItemStore()
        var arguments = fixture.immutablePut("Hello World!")
        arguments.target = NodeID(bytes: [UInt8](repeating: 0xAB, count: 20))
        let result = store.put(arguments, now: fixture.start)
        #expect(result == .success(try #require(NodeID(hex: "e5f96f6f38320f0f33959cb4d3d656452117aadb"))))
        #expect(store.item(at: arguments.target!, now: fixture.start) == nil)
    }

    @Test func valuesOver1000BytesAreRefusedWith205() {
        var store = ItemStore()
        let big = String(repeating: "x", count: 996)  // "996:" + 996 bytes = 1000: the limit
        #expect(store.put(fixture.immutablePut(.string(big)), now: fixture.start).isSuccess)
        let tooBig = fixture.immutablePut(.string(big + "x"))
        #expect(store.put(tooBig, now: fixture.start) == .failure(.valueTooBig))
        #expect(ItemStoreError.valueTooBig.errorCode.rawValue == 205)
        #expect(store.put(fixture.mutablePut(big + "x", seq: 1), now: fixture.start) == .failure(.valueTooBig))
    }

    @Test func saltsOver64BytesAreRefusedWith207() {
        var store = ItemStore()
        #expect(store.put(fixture.mutablePut("v", seq: 1, salt: [UInt8](repeating: 1, count: 64)), now: fixture.start).isSuccess)
        let result = store.put(fixture.mutablePut("v", seq: 1, salt: [UInt8](repeating: 1, count: 65)), now: fixture.start)
        #expect(result == .failure(.saltTooBig))
        #expect(ItemStoreError.saltTooBig.errorCode.rawValue == 207)
    }

    @Test func badSignaturesAreRefusedWith206() {
        var store = ItemStore()
        var forged = fixture.mutablePut("v", seq: 1)
        forged.signature![10] ^= 0x40
        #expect(store.put(forged, now: fixture.start) == .failure(.invalidSignature))
        // A signature over another seq, salt or key fails too.
        var replayed = fixture.mutablePut("v", seq: 1)
        replayed.sequenceNumber = 2
        #expect(store.put(replayed, now: fixture.start) == .failure(.invalidSignature))
        var resalted = fixture.mutablePut("v", seq: 1, salt: Array("a".utf8))
        resalted.salt = Array("b".utf8)
        #expect(store.put(resalted, now: fixture.start) == .failure(.invalidSignature))
        var rekeyed = fixture.mutablePut("v", seq: 1)
        rekeyed.publicKey = fixture.otherKey.publicKey
        #expect(store.put(rekeyed, now: fixture.start) == .failure(.invalidSignature))
        #expect(ItemStoreError.invalidSignature.errorCode.rawValue == 206)
        #expect(store.count == 0)
    }

    @Test func mutablePutsWithoutSignatureOrSeqAreProtocolErrors() {
        var store = ItemStore()
        var noSignature = fixture.mutablePut("v", seq: 1)
        noSignature.signature = nil
        #expect(store.put(noSignature, now: fixture.start) == .failure(.missingField("sig")))
        var noSeq = fixture.mutablePut("v", seq: 1)
        noSeq.sequenceNumber = nil
        #expect(store.put(noSeq, now: fixture.start) == .failure(.missingField("seq")))
        #expect(ItemStoreError.missingField("seq").errorCode.rawValue == 203)
    }

    @Test func sequenceNumberRules() throws {
        var store = ItemStore()
        let target = ItemTarget.mutable(publicKey: fixture.key.publicKey, salt: [])
        #expect(store.put(fixture.mutablePut("one", seq: 5), now: fixture.start) == .success(target))
        // Lower: 302.
        #expect(store.put(fixture.mutablePut("older", seq: 4), now: fixture.start) == .failure(.sequenceNumberNotNewer))
        #expect(ItemStoreError.sequenceNumberNotNewer.errorCode.rawValue == 302)
        // Equal with another value: 302, as BEP 44 says (libtorrent accepts it).
        #expect(store.put(fixture.mutablePut("other", seq: 5), now: fixture.start) == .failure(.sequenceNumberNotNewer))
        // Equal with the same value: accepted as a refresh.
        let later = fixture.start + .minutes(90)
        #expect(store.put(fixture.mutablePut("one", seq: 5), now: later) == .success(target))
        #expect(store.item(at: target, now: later)?.storedAt == later)
        // Higher: replaces.
        #expect(store.put(fixture.mutablePut("two", seq: 6), now: later) == .success(target))
        #expect(store.item(at: target, now: later)?.item.value == CanonicalBencode("two"))
        #expect(store.item(at: target, now: later)?.item.sequenceNumber == 6)
    }

    @Test func compareAndSwapMismatchIs301() {
        var store = ItemStore()
        // With nothing stored, cas is ignored.
        #expect(store.put(fixture.mutablePut("one", seq: 1, cas: 7), now: fixture.start).isSuccess)
        #expect(store.put(fixture.mutablePut("two", seq: 2, cas: 0), now: fixture.start) == .failure(.casMismatch))
        #expect(ItemStoreError.casMismatch.errorCode.rawValue == 301)
        #expect(store.put(fixture.mutablePut("two", seq: 2, cas: 1), now: fixture.start).isSuccess)
    }

    @Test func saltsSeparateItemsOfOneKey() {
        var store = ItemStore()
        #expect(store.put(fixture.mutablePut("a", seq: 9, salt: Array("x".utf8)), now: fixture.start).isSuccess)
        #expect(store.put(fixture.mutablePut("b", seq: 1, salt: Array("y".utf8)), now: fixture.start).isSuccess)
        #expect(store.put(fixture.mutablePut("c", seq: 1), now: fixture.start).isSuccess)
        #expect(store.count == 3)
    }

    @Test func itemsExpireTwoHoursAfterTheLastPut() {
        var store = ItemStore()
        let first = fixture.immutablePut("first")
        let second = fixture.immutablePut("second")
        let firstTarget = ItemTarget.immutable(first.value)
        store.put(first, now: fixture.start).ignore()
        store.put(second, now: fixture.start + .minutes(60)).ignore()
        store.put(first, now: fixture.start + .minutes(100)).ignore()  // republished
        store.removeExpired(now: fixture.start + .minutes(185))
        #expect(store.count == 1)
        #expect(store.item(at: firstTarget, now: fixture.start + .minutes(185)) != nil)
        #expect(store.item(at: firstTarget, now: fixture.start + .minutes(220)) == nil)
        store.removeExpired(now: fixture.start + .minutes(220))
        #expect(store.count == 0)
        #expect(store.totalBytes == 0)
    }

    @Test func theLeastRecentlyPutItemIsEvictedFirst() {
        var store = ItemStore(settings: ItemStore.Settings(maxItems: 3))
        let puts = (0..<4).map { fixture.immutablePut(.integer(Int64($0))) }
        for (index, put) in puts.prefix(3).enumerated() {
            store.put(put, now: fixture.start + .seconds(UInt64(index))).ignore()
        }
        store.put(puts[0], now: fixture.start + .seconds(5)).ignore()  // refresh: item 1 is now the oldest
        store.put(puts[3], now: fixture.start + .seconds(6)).ignore()
        #expect(store.count == 3)
        #expect(store.item(at: ItemTarget.immutable(puts[1].value), now: fixture.start + .seconds(6)) == nil)
        #expect(store.item(at: ItemTarget.immutable(puts[0].value), now: fixture.start + .seconds(6)) != nil)

        var byBytes = ItemStore(settings: ItemStore.Settings(maxItems: 100, maxBytes: 2_000))
        for number in 0..<5 {
            let value = String(repeating: Character(String(number)), count: 900)
            byBytes.put(fixture.immutablePut(.string(value)), now: fixture.start).ignore()
        }
        #expect(byBytes.count == 2)
        #expect(byBytes.totalBytes <= 2_000)
    }
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }

    func ignore() {}
}
