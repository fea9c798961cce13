/// Learns our external address (BEP 42) from the `ip` field of answers to our queries.
///
/// Every node that answers us says at which address it saw us. Each answering IP is one
/// voter with one vote (its latest), and only the most recent `maxVoters` voters are
/// remembered, so memory stays bounded and votes from before an address change fade out as
/// new voters arrive. An address is believed once it has at least `minimumVotes` voters and
/// more than `dominance` times the votes of any other address.
///
/// Why these numbers (defaults 50, 3 and 2): libtorrent's `ip_voter` moves on 2 votes when
/// there is a single candidate and otherwise wants the leader at more than 1.5 times the
/// runner-up. We want a little more because a belief here can change our node id: three
/// distinct IPs agreeing means one confused NAT or one lying node cannot pick our id, and
/// "more than twice the runner-up" is hysteresis, so a host whose answers alternate between
/// two routes does not flap between ids. After a real change of address, the new address
/// wins once about two thirds of the window has voted for it (34 of 50 voters).
public struct ExternalAddressVote: Hashable, Sendable {
    public struct Settings: Hashable, Sendable {
        /// Voters remembered; the one that first voted longest ago is forgotten for a new one.
        public var maxVoters: Int
        /// Distinct voters an address needs before it is believed.
        public var minimumVotes: Int
        /// The leader needs strictly more than this many times the runner-up's votes.
        public var dominance: Int

        public init(maxVoters: Int = 50, minimumVotes: Int = 3, dominance: Int = 2) {
            self.maxVoters = max(1, maxVoters)
            self.minimumVotes = max(1, minimumVotes)
            self.dominance = max(1, dominance)
        }
    }

    /// The address the votes settled on; nil until some address has won.
    public private(set) var externalAddress: IPAddress?
    /// The latest vote of each remembered voter.
    private var ballots: [IPAddress: IPAddress] = [:]
    /// Voters in the order they first voted, oldest first; the eviction order.
    private var voters: [IPAddress] = []
    /// Votes per candidate address, kept in step with `ballots`.
    private var tally: [IPAddress: Int] = [:]

    public init() {}

    /// Voters currently remembered.
    public var voterCount: Int { voters.count }

    /// Votes currently held by `address`.
    public func votes(for address: IPAddress) -> Int { tally[address] ?? 0 }

    /// Counts `voter`'s claim that it saw us at `reported`. Returns the new external
    /// address when this vote changed the belief, else nil.
    ///
    /// A claim in another address family than the voter's (an IPv6 node cannot have seen
    /// us over IPv4) and the unspecified addresses are ignored.
    public mutating func record(_ reported: IPAddress, from voter: IPAddress, settings: Settings = Settings()) -> IPAddress? {
        guard reported.family == voter.family, !reported.isUnspecified else { return nil }
        if let previous = ballots[voter] {
            guard previous != reported else { return nil }
            withdraw(previous)
        } else {
            while voters.count >= settings.maxVoters {
                let oldest = voters.removeFirst()
                if let vote = ballots.removeValue(forKey: oldest) { withdraw(vote) }
            }
            voters.append(voter)
        }
        ballots[voter] = reported
        tally[reported, default: 0] += 1
        return decide(settings)
    }

    private mutating func withdraw(_ vote: IPAddress) {
        let remaining = (tally[vote] ?? 1) - 1
        tally[vote] = remaining > 0 ? remaining : nil
    }

    /// The leader, if it has enough votes and clearly more than the runner-up. Only counts
    /// are compared, so the answer does not depend on the dictionary's order; a tie at the
    /// top never wins.
    private mutating func decide(_ settings: Settings) -> IPAddress? {
        var leader: (address: IPAddress, votes: Int)?
        var runnerUp = 0
        for (address, votes) in tally {
            if let current = leader, votes <= current.votes {
                runnerUp = max(runnerUp, votes)
            } else {
                runnerUp = max(runnerUp, leader?.votes ?? 0)
                leader = (address, votes)
            }
        }
        guard let leader, leader.votes >= settings.minimumVotes, leader.votes > runnerUp * settings.dominance,
              leader.address != externalAddress
        else { return nil }
        externalAddress = leader.address
        return leader.address
    }
}

extension IPAddress {
    /// 0.0.0.0 or ::, which no node can have seen us at.
    var isUnspecified: Bool {
        switch self {
        case .v4(let address): address.value == 0
        case .v6(let address): address.high == 0 && address.low == 0
        }
    }
}
