/// Why an `announce_signed_peer` was refused. The draft answers every verification failure
/// with 203 (protocol error); the message says which check failed.
public enum SignedPeerRejection: Error, Hashable, Sendable {
    /// `t` is more than the tolerance (45 s) after our clock.
    case timestampInFuture
    /// `t` is more than the tolerance (45 s) before our clock: too old, or a replay.
    case timestampTooOld
    /// `sig` is not a valid signature by `k` of the info-hash and `t`.
    case invalidSignature
    /// The announcing address already has `maxPeersPerAddress` records stored here (202,
    /// a limit of this server rather than a fault of the record).
    case addressQuotaReached

    public var errorCode: KRPCErrorCode {
        self == .addressQuotaReached ? .serverError : .protocolError
    }

    public var message: String {
        switch self {
        case .timestampInFuture: "signed peer timestamp too far in the future"
        case .timestampTooOld: "signed peer timestamp too old"
        case .invalidSignature: "invalid signed peer signature"
        case .addressQuotaReached: "too many signed peers stored from your address"
        }
    }
}

/// Signed peers (draft BEP) announced to us per info-hash, served to `get_signed_peers`.
///
/// Every record is verified before it changes anything: its timestamp must be within
/// `timestampTolerance` of our Unix clock and its signature must hold. One record is kept per
/// (info-hash, public key), the one with the newest timestamp. Records expire `lifetime` after
/// the announce that stored them; a swarm holds at most `maxPeersPerInfoHash` and the store
/// `maxPeersTotal`, the least recently stored record making room in both cases.
public struct SignedPeerStore: Sendable {
    public struct Settings: Sendable, Hashable {
        public var lifetime: DHTDuration
        public var maxPeersPerInfoHash: Int
        public var maxPeersTotal: Int
        public var maxPeersPerResponse: Int
        /// How far `t` may be from our clock, either way (the draft: 45 seconds).
        public var timestampTolerance: DHTDuration
        /// Records one IP may be the last announcer of.
        public var maxPeersPerAddress: Int
        /// Whether `maxPeersPerAddress` applies to loopback addresses too.
        public var limitsLoopback: Bool

        public init(
            lifetime: DHTDuration = .minutes(30),
            maxPeersPerInfoHash: Int = 500,
            maxPeersTotal: Int = 50_000,
            maxPeersPerResponse: Int = 10,
            timestampTolerance: DHTDuration = .seconds(45),
            maxPeersPerAddress: Int = .max,
            limitsLoopback: Bool = false
        ) {
            self.maxPeersPerAddress = max(1, maxPeersPerAddress)
            self.limitsLoopback = limitsLoopback
            self.lifetime = lifetime
            self.maxPeersPerInfoHash = max(1, maxPeersPerInfoHash)
            self.maxPeersTotal = max(1, maxPeersTotal)
            self.maxPeersPerResponse = max(0, maxPeersPerResponse)
            self.timestampTolerance = timestampTolerance
        }
    }

    /// What an accepted announce did.
    public enum Stored: Hashable, Sendable {
        /// A key new to this info-hash.
        case added
        /// The key's record was replaced by one at least as new, and its lifetime restarted.
        case replaced
        /// We hold a newer record for the key, which stays; the announce is still valid, so
        /// it is answered as a success.
        case keptNewer
    }

    struct RecordKey: Hashable, Sendable {
        var infoHash: NodeID
        var publicKey: [UInt8]
    }

    /// One info-hash's records in dense arrays, so a random sample needs no dictionary
    /// iteration (whose order differs between processes).
    struct Swarm: Sendable {
        var peers: [SignedPeer] = []
        var storedAt: [DHTTime] = []
        var stamps: [UInt64] = []
        var indexByKey: [[UInt8]: Int] = [:]

        mutating func append(_ peer: SignedPeer, now: DHTTime, stamp: UInt64) {
            indexByKey[peer.publicKey] = peers.count
            peers.append(peer)
            storedAt.append(now)
            stamps.append(stamp)
        }

        /// The least recently stored record.
        var oldestIndex: Int? {
            storedAt.indices.min { (storedAt[$0], stamps[$0]) < (storedAt[$1], stamps[$1]) }
        }

        mutating func remove(at index: Int) {
            indexByKey[peers[index].publicKey] = nil
            let last = peers.count - 1
            if index != last {
                peers[index] = peers[last]
                storedAt[index] = storedAt[last]
                stamps[index] = stamps[last]
                indexByKey[peers[index].publicKey] = index
            }
            peers.removeLast()
            storedAt.removeLast()
            stamps.removeLast()
        }
    }

    public let settings: Settings
    private var swarms: [NodeID: Swarm] = [:]
    private var age = AgeQueue<RecordKey>()
    private var quota: AddressQuota<RecordKey>
    public private(set) var count = 0

    public init(settings: Settings = Settings()) {
        self.settings = settings
        self.quota = AddressQuota(maxPerAddress: settings.maxPeersPerAddress, limitsLoopback: settings.limitsLoopback)
    }

    /// Live records last announced from `ip` (the per-address quota's count).
    public func recordCount(ofAddress ip: IPAddress) -> Int {
        quota.count(of: ip)
    }

    /// Number of info-hashes with at least one record.
    public var infoHashCount: Int { swarms.count }

