/// A Kademlia routing table as BEP 5 describes it, as a value type with time passed in.
///
/// Buckets are kept as a list indexed by the length of the prefix a node shares with our
/// own id: bucket `i` holds nodes sharing exactly `i` leading bits, and the last bucket
/// holds everything sharing at least that many, i.e. the range containing our own id.
/// Splitting the last bucket is exactly BEP 5's rule of splitting the bucket that covers
/// our id, without storing explicit ranges.
public struct RoutingTable: Sendable {
    public let ownID: NodeID
    public let settings: RoutingTableSettings
    var buckets: [RoutingBucket]

    public init(ownID: NodeID, settings: RoutingTableSettings = RoutingTableSettings(), now: DHTTime) {
        self.ownID = ownID
        self.settings = settings
        self.buckets = [RoutingBucket(lastChanged: now)]
    }

    /// What happened to a node offered to the table.
    public enum InsertionOutcome: Hashable, Sendable {
        /// Now a live node in its bucket.
        case added
        /// Already known; its history was updated.
        case updated
        /// Took the place of a node that had gone bad.
        case replacedBadNode(NodeInfo)
        /// Its bucket is full of good or questionable nodes; kept as a replacement candidate.
        case cachedAsReplacement
        case rejected(RejectionReason)
    }

    public enum RejectionReason: Hashable, Sendable {
        /// It is us.
        case ownID
        /// We know this id at another address; a second address may be a spoof.
        case addressMismatch
        /// Another node with the same IP is already in the bucket (see `restrictRoutingIPs`).
        case duplicateIP
        /// A BEP 43 read-only node, which never answers queries.
        case readOnly
        /// The bucket and its replacement cache are both full, or caching is disabled.
        case bucketFull
    }

    // MARK: - Recording contact

    /// The node answered one of our queries: it is good, and is added if there is room.
    @discardableResult
    public mutating func recordResponse(from node: NodeInfo, at now: DHTTime) -> InsertionOutcome {
        var sighting = RoutingTableEntry(node: node, firstSeen: now)
        sighting.lastResponse = now
        return consider(sighting, at: now)
    }

    /// The node sent us a query. It stays good if it answered us before; a new node is only
    /// a questionable candidate until it answers one of ours. Read-only nodes (BEP 43) are
    /// served but never added.
    @discardableResult
    public mutating func recordQuery(from node: NodeInfo, at now: DHTTime, isReadOnly: Bool = false) -> InsertionOutcome {
        if isReadOnly { return .rejected(.readOnly) }
        var sighting = RoutingTableEntry(node: node, firstSeen: now)
        sighting.lastQuery = now
        return consider(sighting, at: now)
    }

    /// A node we have not talked to: a bootstrap contact or one restored from a saved table.
    /// It enters as questionable and becomes good once it answers.
    @discardableResult
    public mutating func insertUnverified(_ node: NodeInfo, at now: DHTTime) -> InsertionOutcome {
        consider(RoutingTableEntry(node: node, firstSeen: now), at: now)
    }

    /// One of our queries to `id` went unanswered. When that makes the node bad and a
    /// replacement is waiting, the replacement takes its place and is returned.
    @discardableResult
    public mutating func recordFailure(of id: NodeID, at now: DHTTime) -> NodeInfo? {
        let bucketIndex = bucketIndex(for: id)
        var bucket = buckets[bucketIndex]
        defer { buckets[bucketIndex] = bucket }

        if let index = bucket.replacementIndex(of: id) {
            // Candidates are cheap to lose: drop one as soon as it fails.
            bucket.replacements.remove(at: index)
            return nil
        }
        guard let index = bucket.nodeIndex(of: id) else { return nil }
        bucket.nodes[index].consecutiveFailures += 1
        guard bucket.nodes[index].isBad(settings: settings), let replacement = bucket.takeBestReplacement() else {
            return nil
        }
        bucket.nodes[index] = replacement
        bucket.lastChanged = now
        return replacement.node
    }

    /// Forgets a node entirely, for example after it sent an invalid message.
    public mutating func remove(_ id: NodeID) {
        let bucketIndex = bucketIndex(for: id)
        buckets[bucketIndex].nodes.removeAll { $0.id == id }
        buckets[bucketIndex].replacements.removeAll { $0.id == id }
    }

    // MARK: - Queries

    public func entry(for id: NodeID) -> RoutingTableEntry? {
        let bucket = buckets[bucketIndex(for: id)]
        return bucket.nodeIndex(of: id).map { bucket.nodes[$0] }
    }

    /// Whether `id`, as a live node or a replacement candidate, has ever answered us.
    public func hasConfirmed(_ id: NodeID) -> Bool {
        let bucket = buckets[bucketIndex(for: id)]
        if let index = bucket.nodeIndex(of: id) { return bucket.nodes[index].isConfirmed }
        if let index = bucket.replacementIndex(of: id) { return bucket.replacements[index].isConfirmed }
        return false
    }

    public func contains(_ id: NodeID) -> Bool {
        entry(for: id) != nil
    }

    /// Live nodes, not counting replacement candidates.
    public var count: Int {
        buckets.reduce(0) { $0 + $1.nodes.count }
    }

    public var bucketCount: Int { buckets.count }

    public var entries: [RoutingTableEntry] {
        buckets.flatMap(\.nodes)
    }

    public func entries(inBucket index: Int) -> [RoutingTableEntry] {
        buckets.indices.contains(index) ? buckets[index].nodes : []
    }

    public func replacementCandidates(inBucket index: Int) -> [RoutingTableEntry] {
        buckets.indices.contains(index) ? buckets[index].replacements : []
    }

