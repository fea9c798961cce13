import Testing
import TomDHT

/// Builds nodes with chosen id prefixes and distinct public addresses.
struct RoutingFixture {
    var generator = DHTRandom(seed: 5)
    var nextAddress: UInt32 = 0x0B00_0001  // 11.0.0.1, a public address
    let ownID = NodeID.zero
    let start = DHTTime(nanoseconds: 1_000_000_000_000)

    /// A node whose id shares exactly `sharedBits` leading bits with our own (zero) id.
    mutating func node(sharedBits: Int, ip: IPAddress? = nil) -> NodeInfo {
        let random = NodeID.random(sharingPrefixOf: ownID.flippingBit(at: sharedBits), length: sharedBits + 1, using: &generator)
        return node(id: random, ip: ip)
    }

    mutating func node(id: NodeID, ip: IPAddress? = nil) -> NodeInfo {
        defer { nextAddress += 1 }
        return NodeInfo(id: id, address: DHTAddress(ip: ip ?? .v4(IPv4Address(nextAddress)), port: 6881))
    }

    func table(_ settings: RoutingTableSettings = RoutingTableSettings()) -> RoutingTable {
        RoutingTable(ownID: ownID, settings: settings, now: start)
    }

    func time(minutes: UInt64, seconds: UInt64 = 0) -> DHTTime {
        start + .minutes(minutes) + .seconds(seconds)
    }
}

@Suite("Routing table: buckets, splits and closest nodes")
struct RoutingTableStructureTests {
    @Test func startsWithOneBucketAndRejectsOurOwnID() {
        var fixture = RoutingFixture()
        var table = fixture.table()
        #expect(table.bucketCount == 1)
        #expect(table.count == 0)
        #expect(table.recordResponse(from: fixture.node(id: fixture.ownID), at: fixture.start) == .rejected(.ownID))
    }

    @Test func fullBucketCoveringOurIDSplits() {
        var fixture = RoutingFixture()
        var table = fixture.table()
        for _ in 0..<8 {
            #expect(table.recordResponse(from: fixture.node(sharedBits: 0), at: fixture.start) == .added)
        }
        #expect(table.bucketCount == 1)
        // The ninth far node forces a split; the far half is still full, so it waits as a replacement.
        #expect(table.recordResponse(from: fixture.node(sharedBits: 0), at: fixture.start) == .cachedAsReplacement)
        #expect(table.bucketCount == 2)
        #expect(table.entries(inBucket: 0).count == 8)
        #expect(table.replacementCandidates(inBucket: 0).count == 1)
        // Near nodes now have a bucket of their own.
        for _ in 0..<8 {
            #expect(table.recordResponse(from: fixture.node(sharedBits: 1), at: fixture.start) == .added)
        }
        #expect(table.bucketCount == 2)
        #expect(table.recordResponse(from: fixture.node(sharedBits: 3), at: fixture.start) == .added)
        #expect(table.bucketCount == 3)
        #expect(table.entries(inBucket: 1).count == 8)
        #expect(table.entries(inBucket: 2).count == 1)
        #expect(table.count == 17)
    }

    @Test func bucketsFarFromUsNeverSplit() {
        var fixture = RoutingFixture()
        var table = fixture.table()
        for _ in 0..<8 { table.recordResponse(from: fixture.node(sharedBits: 0), at: fixture.start) }
        table.recordResponse(from: fixture.node(sharedBits: 5), at: fixture.start)
        let buckets = table.bucketCount
        for _ in 0..<20 { table.recordResponse(from: fixture.node(sharedBits: 0), at: fixture.start) }
        #expect(table.bucketCount == buckets)
        #expect(table.entries(inBucket: 0).count == 8)
        #expect(table.replacementCandidates(inBucket: 0).count == 8)
    }

    @Test func splitsCanReachTheFullDepth() {
        var fixture = RoutingFixture()
        var table = fixture.table(RoutingTableSettings(bucketSize: 1))
        for shared in 0..<NodeID.bitCount {
            table.recordResponse(from: fixture.node(sharedBits: shared), at: fixture.start)
        }
        #expect(table.count == 160)
        #expect(table.bucketCount == 160)
        for index in 0..<160 {
            #expect(table.entries(inBucket: index).first.map { fixture.ownID.commonPrefixLength(with: $0.id) } == index)
        }
    }

