/// Why a BEP 44 `put` was refused; each case maps to the KRPC error the requester gets.
public enum ItemStoreError: Error, Hashable, Sendable {
    /// The bencoded `v` is longer than 1000 bytes (205).
    case valueTooBig
    /// The salt is longer than 64 bytes (207).
    case saltTooBig
    /// The signature does not verify (206).
    case invalidSignature
    /// A mutable put without `sig` or `seq` (203).
    case missingField(String)
    /// `cas` differs from the stored sequence number (301).
    case casMismatch
    /// `seq` is lower than the stored one, or equal with a different value (302).
    case sequenceNumberNotNewer
    /// The putting address already has `maxItemsPerAddress` items stored here (202).
    case addressQuotaReached

    public var errorCode: KRPCErrorCode {
        switch self {
        case .valueTooBig: .messageTooBig
        case .saltTooBig: .saltTooBig
        case .invalidSignature: .invalidSignature
        case .missingField: .protocolError
        case .casMismatch: .casMismatch
        case .sequenceNumberNotNewer: .sequenceNumberLessThanCurrent
        case .addressQuotaReached: .serverError
        }
    }

    public var message: String {
        switch self {
        case .valueTooBig: "message (v field) too big"
        case .saltTooBig: "salt (salt field) too big"
        case .invalidSignature: "invalid signature"
        case .missingField(let name): "missing \(name) for a mutable item"
        case .casMismatch: "CAS mismatch, re-read value and try again"
        case .sequenceNumberNotNewer: "sequence number less than current"
        case .addressQuotaReached: "too many items stored from your address"
        }
    }
}

/// BEP 44 items stored for others.
///
/// Every put is verified before it changes anything: the target is always derived here
/// (from `v`, or from `k` and `salt`), never taken from the request. Items expire
/// `lifetime` after their last put, and the least recently put item is evicted when the
/// count or the byte budget would be exceeded.
public struct ItemStore: Sendable {
    public struct Settings: Sendable, Hashable {
        public var lifetime: DHTDuration
        public var maxItems: Int
        /// Budget for the bencoded values.
        public var maxBytes: Int
        /// Items one IP may be the last putter of.
        public var maxItemsPerAddress: Int
        /// Whether `maxItemsPerAddress` applies to loopback addresses too.
        public var limitsLoopback: Bool

        public init(
            lifetime: DHTDuration = .minutes(120),
            maxItems: Int = 10_000,
            maxBytes: Int = 8 * 1024 * 1024,
            maxItemsPerAddress: Int = .max,
            limitsLoopback: Bool = false
        ) {
            self.lifetime = lifetime
            self.maxItems = max(1, maxItems)
            self.maxBytes = max(MutableItemSigning.maxValueLength, maxBytes)
            self.maxItemsPerAddress = max(1, maxItemsPerAddress)
            self.limitsLoopback = limitsLoopback
        }
    }

    public struct StoredItem: Hashable, Sendable {
        public var item: DHTItem
        public var storedAt: DHTTime
        var stamp: UInt64
    }

    public let settings: Settings
    private var items: [NodeID: StoredItem] = [:]
    private var age = AgeQueue<NodeID>()
    private var quota: AddressQuota<NodeID>
    public private(set) var totalBytes = 0

    public init(settings: Settings = Settings()) {
        self.settings = settings
        self.quota = AddressQuota(maxPerAddress: settings.maxItemsPerAddress, limitsLoopback: settings.limitsLoopback)
    }

    /// Live items last put from `ip` (the per-address quota's count).
    public func itemCount(ofAddress ip: IPAddress) -> Int {
        quota.count(of: ip)
    }

    public var count: Int { items.count }

    /// The live item under `target`.
    public func item(at target: NodeID, now: DHTTime) -> StoredItem? {
        guard let stored = items[target], !isExpired(stored, now: now) else { return nil }
        return stored
    }

