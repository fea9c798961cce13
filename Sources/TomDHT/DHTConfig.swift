/// Every number of the DHT node in one place, with its default. Drivers expose these as
/// flags; tests and the simulator shrink or grow them.
public struct DHTConfig: Sendable, Hashable {
    // MARK: Wire

    /// The top-level `v` key on everything we send: "TN" and a two-digit version.
    public var clientVersion: [UInt8] = Array("TN01".utf8)
    /// Bounds on what one incoming datagram may make the decoder build.
    public var messageLimits = KRPCLimits()
    /// BEP 43: announce ourselves as read-only (`ro=1`) so others do not add us to their
    /// tables; a node behind a NAT it cannot open should set this.
    public var isReadOnly = false
    /// Whether BEP 44 `get` and `put` queries are served. Off, they are answered with error
    /// 204 (method unknown), as BEP 5-only clients do; the simulator uses this for "vanilla" nodes.
    public var answersItemQueries = true

    // MARK: Routing

    /// k, bucket sizes, node-state timings and IP restrictions.
    public var routing = RoutingTableSettings()
    /// Ping nodes that query us for the first time, so they become confirmed and can be
    /// handed out in our answers; unconfirmed nodes never are.
    public var verifyNewQueriers = true
    /// BEP 42: once the `ip` votes of answers settle on a public address our id is not valid
    /// for, take a valid id (rebuilding the routing table around it). Local addresses never
    /// change the id.
    public var derivesNodeIDFromExternalAddress = true
    /// How many answering nodes must agree on our external address (`ExternalAddressVote`).
    public var externalAddressVoting = ExternalAddressVote.Settings()
    /// BEP 42: keep nodes whose id is not valid for their public address out of the routing
    /// table (they are still answered). Off by default, as in libtorrent, because many
    /// clients still run with free ids; loopback and private addresses are exempt.
    public var enforceNodeIDs = false
    /// Cap on verification pings in flight, so a flood of new queriers cannot make us flood.
    public var maxVerificationPingsInFlight = 64
    /// How often `tick` expires storage, pings questionable nodes and refreshes buckets.
    public var maintenanceInterval: DHTDuration = .seconds(30)
    /// Bucket-refresh lookups run at the same time, at most.
    public var maxConcurrentRefreshes = 4

    // MARK: Queries and lookups

    /// How long we wait for an answer to one query.
    public var queryTimeout: DHTDuration = .seconds(2)
    /// α: queries one lookup keeps in flight.
    public var lookupParallelism = 3
    /// How many closest nodes a lookup must hear from before it ends, and how many nodes
    /// receive an announce or a put. Also the number of nodes we return in answers.
    public var lookupClosestCount = 8
    /// Extra attempts for a lookup query that timed out before the node counts as failed.
    /// Two: with 5% datagram loss one retry leaves 8% of lookups short of an exact answer
    /// (0.0975² per node, over 8 nodes); two bring it to 1% (Docs/simulation.md).
    public var lookupRetries = 2
    /// Candidates one lookup remembers; farther ones beyond this are forgotten.
    public var lookupCandidateLimit = 128
    /// Peers one get_peers lookup collects before it stops adding more.
    public var lookupMaxPeers = 2_000

    // MARK: Storage served to others

    /// Write tokens: secret rotation period (BEP 5 suggests 5 minutes; the previous secret
    /// stays valid, so a token lives 5 to 10 minutes).
    public var tokenRotationInterval: DHTDuration = .minutes(5)
    /// An announced peer is forgotten this long after its last announce (BEP 5: 30 minutes).
    public var peerLifetime: DHTDuration = .minutes(30)
    /// Peers stored per info-hash; the oldest is evicted for a new one.
    public var maxPeersPerInfoHash = 2_000
    /// Peers stored over all info-hashes; the oldest announce anywhere is evicted first.
    public var maxPeersTotal = 100_000
    /// Peers returned in one get_peers answer: 50 compact IPv6 peers (950 bytes) still fit
    /// in one UDP datagram with the rest of the response.
    public var maxPeersPerResponse = 50
    /// A BEP 44 item is dropped this long after its last put (BEP 44: 2 hours).
    public var itemLifetime: DHTDuration = .minutes(120)
    /// BEP 44 items stored at most; the least recently put is evicted first.
    public var maxItems = 10_000
    /// Bytes of item values (bencoded `v`) stored at most.
    public var maxItemBytes = 8 * 1024 * 1024