    /// The `count` live nodes closest to `target` by XOR distance, closest first.
    /// Bad nodes are never returned; `onlyConfirmed` also leaves out nodes that have never
    /// answered us, which is what a response to another node's lookup should contain.
    ///
    /// Buckets are visited nearest first, so most of the table is never looked at: with
    /// `b` the bucket covering `target`, every node in `b` is closer than every node in the
    /// buckets after `b` (which all share exactly `b` leading bits with the target), and those
    /// are closer than the nodes of bucket `b-1`, then `b-2`... Each group is sorted on its own.
    public func closest(to target: NodeID, count: Int, onlyConfirmed: Bool = false, family: AddressFamily? = nil) -> [NodeInfo] {
        guard count > 0 else { return [] }
        var found: [NodeInfo] = []
        found.reserveCapacity(Swift.min(count, 64))
        var group: [(distance: NodeID, node: NodeInfo)] = []

        func take(_ bucketIndices: some Sequence<Int>) {
            group.removeAll(keepingCapacity: true)
            for index in bucketIndices {
                for entry in buckets[index].nodes
                where !entry.isBad(settings: settings) && (!onlyConfirmed || entry.isConfirmed)
                    && (family == nil || entry.address.family == family) {
                    group.append((entry.id.distance(to: target), entry.node))
                }
            }
            group.sort { $0.distance < $1.distance }
            for candidate in group.prefix(count - found.count) { found.append(candidate.node) }
        }

        let nearest = bucketIndex(for: target)
        take(CollectionOfOne(nearest))
        if found.count < count, nearest + 1 < buckets.count { take((nearest + 1)..<buckets.count) }
        var index = nearest - 1
        while found.count < count, index >= 0 {
            take(CollectionOfOne(index))
            index -= 1
        }
        return found
    }

    /// The index of the bucket whose range covers `id`.
    public func bucketIndex(for id: NodeID) -> Int {
        min(ownID.commonPrefixLength(with: id), buckets.count - 1)
    }

    // MARK: - Insertion

    private mutating func consider(_ sighting: RoutingTableEntry, at now: DHTTime) -> InsertionOutcome {
        let id = sighting.id
        guard id != ownID else { return .rejected(.ownID) }

        // A node we know, the common case (every query from a table member): updated in
        // place. Copying the bucket out and back would copy its node array on every query.
        let knownBucket = bucketIndex(for: id)
        if let index = buckets[knownBucket].nodeIndex(of: id) {
            guard buckets[knownBucket].nodes[index].address == sighting.address else { return .rejected(.addressMismatch) }
            buckets[knownBucket].nodes[index].absorb(sighting)
            if sighting.lastResponse != nil { buckets[knownBucket].lastChanged = now }
            return .updated
        }

        // Carries a candidate's cached history across bucket splits.
        var candidate = sighting
        while true {
            let bucketIndex = bucketIndex(for: id)
            var bucket = buckets[bucketIndex]

            if let index = bucket.nodeIndex(of: id) {
                guard bucket.nodes[index].address == sighting.address else { return .rejected(.addressMismatch) }
                bucket.nodes[index].absorb(sighting)
                if sighting.lastResponse != nil { bucket.lastChanged = now }
                buckets[bucketIndex] = bucket
                return .updated
            }

            if let index = bucket.replacementIndex(of: id) {
                guard bucket.replacements[index].address == sighting.address else { return .rejected(.addressMismatch) }
                candidate = bucket.replacements.remove(at: index)
                candidate.absorb(sighting)
            } else if settings.restrictsIP(sighting.address.ip), bucket.containsIP(sighting.address.ip) {
                return .rejected(.duplicateIP)
            }

            if bucket.nodes.count < settings.bucketSize {
                bucket.nodes.append(candidate)
                bucket.lastChanged = now
                buckets[bucketIndex] = bucket
                return .added
            }

            if let badIndex = bucket.nodes.firstIndex(where: { $0.isBad(settings: settings) }) {
                let evicted = bucket.nodes[badIndex].node
                bucket.nodes[badIndex] = candidate
                bucket.lastChanged = now
                buckets[bucketIndex] = bucket
                return .replacedBadNode(evicted)
            }

            if bucketIndex == buckets.count - 1, buckets.count < NodeID.bitCount {
                buckets[bucketIndex] = bucket
                splitLastBucket(at: now)
                continue
            }

            let cached = bucket.cacheReplacement(candidate, capacity: settings.replacementCacheSize)
            buckets[bucketIndex] = bucket
            return cached ? .cachedAsReplacement : .rejected(.bucketFull)
        }
    }

    /// Divides the bucket covering our own id into the half that shares one more bit with
    /// us and the half that does not.
    private mutating func splitLastBucket(at now: DHTTime) {
        let oldIndex = buckets.count - 1
        let old = buckets[oldIndex]
        var far = RoutingBucket(lastChanged: now)
        var near = RoutingBucket(lastChanged: now)
        for entry in old.nodes {
            if ownID.commonPrefixLength(with: entry.id) == oldIndex {
                far.nodes.append(entry)
            } else {
                near.nodes.append(entry)
            }
        }
        for entry in old.replacements {
            if ownID.commonPrefixLength(with: entry.id) == oldIndex {
                far.replacements.append(entry)
            } else {
                near.replacements.append(entry)
            }
        }
        buckets[oldIndex] = far
        buckets.append(near)
        // A split can leave room in a bucket whose candidates were waiting.
        promoteReplacements(inBucket: oldIndex)
        promoteReplacements(inBucket: oldIndex + 1)
    }

    private mutating func promoteReplacements(inBucket index: Int) {
        while buckets[index].nodes.count < settings.bucketSize, let candidate = buckets[index].takeBestReplacement() {
            buckets[index].nodes.append(candidate)
        }
    }
}