    /// Verifies and stores a `put` from `source` (nil: not accountable to any address, such
    /// as our own data); returns the target it was stored under.
    public mutating func put(_ arguments: PutItemArguments, from source: IPAddress? = nil, now: DHTTime) -> Result<NodeID, ItemStoreError> {
        switch Self.validate(arguments) {
        case .failure(let error):
            return .failure(error)
        case .success(.immutable(let item)):
            guard quota.admits(item.target, by: source) else { return .failure(.addressQuotaReached) }
            store(.immutable(item), by: source, now: now)
            return .success(item.target)
        case .success(.mutable(let item)):
            let target = item.target
            if let existing = self.item(at: target, now: now), case .mutable(let stored) = existing.item {
                if let expected = arguments.expectedSequenceNumber, expected != stored.sequenceNumber {
                    return .failure(.casMismatch)
                }
                if item.sequenceNumber < stored.sequenceNumber {
                    return .failure(.sequenceNumberNotNewer)
                }
                // BEP 44: an equal seq must carry the same value, which then only refreshes
                // the item; a different value under the same seq is refused.
                if item.sequenceNumber == stored.sequenceNumber, item.value != stored.value {
                    return .failure(.sequenceNumberNotNewer)
                }
            }
            guard quota.admits(target, by: source) else { return .failure(.addressQuotaReached) }
            store(.mutable(item), by: source, now: now)
            return .success(target)
        }
    }

    /// The item a put describes, if it passes every check that needs no stored state.
    /// Order matters only for which error wins; sizes first, since they are cheapest.
    static func validate(_ arguments: PutItemArguments) -> Result<DHTItem, ItemStoreError> {
        guard arguments.value.bytes.count <= MutableItemSigning.maxValueLength else { return .failure(.valueTooBig) }
        guard let publicKey = arguments.publicKey else {
            return .success(.immutable(ImmutableItem(value: arguments.value)))
        }
        let salt = arguments.salt ?? []
        guard salt.count <= MutableItemSigning.maxSaltLength else { return .failure(.saltTooBig) }
        guard let signature = arguments.signature else { return .failure(.missingField("sig")) }
        guard let sequenceNumber = arguments.sequenceNumber else { return .failure(.missingField("seq")) }
        let item = MutableItem(
            publicKey: publicKey, salt: salt, sequenceNumber: sequenceNumber,
            value: arguments.value, signature: signature
        )
        guard item.hasValidSignature else { return .failure(.invalidSignature) }
        return .success(.mutable(item))
    }

    /// Drops every item whose last put is older than `lifetime`.
    public mutating func removeExpired(now: DHTTime) {
        while let slot = age.oldest {
            if let stored = items[slot.key], stored.stamp == slot.stamp {
                // Slots are in put order: the first live unexpired item ends the sweep.
                guard isExpired(stored, now: now) else { return }
                remove(slot.key)
            }
            age.dropOldest()
        }
    }

    private mutating func store(_ item: DHTItem, by source: IPAddress?, now: DHTTime) {
        let target = item.target
        remove(target)
        let stamp = age.push(target)
        items[target] = StoredItem(item: item, storedAt: now, stamp: stamp)
        quota.stored(target, by: source)
        totalBytes += item.value.bytes.count
        while items.count > settings.maxItems || totalBytes > settings.maxBytes, let slot = age.oldest {
            if let stored = items[slot.key], stored.stamp == slot.stamp { remove(slot.key) }
            age.dropOldest()
        }
        if age.needsCompaction(liveCount: items.count) {
            let live = age.pendingSlots.filter { items[$0.key]?.stamp == $0.stamp }
            age.replaceSlots(with: live)
        }
    }

    private mutating func remove(_ target: NodeID) {
        guard let stored = items.removeValue(forKey: target) else { return }
        quota.removed(target)
        totalBytes -= stored.item.value.bytes.count
    }

    private func isExpired(_ stored: StoredItem, now: DHTTime) -> Bool {
        now.elapsed(since: stored.storedAt) >= settings.lifetime
    }
}
