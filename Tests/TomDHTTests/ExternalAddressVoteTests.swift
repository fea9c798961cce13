import Testing
import TomDHT

@Suite("BEP 42: external address voting")
struct ExternalAddressVoteTests {
    static let ours = IPAddress.v4(IPv4Address(203, 0, 113, 7))
    static let other = IPAddress.v4(IPv4Address(198, 51, 100, 9))

    /// A distinct public voter per number.
    static func voter(_ number: Int) -> IPAddress {
        .v4(IPv4Address(UInt32(0x5000_0000) + UInt32(number)))
    }

    @Test func threeDistinctVotersAreNeeded() {
        var vote = ExternalAddressVote()
        #expect(vote.record(Self.ours, from: Self.voter(1)) == nil)
        #expect(vote.record(Self.ours, from: Self.voter(2)) == nil)
        #expect(vote.externalAddress == nil)
        #expect(vote.record(Self.ours, from: Self.voter(3)) == Self.ours)
        #expect(vote.externalAddress == Self.ours)
        // Further agreeing votes change nothing, so nothing is reported again.
        #expect(vote.record(Self.ours, from: Self.voter(4)) == nil)
    }

    @Test func oneVoterHasOneVote() {
        var vote = ExternalAddressVote()
        for _ in 0..<10 {
            #expect(vote.record(Self.ours, from: Self.voter(1)) == nil)
        }
        #expect(vote.votes(for: Self.ours) == 1)
        #expect(vote.voterCount == 1)
        // A voter that changes its mind moves its vote.
        _ = vote.record(Self.other, from: Self.voter(1))
        #expect(vote.votes(for: Self.ours) == 0)
        #expect(vote.votes(for: Self.other) == 1)
        #expect(vote.externalAddress == nil)
    }

    @Test func theLeaderNeedsMoreThanTwiceTheRunnerUp() {
        var vote = ExternalAddressVote()
        for number in 0..<3 { _ = vote.record(Self.other, from: Self.voter(100 + number)) }
        #expect(vote.externalAddress == Self.other)
        // 6 against 3 is not more than twice; 7 against 3 is.
        for number in 0..<6 { #expect(vote.record(Self.ours, from: Self.voter(number)) == nil) }
        #expect(vote.externalAddress == Self.other)
        #expect(vote.record(Self.ours, from: Self.voter(6)) == Self.ours)
    }

    @Test func aTieNeverWins() {
        var vote = ExternalAddressVote()
        for number in 0..<5 {
            _ = vote.record(Self.ours, from: Self.voter(number))
            _ = vote.record(Self.other, from: Self.voter(100 + number))
        }
        #expect(vote.externalAddress == nil)
    }

    @Test func memoryIsBoundedAndOldVotesFadeOut() {
        let settings = ExternalAddressVote.Settings(maxVoters: 50)
        var vote = ExternalAddressVote()
        for number in 0..<50 { _ = vote.record(Self.other, from: Self.voter(number), settings: settings) }
        #expect(vote.externalAddress == Self.other)
        // Our address changed: new voters push the old ones out, oldest first. The new
        // address wins once it has more than twice the old one's remaining votes.
        var switchedAfter: Int?
        for number in 0..<200 {
            if vote.record(Self.ours, from: Self.voter(1_000 + number), settings: settings) == Self.ours {
                switchedAfter = number + 1
            }
            #expect(vote.voterCount <= 50)
        }
        #expect(switchedAfter == 34)  // 34 against the 16 old votes left
        #expect(vote.voterCount == 50)
        #expect(vote.votes(for: Self.other) == 0)
        #expect(vote.externalAddress == Self.ours)
    }

    @Test func impossibleClaimsAreIgnored() {
        var vote = ExternalAddressVote()
        let v6 = IPAddress.v6(IPv6Address(high: 0x2001_0db8_0000_0000, low: 1))
        for number in 0..<5 {
            // An IPv4 voter cannot have seen us over IPv6, and nobody sees 0.0.0.0.
            _ = vote.record(v6, from: Self.voter(number))
            _ = vote.record(.v4(IPv4Address(0)), from: Self.voter(100 + number))
        }
        #expect(vote.voterCount == 0)
        #expect(vote.externalAddress == nil)
    }

    @Test func smallerThresholdsCanBeConfigured() {
        var vote = ExternalAddressVote()
        let settings = ExternalAddressVote.Settings(minimumVotes: 1)
        #expect(vote.record(Self.ours, from: Self.voter(1), settings: settings) == Self.ours)
    }
}