    // MARK: Signed peers (draft BEP)

    /// Whether `get_signed_peers` and `announce_signed_peer` are served; off, they get 204.
    public var answersSignedPeerQueries = true
    /// A signed peer is forgotten this long after the announce that stored it, as peers are.
    public var signedPeerLifetime: DHTDuration = .minutes(30)
    /// Signed peers stored per info-hash; the least recently stored is evicted for a new one.
    public var maxSignedPeersPerInfoHash = 500
    /// Signed peers stored over all info-hashes; the least recently stored goes first.
    public var maxSignedPeersTotal = 50_000
    /// Records in one answer: the draft's 10 records of 104 bytes fit one datagram with the rest.
    public var maxSignedPeersPerResponse = 10
    /// How far an announce's timestamp may be from our clock, either way (the draft: 45 s).
    public var signedPeerTimestampTolerance: DHTDuration = .seconds(45)

    // MARK: Abuse limits (Docs/dht.md, "Abuse limits")

    /// Unsolicited datagrams (queries and garbage; never answers to our own queries) one IP
    /// may send per second, sustained: libtorrent's dos blocker allows 5 (50 in 10 s) of all
    /// packets, answers included; we count less, so allow twice that. 0 turns limiting off.
    public var queryRatePerAddress = 10
    /// How many such datagrams one IP may send at once after a quiet spell: 10 s of the rate.
    public var queryBurstPerAddress = 100
    /// An IP that exceeds its rate is ignored this long, answers included (libtorrent: 5 min).
    public var rateLimitBanDuration: DHTDuration = .minutes(5)
    /// IPs the rate limiter tracks at once; the least recently seen are forgotten first.
    public var rateLimitTrackedAddresses = 10_000
    /// Whether the per-IP limits (rate, and storage per IP below) apply to loopback too. Off,
    /// local tests, benchmarks and single-host networks (which share 127.0.0.1) run free.
    public var limitsLoopback = false
    /// Peers one IP may have announced here (a peer's IP is its announcer's): far above what
    /// one host announces to one node, far below the 2000 of a swarm it could otherwise fill
    /// by announcing many ports.
    public var maxPeersPerAddress = 256
    /// BEP 44 items one IP may be the last putter of: 5 % of `maxItems`.
    public var maxItemsPerAddress = 500
    /// Signed peers one IP may be the last announcer of.
    public var maxSignedPeersPerAddress = 256

    public init() {}
}

extension DHTConfig {
    var lookupSettings: LookupSettings {
        LookupSettings(
            closestCount: lookupClosestCount,
            parallelism: lookupParallelism,
            retries: lookupRetries,
            candidateLimit: lookupCandidateLimit,
            maxPeers: lookupMaxPeers
        )
    }

    var peerStoreSettings: PeerStore.Settings {
        PeerStore.Settings(
            lifetime: peerLifetime,
            maxPeersPerInfoHash: maxPeersPerInfoHash,
            maxPeersTotal: maxPeersTotal,
            maxPeersPerResponse: maxPeersPerResponse,
            maxPeersPerAddress: maxPeersPerAddress,
            limitsLoopback: limitsLoopback
        )
    }

    var itemStoreSettings: ItemStore.Settings {
        ItemStore.Settings(lifetime: itemLifetime, maxItems: maxItems, maxBytes: maxItemBytes,
                           maxItemsPerAddress: maxItemsPerAddress, limitsLoopback: limitsLoopback)
    }

    var rateLimiterSettings: QueryRateLimiter.Settings {
        QueryRateLimiter.Settings(
            ratePerSecond: queryRatePerAddress,
            burst: queryBurstPerAddress,
            banDuration: rateLimitBanDuration,
            maxTrackedAddresses: rateLimitTrackedAddresses,
            limitsLoopback: limitsLoopback
        )
    }
}