    /// Verifies `peer` for `infoHash` against our Unix clock (`unixTime`, microseconds) and
    /// stores it unless we already hold a newer record of the same key.
    public mutating func announce(
        _ peer: SignedPeer,
        for infoHash: NodeID,
        unixTime: Int64,
        from source: IPAddress? = nil,
        now: DHTTime
    ) -> Result<Stored, SignedPeerRejection> {
        // The cheap check first: a stale or future record costs no signature verification.
        if let rejection = timestampRejection(peer.timestamp, unixTime: unixTime) { return .failure(rejection) }
        guard peer.isValid(for: infoHash) else { return .failure(.invalidSignature) }

        let existing = swarms[infoHash]?.indexByKey[peer.publicKey]
        if let existing, let swarm = swarms[infoHash], !isExpired(swarm.storedAt[existing], now: now),
           swarm.peers[existing].timestamp > peer.timestamp {
            return .success(.keptNewer)
        }
        let key = RecordKey(infoHash: infoHash, publicKey: peer.publicKey)
        guard quota.admits(key, by: source) else { return .failure(.addressQuotaReached) }
        let stamp = age.push(key)
        let outcome: Stored
        if let existing {
            // Mutated in place through the subscript, so the swarm's arrays are not copied.
            swarms[infoHash]?.peers[existing] = peer
            swarms[infoHash]?.storedAt[existing] = now
            swarms[infoHash]?.stamps[existing] = stamp
            outcome = .replaced
        } else {
            if let swarm = swarms[infoHash], swarm.peers.count >= settings.maxPeersPerInfoHash, let oldest = swarm.oldestIndex {
                quota.removed(RecordKey(infoHash: infoHash, publicKey: swarm.peers[oldest].publicKey))
                swarms[infoHash]?.remove(at: oldest)
                count -= 1
            }
            swarms[infoHash, default: Swarm()].append(peer, now: now, stamp: stamp)
            count += 1
            outcome = .added
        }
        quota.stored(key, by: source)
        while count > settings.maxPeersTotal, let slot = age.oldest {
            if isLive(slot.key, slot.stamp) { remove(slot.key) }
            age.dropOldest()
        }
        if age.needsCompaction(liveCount: count) {
            let live = age.pendingSlots.filter { isLive($0.key, $0.stamp) }
            age.replaceSlots(with: live)
        }
        return .success(outcome)
    }

    /// Up to `maxPeersPerResponse` live records of the swarm, chosen at random so that every
    /// record gets handed out over repeated requests.
    public func peers(for infoHash: NodeID, now: DHTTime, using generator: inout some RandomNumberGenerator) -> [SignedPeer] {
        guard let swarm = swarms[infoHash] else { return [] }
        var live = swarm.peers.indices.filter { !isExpired(swarm.storedAt[$0], now: now) }
        let wanted = min(settings.maxPeersPerResponse, live.count)
        // A partial Fisher-Yates shuffle: only the first `wanted` positions are drawn.
        for position in 0..<wanted {
            let pick = Int.random(in: position..<live.count, using: &generator)
            live.swapAt(position, pick)
        }
        return live.prefix(wanted).map { swarm.peers[$0] }
    }

    /// All live records of one swarm, in no particular order; for tests and status pages.
    public func allPeers(for infoHash: NodeID, now: DHTTime) -> [SignedPeer] {
        guard let swarm = swarms[infoHash] else { return [] }
        return swarm.peers.indices.filter { !isExpired(swarm.storedAt[$0], now: now) }.map { swarm.peers[$0] }
    }

    /// Forgets every record stored longer than `lifetime` ago.
    public mutating func removeExpired(now: DHTTime) {
        while let slot = age.oldest {
            if isLive(slot.key, slot.stamp) {
                // Slots are in storing order: the first live unexpired record ends the sweep.
                guard let swarm = swarms[slot.key.infoHash], let index = swarm.indexByKey[slot.key.publicKey],
                      isExpired(swarm.storedAt[index], now: now)
                else { return }
                remove(slot.key)
            }
            age.dropOldest()
        }
    }

    /// Nil when `timestamp` is within the tolerance of `unixTime`, both in microseconds.
    func timestampRejection(_ timestamp: Int64, unixTime: Int64) -> SignedPeerRejection? {
        let tolerance = Int64(clamping: settings.timestampTolerance.nanoseconds / 1_000)
        let (difference, overflow) = timestamp.subtractingReportingOverflow(unixTime)
        if overflow { return timestamp > unixTime ? .timestampInFuture : .timestampTooOld }
        if difference > tolerance { return .timestampInFuture }
        if difference < -tolerance { return .timestampTooOld }
        return nil
    }

    private func isExpired(_ storedAt: DHTTime, now: DHTTime) -> Bool {
        now.elapsed(since: storedAt) >= settings.lifetime
    }

    private func isLive(_ key: RecordKey, _ stamp: UInt64) -> Bool {
        guard let swarm = swarms[key.infoHash], let index = swarm.indexByKey[key.publicKey] else { return false }
        return swarm.stamps[index] == stamp
    }

    private mutating func remove(_ key: RecordKey) {
        guard let index = swarms[key.infoHash]?.indexByKey[key.publicKey] else { return }
        swarms[key.infoHash]?.remove(at: index)
        quota.removed(key)
        count -= 1
        if swarms[key.infoHash]?.peers.isEmpty == true { swarms[key.infoHash] = nil }
    }
}