    @Test func closestMatchesABruteForceSort() {
        var fixture = RoutingFixture()
        var table = fixture.table()
        for _ in 0..<400 {
            table.recordResponse(from: fixture.node(id: .random(using: &fixture.generator)), at: fixture.start)
            table.recordResponse(from: fixture.node(sharedBits: Int.random(in: 0..<20, using: &fixture.generator)), at: fixture.start)
        }
        #expect(table.bucketCount > 5)
        for _ in 0..<20 {
            let target = NodeID.random(using: &fixture.generator)
            let expected = table.entries.map(\.node).sorted { $0.id.distance(to: target) < $1.id.distance(to: target) }.prefix(8)
            #expect(table.closest(to: target, count: 8) == Array(expected))
        }
        #expect(table.closest(to: .zero, count: 0) == [])
        #expect(table.closest(to: .zero, count: 10_000).count == table.count)
    }

    @Test func closestSkipsBadUnconfirmedAndOtherFamilyNodesOnRequest() throws {
        var fixture = RoutingFixture()
        var table = fixture.table()
        let confirmed = fixture.node(sharedBits: 3)
        let unconfirmed = fixture.node(sharedBits: 4)
        let failing = fixture.node(sharedBits: 5)
        let v6Address = try #require(IPAddress("2001:db8::1"))
        let v6 = fixture.node(sharedBits: 6, ip: v6Address)
        table.recordResponse(from: confirmed, at: fixture.start)
        table.insertUnverified(unconfirmed, at: fixture.start)
        table.recordResponse(from: failing, at: fixture.start)
        table.recordResponse(from: v6, at: fixture.start)
        table.recordFailure(of: failing.id, at: fixture.start)
        table.recordFailure(of: failing.id, at: fixture.start)

        #expect(Set(table.closest(to: .zero, count: 8)) == [confirmed, unconfirmed, v6])
        #expect(Set(table.closest(to: .zero, count: 8, onlyConfirmed: true)) == [confirmed, v6])
        #expect(table.closest(to: .zero, count: 8, family: .v6) == [v6])
    }

    @Test func knownIDsAtAnotherAddressAreRejectedAndReadOnlyNodesAreNotAdded() {
        var fixture = RoutingFixture()
        var table = fixture.table()
        let node = fixture.node(sharedBits: 2)
        table.recordResponse(from: node, at: fixture.start)
        #expect(table.recordResponse(from: node, at: fixture.start) == .updated)
        let moved = NodeInfo(id: node.id, address: DHTAddress(ip: .v4(IPv4Address(9, 9, 9, 9)), port: 1))
        #expect(table.recordResponse(from: moved, at: fixture.start) == .rejected(.addressMismatch))
        #expect(table.entry(for: node.id)?.address == node.address)
        #expect(table.recordQuery(from: fixture.node(sharedBits: 3), at: fixture.start, isReadOnly: true) == .rejected(.readOnly))
        #expect(table.count == 1)
        table.remove(node.id)
        #expect(!table.contains(node.id))
    }
}

@Suite("Routing table: node status, replacement and IP rules")
struct RoutingTableLifecycleTests {
    @Test func goodQuestionableAndBadFollowBEP5Timing() throws {
        var fixture = RoutingFixture()
        var table = fixture.table()
        let node = fixture.node(sharedBits: 1)
        table.recordResponse(from: node, at: fixture.start)
        func status(_ time: DHTTime) throws -> NodeStatus {
            try #require(table.entry(for: node.id)).status(at: time, settings: table.settings)
        }
        #expect(try status(fixture.time(minutes: 14, seconds: 59)) == .good)
        #expect(try status(fixture.time(minutes: 15)) == .questionable)
        // A query from a node that has answered before keeps it good.
        table.recordQuery(from: node, at: fixture.time(minutes: 20))
        #expect(try status(fixture.time(minutes: 34)) == .good)
        #expect(try status(fixture.time(minutes: 35)) == .questionable)
        // One failure is forgiven, the second makes it bad, and a response clears both.
        table.recordFailure(of: node.id, at: fixture.time(minutes: 36))
        #expect(try status(fixture.time(minutes: 36)) == .questionable)
        table.recordFailure(of: node.id, at: fixture.time(minutes: 37))
        #expect(try status(fixture.time(minutes: 37)) == .bad)
        table.recordResponse(from: node, at: fixture.time(minutes: 38))
        #expect(try status(fixture.time(minutes: 38)) == .good)
        #expect(table.entry(for: node.id)?.consecutiveFailures == 0)
    }

