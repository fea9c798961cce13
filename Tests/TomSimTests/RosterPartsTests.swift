import Bencode
import Testing
import TomDHT
import TomGateway
@testable import TomSim

/// The simulator's mirrors of `GatewayRuntime`'s publication and pull steps (commit 29f3753).
@Suite("tom-sim roster parts")
struct RosterPartsTests {
    static let manifestSalt: [UInt8] = [0]

    static func item(page: UInt8, seq: Int64 = 1) -> MutableItem {
        MutableItem(publicKey: [], salt: [page], sequenceNumber: seq, value: CanonicalBencode(.string("page \(page)")), signature: [])
    }

    @Test func aPublicationPutsThePagesThenTheManifest() {
        var publication = RosterPublication([Self.item(page: 0), Self.item(page: 1), Self.item(page: 2)], manifestSalt: Self.manifestSalt)
        #expect(publication.start().map(\.salt) == [[1], [2]])
        #expect(publication.finishOne(Self.item(page: 1), stored: true).isEmpty)
        #expect(publication.finishOne(Self.item(page: 2), stored: true).map(\.salt) == [[0]])
        #expect(!publication.isDone)
        #expect(publication.finishOne(Self.item(page: 0), stored: false).isEmpty)
        #expect(publication.isDone)
        #expect(publication.unstored.isEmpty)
        #expect(publication.retried == 0)
    }

    @Test func aPageNoNodeStoredIsPutOnceMoreBeforeTheManifestThenLeftUnstored() {
        var publication = RosterPublication([Self.item(page: 0), Self.item(page: 1), Self.item(page: 2)], manifestSalt: Self.manifestSalt)
        _ = publication.start()
        #expect(publication.finishOne(Self.item(page: 2), stored: false).isEmpty)
        // The first try is over: page 2 again, alone, and not yet the manifest.
        #expect(publication.finishOne(Self.item(page: 1), stored: true).map(\.salt) == [[2]])
        #expect(publication.retried == 1)
        // The second try stored nothing either: the manifest goes out anyway.
        #expect(publication.finishOne(Self.item(page: 2), stored: false).map(\.salt) == [[0]])
        #expect(publication.finishOne(Self.item(page: 0), stored: true).isEmpty)
        #expect(publication.isDone)
        #expect(publication.unstored.map(\.salt) == [[2]])
    }

    @Test func aManifestAloneGoesOutAtOnce() {
        var publication = RosterPublication([Self.item(page: 0)], manifestSalt: Self.manifestSalt)
        #expect(publication.start().map(\.salt) == [[0]])
        #expect(publication.finishOne(Self.item(page: 0), stored: true).isEmpty)
        #expect(publication.isDone)
    }

    @Test func aCyclePullsSixteenMembersAtOnceEachWithFourGetsInFlight() {
        var random = DHTRandom(seed: 3)
        let keys = (0..<18).map { _ in GatewayKey(ItemSigningKey.random(using: &random).publicKey)! }
        var pull = RosterPull(keys.map { RosterPullPlanEntry(member: $0, pages: [0]) })
        #expect(pull.members.startFirst().map(\.member) == Array(keys.prefix(16)))
        #expect(pull.members.finishOne()?.member == keys[16])
        var member = RosterMemberPull((0..<6).map { RosterPullRequest(member: keys[0], page: $0, held: nil) }, isFirst: false)
        #expect(member.batch.startFirst().map(\.page) == [0, 1, 2, 3])
    }

    @Test func aChangeWhileAPublicationPutsStartsTheNextWhichOverlapsIt() {
        var random = DHTRandom(seed: 5)
        let topic = Topic(name: "parts")
        var gateway = SimulatedGateway(
            node: 0, signingKey: ItemSigningKey.random(using: &random), topic: topic, endpoint: "ws://10.0.0.1:3001", nowMicroseconds: 0)
        let manifestSalt = topic.rosterSalt(page: 0)
        let page1 = topic.rosterSalt(page: 1)
        func item(_ salt: [UInt8], seq: Int64) -> MutableItem {
            MutableItem(publicKey: [], salt: salt, sequenceNumber: seq, value: CanonicalBencode(.string("x")), signature: [])
        }
        let scheduled = gateway.queueForPublication([item(manifestSalt, seq: 1), item(page1, seq: 1)])
        let scheduledAgain = gateway.queueForPublication([item(page1, seq: 2)])  // within the publish delay: same one
        #expect(scheduled && !scheduledAgain)
        let first = gateway.startPublication(manifestSalt: manifestSalt)
        #expect(first.puts.map(\.sequenceNumber) == [2])
        // The first still puts its page; a change now schedules a second publication.
        let next = gateway.queueForPublication([item(manifestSalt, seq: 3), item(page1, seq: 3)])
        #expect(next)
        let second = gateway.startPublication(manifestSalt: manifestSalt)
        #expect(second.number != first.number)
        #expect(gateway.publications.count == 2)
        // Each goes on by itself: the second's page, then its manifest, while the first waits.
        let secondManifest = gateway.finishPut(item(page1, seq: 3), stored: true, publication: second.number)
        #expect(secondManifest.puts.map(\.salt) == [manifestSalt])
        let secondEnded = gateway.finishPut(item(manifestSalt, seq: 3), stored: true, publication: second.number).ended
        #expect(secondEnded?.unstored.isEmpty == true)
        #expect(gateway.publications.count == 1)
        // The first's page lands late and is refused (a newer seq is stored). A newer version
        // of it went out, so it is not tried again: the first goes on to its manifest, and
        // nothing is left for the re-queue.
        let firstManifest = gateway.finishPut(item(page1, seq: 2), stored: false, publication: first.number)
        #expect(firstManifest.puts.map(\.salt) == [manifestSalt])
        let ended = gateway.finishPut(item(manifestSalt, seq: 1), stored: false, publication: first.number).ended
        #expect(ended?.unstored.isEmpty == true)
        #expect(gateway.publications.isEmpty)
    }
}
