import Bencode
import Testing
import TomDHT
import TomGateway
@testable import TomSim

/// The simulator's mirrors of `GatewayRuntime`'s publication and pull steps (commit 162a95c).
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

    @Test func aCyclePullsFourMembersAtOnceEachWithFourGetsInFlight() {
        var random = DHTRandom(seed: 3)
        let keys = (0..<6).map { _ in GatewayKey(ItemSigningKey.random(using: &random).publicKey)! }
        var pull = RosterPull(keys.map { RosterPullPlanEntry(member: $0, pages: [0]) })
        #expect(pull.members.startFirst().map(\.member) == Array(keys.prefix(4)))
        #expect(pull.members.finishOne()?.member == keys[4])
        var member = RosterMemberPull((0..<6).map { RosterPullRequest(member: keys[0], page: $0, held: nil) }, isFirst: false)
        #expect(member.batch.startFirst().map(\.page) == [0, 1, 2, 3])
    }
}