    @Test func nodesThatOnlyQueriedUsAreQuestionable() throws {
        var fixture = RoutingFixture()
        var table = fixture.table()
        let node = fixture.node(sharedBits: 1)
        #expect(table.recordQuery(from: node, at: fixture.start) == .added)
        let entry = try #require(table.entry(for: node.id))
        #expect(entry.status(at: fixture.start, settings: table.settings) == .questionable)
        #expect(!entry.isConfirmed)
        #expect(entry.lastQuery == fixture.start)
    }

    @Test func failingNodesAreReplacedFromTheCache() {
        var fixture = RoutingFixture()
        var table = fixture.table()
        let members = (0..<8).map { _ in fixture.node(sharedBits: 0) }
        for member in members { table.recordResponse(from: member, at: fixture.start) }
        table.recordResponse(from: fixture.node(sharedBits: 4), at: fixture.start)  // split off the near half
        let waiting = fixture.node(sharedBits: 0)
        #expect(table.recordResponse(from: waiting, at: fixture.time(minutes: 1)) == .cachedAsReplacement)

        #expect(table.recordFailure(of: members[3].id, at: fixture.time(minutes: 2)) == nil)
        #expect(table.recordFailure(of: members[3].id, at: fixture.time(minutes: 3)) == waiting)
        #expect(!table.contains(members[3].id))
        #expect(table.contains(waiting.id))
        #expect(table.replacementCandidates(inBucket: 0).isEmpty)
        // Failures of unknown nodes are ignored.
        #expect(table.recordFailure(of: fixture.node(sharedBits: 0).id, at: fixture.start) == nil)
    }

    @Test func badNodesAreEvictedByNewcomersWhenNoCandidateWaits() {
        var fixture = RoutingFixture()
        var table = fixture.table()
        let members = (0..<8).map { _ in fixture.node(sharedBits: 0) }
        for member in members { table.recordResponse(from: member, at: fixture.start) }
        table.recordResponse(from: fixture.node(sharedBits: 4), at: fixture.start)
        table.recordFailure(of: members[0].id, at: fixture.start)
        table.recordFailure(of: members[0].id, at: fixture.start)
        #expect(table.contains(members[0].id))
        #expect(table.recordResponse(from: fixture.node(sharedBits: 0), at: fixture.start) == .replacedBadNode(members[0]))
        #expect(!table.contains(members[0].id))
    }

    @Test func replacementCacheIsBoundedAndPrefersConfirmedCandidates() {
        var fixture = RoutingFixture()
        var table = fixture.table(RoutingTableSettings(replacementCacheSize: 2))
        let members = (0..<8).map { _ in fixture.node(sharedBits: 0) }
        for member in members { table.recordResponse(from: member, at: fixture.start) }
        table.recordResponse(from: fixture.node(sharedBits: 4), at: fixture.start)
        let confirmed = fixture.node(sharedBits: 0)
        let unconfirmed = fixture.node(sharedBits: 0)
        let newer = fixture.node(sharedBits: 0)
        table.recordResponse(from: confirmed, at: fixture.start)
        table.insertUnverified(unconfirmed, at: fixture.start)
        table.insertUnverified(newer, at: fixture.start)
        // The unconfirmed candidate made room for the newer one; the confirmed one stayed.
        #expect(table.replacementCandidates(inBucket: 0).map(\.node) == [confirmed, newer])
        // The confirmed candidate is promoted first.
        table.recordFailure(of: members[0].id, at: fixture.start)
        #expect(table.recordFailure(of: members[0].id, at: fixture.start) == confirmed)
        // Candidates are dropped at their first failure.
        table.recordFailure(of: newer.id, at: fixture.start)
        #expect(table.replacementCandidates(inBucket: 0).isEmpty)
    }

