/// Peers announced to us per info-hash (BEP 5 `announce_peer`), served to `get_peers`.
///
/// Every bound is enforced on insertion: a swarm holds at most `maxPeersPerInfoHash` peers
/// and the store at most `maxPeersTotal`; in both cases the least recently announced peer
/// makes room. Peers expire `lifetime` after their last announce.
public struct PeerStore: Sendable {
    public struct Settings: Sendable, Hashable {
        public var lifetime: DHTDuration
        public var maxPeersPerInfoHash: Int
        public var maxPeersTotal: Int
        public var maxPeersPerResponse: Int
        /// Peers one IP may have stored over all swarms (a peer's IP is its announcer's).
        public var maxPeersPerAddress: Int
        /// Whether `maxPeersPerAddress` applies to loopback addresses too.
        public var limitsLoopback: Bool

        public init(
            lifetime: DHTDuration = .minutes(30),
            maxPeersPerInfoHash: Int = 2_000,
            maxPeersTotal: Int = 100_000,
            maxPeersPerResponse: Int = 50,
            maxPeersPerAddress: Int = .max,
            limitsLoopback: Bool = false
        ) {
            self.lifetime = lifetime
            self.maxPeersPerInfoHash = max(1, maxPeersPerInfoHash)
            self.maxPeersTotal = max(1, maxPeersTotal)
            self.maxPeersPerResponse = max(0, maxPeersPerResponse)
            self.maxPeersPerAddress = max(1, maxPeersPerAddress)
            self.limitsLoopback = limitsLoopback
        }
    }

    struct PeerKey: Hashable, Sendable {
        var infoHash: NodeID
        var address: DHTAddress
    }

    /// One info-hash's peers in a dense array, so a random sample needs no dictionary
    /// iteration (whose order differs between processes).
    struct Swarm: Sendable {
        var addresses: [DHTAddress] = []
        var announcedAt: [DHTTime] = []
        var stamps: [UInt64] = []
        var indexByAddress: [DHTAddress: Int] = [:]

        /// Adds or refreshes `peer`, evicting the swarm's oldest peer when full. Returns
        /// whether the swarm grew, and the peer evicted to make room.
        mutating func upsert(_ peer: DHTAddress, now: DHTTime, stamp: UInt64, capacity: Int) -> (grew: Bool, evicted: DHTAddress?) {
            if let index = indexByAddress[peer] {
                announcedAt[index] = now
                stamps[index] = stamp
                return (false, nil)
            }
            var evicted: DHTAddress?
            if addresses.count >= capacity, let oldest = announcedAt.indices.min(by: {
                (announcedAt[$0], stamps[$0]) < (announcedAt[$1], stamps[$1])
            }) {
                evicted = addresses[oldest]
                remove(at: oldest)
            }
            indexByAddress[peer] = addresses.count
            addresses.append(peer)
            announcedAt.append(now)
            stamps.append(stamp)
            return (evicted == nil, evicted)
        }

        mutating func remove(at index: Int) {
            indexByAddress[addresses[index]] = nil
            let last = addresses.count - 1
            if index != last {
                addresses[index] = addresses[last]
                announcedAt[index] = announcedAt[last]
                stamps[index] = stamps[last]
                indexByAddress[addresses[index]] = index
            }
            addresses.removeLast()
            announcedAt.removeLast()
            stamps.removeLast()
        }
    }

    public let settings: Settings
    private var swarms: [NodeID: Swarm] = [:]
    private var age = AgeQueue<PeerKey>()
    private var quota: AddressQuota<PeerKey>
    public private(set) var count = 0

    public init(settings: Settings = Settings()) {
        self.settings = settings
        self.quota = AddressQuota(maxPerAddress: settings.maxPeersPerAddress, limitsLoopback: settings.limitsLoopback)
    }

    /// Live peers whose IP is `ip` (the per-address quota's count).
    public func peerCount(ofAddress ip: IPAddress) -> Int {
        quota.count(of: ip)
    }

