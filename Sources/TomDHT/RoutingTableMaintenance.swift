extension RoutingTable {
    /// Random lookup targets, one inside each bucket that has not changed for
    /// `bucketRefreshInterval`. A driver runs a find_node lookup for each and then calls
    /// `markRefreshed(bucketContaining:at:)`, so an unreachable bucket is not retried on every tick.
    public func bucketsNeedingRefresh(at now: DHTTime, using generator: inout some RandomNumberGenerator) -> [NodeID] {
        buckets.indices.compactMap { index in
            guard now.elapsed(since: buckets[index].lastChanged) >= settings.bucketRefreshInterval else { return nil }
            return randomID(inBucket: index, using: &generator)
        }
    }

    /// Resets a bucket's refresh deadline.
    public mutating func markRefreshed(bucketContaining id: NodeID, at now: DHTTime) {
        buckets[bucketIndex(for: id)].lastChanged = now
    }

    /// The earliest time some bucket will need a refresh, for a driver's next wake-up.
    public var nextRefreshDeadline: DHTTime {
        buckets.map { $0.lastChanged + settings.bucketRefreshInterval }.min() ?? .zero
    }

    /// A uniformly random id within bucket `index`'s range.
    public func randomID(inBucket index: Int, using generator: inout some RandomNumberGenerator) -> NodeID {
        let index = min(max(index, 0), buckets.count - 1)
        if index == buckets.count - 1 {
            // The last bucket covers every id sharing at least `index` bits with ours.
            return NodeID.random(sharingPrefixOf: ownID, length: index, using: &generator)
        }
        // Others share exactly `index` bits: the next bit differs from ours.
        return NodeID.random(sharingPrefixOf: ownID.flippingBit(at: index), length: index + 1, using: &generator)
    }

    /// Nodes worth pinging now (BEP 5): in each full bucket that has replacement candidates
    /// waiting, the least recently seen questionable node. Answering keeps it; failing
    /// (see `recordFailure`) eventually hands its slot to a candidate.
    public func nodesToPing(at now: DHTTime) -> [NodeInfo] {
        buckets.compactMap { bucket in
            guard bucket.nodes.count >= settings.bucketSize, !bucket.replacements.isEmpty else { return nil }
            return bucket.nodes
                .filter { $0.status(at: now, settings: settings) == .questionable }
                .min { $0.lastSeen < $1.lastSeen }?
                .node
        }
    }
}