    @Test func candidatesKeepTheirHistoryWhenPromoted() throws {
        var fixture = RoutingFixture()
        var table = fixture.table()
        let members = (0..<8).map { _ in fixture.node(sharedBits: 0) }
        for member in members { table.recordResponse(from: member, at: fixture.start) }
        table.recordResponse(from: fixture.node(sharedBits: 4), at: fixture.start)
        let candidate = fixture.node(sharedBits: 0)
        table.recordQuery(from: candidate, at: fixture.time(minutes: 1))
        table.recordFailure(of: members[0].id, at: fixture.start)
        #expect(table.recordFailure(of: members[0].id, at: fixture.start) == candidate)
        // Once promoted, its earlier query is remembered alongside the new response.
        #expect(table.recordResponse(from: candidate, at: fixture.time(minutes: 2)) == .updated)
        let entry = try #require(table.entry(for: candidate.id))
        #expect(entry.lastQuery == fixture.time(minutes: 1))
        #expect(entry.lastResponse == fixture.time(minutes: 2))
        #expect(entry.firstSeen == fixture.time(minutes: 1))
    }

    @Test func onePublicAddressPerBucket() throws {
        var fixture = RoutingFixture()
        var table = fixture.table()
        let shared = IPAddress.v4(IPv4Address(8, 8, 8, 8))
        #expect(table.recordResponse(from: fixture.node(sharedBits: 0, ip: shared), at: fixture.start) == .added)
        #expect(table.recordResponse(from: fixture.node(sharedBits: 0, ip: shared), at: fixture.start) == .rejected(.duplicateIP))
        // Force a split so the next node lands in another bucket, where the address is new.
        for _ in 0..<7 { table.recordResponse(from: fixture.node(sharedBits: 0), at: fixture.start) }
        table.recordResponse(from: fixture.node(sharedBits: 0), at: fixture.start)
        #expect(table.bucketCount == 2)
        #expect(table.recordResponse(from: fixture.node(sharedBits: 1, ip: shared), at: fixture.start) == .added)

        let lan = IPAddress.v4(IPv4Address(192, 168, 1, 10))
        #expect(table.recordResponse(from: fixture.node(sharedBits: 2, ip: lan), at: fixture.start) == .added)
        #expect(table.recordResponse(from: fixture.node(sharedBits: 2, ip: lan), at: fixture.start) == .added)
        let loopback = try #require(IPAddress("::1"))
        #expect(table.recordResponse(from: fixture.node(sharedBits: 2, ip: loopback), at: fixture.start) == .added)
        #expect(table.recordResponse(from: fixture.node(sharedBits: 2, ip: loopback), at: fixture.start) == .added)
    }

    @Test func addressRulesFollowTheSettings() {
        var fixture = RoutingFixture()
        var strict = fixture.table(RoutingTableSettings(exemptPrivateAddresses: false))
        let lan = IPAddress.v4(IPv4Address(10, 0, 0, 1))
        #expect(strict.recordResponse(from: fixture.node(sharedBits: 0, ip: lan), at: fixture.start) == .added)
        #expect(strict.recordResponse(from: fixture.node(sharedBits: 0, ip: lan), at: fixture.start) == .rejected(.duplicateIP))

        var open = fixture.table(RoutingTableSettings(restrictRoutingIPs: false))
        let shared = IPAddress.v4(IPv4Address(8, 8, 8, 8))
        #expect(open.recordResponse(from: fixture.node(sharedBits: 0, ip: shared), at: fixture.start) == .added)
        #expect(open.recordResponse(from: fixture.node(sharedBits: 0, ip: shared), at: fixture.start) == .added)
    }
}

@Suite("Routing table: maintenance and persistence")
struct RoutingTableMaintenanceTests {
    @Test func bucketsUnchangedFor15MinutesNeedRefreshWithTargetsInsideThem() {
        var fixture = RoutingFixture()
        var table = fixture.table()
        for shared in [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3] {
            table.recordResponse(from: fixture.node(sharedBits: shared), at: fixture.start)
        }
        #expect(table.bucketCount == 2)
        var generator = DHTRandom(seed: 11)
        #expect(table.bucketsNeedingRefresh(at: fixture.time(minutes: 14), using: &generator).isEmpty)
        #expect(table.nextRefreshDeadline == fixture.time(minutes: 15))

        let targets = table.bucketsNeedingRefresh(at: fixture.time(minutes: 15), using: &generator)
        #expect(targets.count == 2)
        #expect(targets.map { table.bucketIndex(for: $0) } == [0, 1])

        table.markRefreshed(bucketContaining: targets[0], at: fixture.time(minutes: 15))
        let remaining = table.bucketsNeedingRefresh(at: fixture.time(minutes: 16), using: &generator)
        #expect(remaining.map { table.bucketIndex(for: $0) } == [1])

        // A response from a node in a bucket counts as a change.
        table.recordResponse(from: table.entries(inBucket: 1)[0].node, at: fixture.time(minutes: 16))
        #expect(table.bucketsNeedingRefresh(at: fixture.time(minutes: 17), using: &generator).isEmpty)
    }