    /// Number of info-hashes with at least one peer.
    public var infoHashCount: Int { swarms.count }

    /// Records (or refreshes) `peer` as a member of `infoHash`'s swarm. Returns false, and
    /// stores nothing, when the peer is new and its IP already has `maxPeersPerAddress` peers.
    @discardableResult
    public mutating func announce(_ peer: DHTAddress, for infoHash: NodeID, now: DHTTime) -> Bool {
        let key = PeerKey(infoHash: infoHash, address: peer)
        guard quota.admits(key, by: peer.ip) else { return false }
        let stamp = age.push(key)
        // Mutated in place through the subscript: copying a swarm out and back would copy
        // its arrays on every announce.
        let (grew, evicted) = swarms[infoHash, default: Swarm()].upsert(
            peer, now: now, stamp: stamp, capacity: settings.maxPeersPerInfoHash)
        if grew { count += 1 }
        if let evicted { quota.removed(PeerKey(infoHash: infoHash, address: evicted)) }
        quota.stored(key, by: peer.ip)
        while count > settings.maxPeersTotal, let slot = age.oldest {
            if isLive(slot.key, slot.stamp) { remove(slot.key) }
            age.dropOldest()
        }
        if age.needsCompaction(liveCount: count) {
            let live = age.pendingSlots.filter { isLive($0.key, $0.stamp) }
            age.replaceSlots(with: live)
        }
        return true
    }

    /// Up to `maxPeersPerResponse` peers of the swarm, chosen at random so that every peer
    /// gets handed out over repeated requests.
    public func peers(for infoHash: NodeID, now: DHTTime, using generator: inout some RandomNumberGenerator) -> [DHTAddress] {
        guard let swarm = swarms[infoHash] else { return [] }
        var live = swarm.addresses.indices.filter { !isExpired(swarm.announcedAt[$0], now: now) }
        let wanted = min(settings.maxPeersPerResponse, live.count)
        // A partial Fisher-Yates shuffle: only the first `wanted` positions are drawn.
        for position in 0..<wanted {
            let pick = Int.random(in: position..<live.count, using: &generator)
            live.swapAt(position, pick)
        }
        return live.prefix(wanted).map { swarm.addresses[$0] }
    }

    /// All live peers of one swarm, in no particular order; for tests and status pages.
    public func allPeers(for infoHash: NodeID, now: DHTTime) -> [DHTAddress] {
        guard let swarm = swarms[infoHash] else { return [] }
        return swarm.addresses.indices.filter { !isExpired(swarm.announcedAt[$0], now: now) }.map { swarm.addresses[$0] }
    }

    /// Forgets every peer whose last announce is older than `lifetime`.
    public mutating func removeExpired(now: DHTTime) {
        while let slot = age.oldest {
            if isLive(slot.key, slot.stamp) {
                // Slots are in announce order, so the first live one that has not expired
                // means none behind it has either.
                guard let swarm = swarms[slot.key.infoHash], let index = swarm.indexByAddress[slot.key.address],
                      isExpired(swarm.announcedAt[index], now: now)
                else { return }
                remove(slot.key)
            }
            age.dropOldest()
        }
    }

    private func isExpired(_ announcedAt: DHTTime, now: DHTTime) -> Bool {
        now.elapsed(since: announcedAt) >= settings.lifetime
    }

    private func isLive(_ key: PeerKey, _ stamp: UInt64) -> Bool {
        guard let swarm = swarms[key.infoHash], let index = swarm.indexByAddress[key.address] else { return false }
        return swarm.stamps[index] == stamp
    }

    private mutating func remove(_ key: PeerKey) {
        guard let index = swarms[key.infoHash]?.indexByAddress[key.address] else { return }
        swarms[key.infoHash]?.remove(at: index)
        quota.removed(key)
        count -= 1
        if swarms[key.infoHash]?.addresses.isEmpty == true { swarms[key.infoHash] = nil }
    }
}
