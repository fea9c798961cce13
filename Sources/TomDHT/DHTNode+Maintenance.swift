/// Periodic upkeep run from `tick`: storage expiry, pinging questionable nodes and
/// refreshing buckets nobody has looked into for a while (BEP 5).
extension DHTNode {
    mutating func performMaintenance(now: DHTTime) {
        peerStore.removeExpired(now: now)
        itemStore.removeExpired(now: now)
        signedPeerStore.removeExpired(now: now)
        pingQuestionableNodes(now: now)
        refreshStaleBuckets(now: now)
    }

    /// In full buckets with candidates waiting, the least recently seen questionable node
    /// is pinged: an answer keeps it, silence eventually hands its slot to a candidate.
    private mutating func pingQuestionableNodes(now: DHTTime) {
        let beingPinged = Set(pendingQueries.values.compactMap { pending -> NodeID? in
            if case .verification = pending.purpose { return pending.expectedID }
            return nil
        })
        for node in routingTable.nodesToPing(at: now) where !beingPinged.contains(node.id) {
            guard verificationPingsInFlight < config.maxVerificationPingsInFlight else { return }
            sendQuery(.ping, to: node.address, expectedID: node.id, purpose: .verification(attempt: 1), now: now)
        }
    }

    /// One find_node for a random id inside each stale bucket, a few at a time. Every stale
    /// bucket is marked refreshed either way, so an empty region is not retried every tick.
    private mutating func refreshStaleBuckets(now: DHTTime) {
        guard routingTable.count > 0 else { return }
        let targets = routingTable.bucketsNeedingRefresh(at: now, using: &random)
        for target in targets {
            routingTable.markRefreshed(bucketContaining: target, at: now)
            guard refreshesRunning < config.maxConcurrentRefreshes else { continue }
            refreshesRunning += 1
            _ = startLookup(kind: .refresh, target: target, lookupKind: .findNode, now: now)
        }
    }

    /// After joining, the self-lookup has filled the buckets near our id, but far buckets
    /// only fill when a lookup passes through them. One lookup inside each bucket that is
    /// not full (as libtorrent does after bootstrap) gives the table contacts in every
    /// region, without which answers for far targets could not make progress.
    mutating func refreshSparseBuckets(now: DHTTime) {
        for index in 0..<max(0, routingTable.bucketCount - 1)
        where routingTable.entries(inBucket: index).count < config.routing.bucketSize {
            let target = routingTable.randomID(inBucket: index, using: &random)
            refreshesRunning += 1
            _ = startLookup(kind: .refresh, target: target, lookupKind: .findNode, now: now)
        }
    }
}