    @Test func randomTargetsStayInsideEveryBucket() {
        var fixture = RoutingFixture()
        var table = fixture.table(RoutingTableSettings(bucketSize: 1))
        for shared in 0..<40 { table.recordResponse(from: fixture.node(sharedBits: shared), at: fixture.start) }
        for index in 0..<table.bucketCount {
            for _ in 0..<10 {
                #expect(table.bucketIndex(for: table.randomID(inBucket: index, using: &fixture.generator)) == index)
            }
        }
    }

    @Test func questionableNodesInFullBucketsWithCandidatesArePinged() {
        var fixture = RoutingFixture()
        var table = fixture.table()
        let members = (0..<8).map { _ in fixture.node(sharedBits: 0) }
        for (offset, member) in members.enumerated() {
            table.recordResponse(from: member, at: fixture.time(minutes: UInt64(offset)))
        }
        table.recordResponse(from: fixture.node(sharedBits: 4), at: fixture.start)
        #expect(table.nodesToPing(at: fixture.time(minutes: 30)).isEmpty)  // no candidate waiting
        table.insertUnverified(fixture.node(sharedBits: 0), at: fixture.time(minutes: 30))
        #expect(table.nodesToPing(at: fixture.time(minutes: 10)).isEmpty)  // all still good
        #expect(table.nodesToPing(at: fixture.time(minutes: 30)) == [members[0]])
    }

    @Test func snapshotsRoundTripAndRestore() throws {
        var fixture = RoutingFixture()
        var table = fixture.table()
        for shared in 0..<12 { table.recordResponse(from: fixture.node(sharedBits: shared), at: fixture.start) }
        let v6Address = try #require(IPAddress("2001:db8::5"))
        table.insertUnverified(fixture.node(sharedBits: 20, ip: v6Address), at: fixture.start)
        let failing = fixture.node(sharedBits: 30)
        table.recordResponse(from: failing, at: fixture.start)
        table.recordFailure(of: failing.id, at: fixture.start)
        table.recordFailure(of: failing.id, at: fixture.start)

        let snapshot = table.snapshot
        #expect(snapshot.nodes.count == 13)
        #expect(!snapshot.nodes.contains(failing))
        let decoded = try RoutingTableSnapshot(decoding: snapshot.encoded())
        #expect(decoded.ownID == snapshot.ownID)
        #expect(Set(decoded.nodes) == Set(snapshot.nodes))

        var restored = RoutingTable(ownID: decoded.ownID, now: fixture.time(minutes: 60))
        restored.restore(decoded, at: fixture.time(minutes: 60))
        #expect(restored.count == 13)
        #expect(restored.entries.allSatisfy { !$0.isConfirmed })
    }

    @Test func malformedSnapshotsAreRejected() {
        #expect(throws: RoutingTableSnapshot.DecodingError.bencode(.truncated)) { try RoutingTableSnapshot(decoding: Array("d2:id".utf8)) }
        #expect(throws: RoutingTableSnapshot.DecodingError.notADictionary) { try RoutingTableSnapshot(decoding: Array("le".utf8)) }
        #expect(throws: RoutingTableSnapshot.DecodingError.missingOrInvalidID) { try RoutingTableSnapshot(decoding: Array("d2:id3:abce".utf8)) }
        #expect(throws: RoutingTableSnapshot.DecodingError.invalidNodes(.invalidLength(3))) {
            try RoutingTableSnapshot(decoding: Array("d2:id20:abcdefghij01234567895:nodes3:abce".utf8))
        }
        #expect(throws: Never.self) { try RoutingTableSnapshot(decoding: Array("d2:id20:abcdefghij0123456789e".utf8)) }
    }
}
