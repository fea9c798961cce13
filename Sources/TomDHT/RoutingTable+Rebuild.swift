extension RoutingTable {
    /// The same nodes arranged around `newID`, for when our own id changes (BEP 42).
    ///
    /// Bucket ranges depend on our id, so the table is built anew and every node offered
    /// again with its history: confirmed nodes first (most recently seen first), then the
    /// unconfirmed ones, then the old replacement candidates, so that where buckets overflow
    /// the nodes known to answer keep the live slots. Bad nodes are dropped.
    public func rebuilt(around newID: NodeID, at now: DHTTime) -> RoutingTable {
        var table = RoutingTable(ownID: newID, settings: settings, now: now)
        let usable = entries.filter { !$0.isBad(settings: settings) }
        let candidates = buckets.flatMap(\.replacements).filter { !$0.isBad(settings: settings) }
        let ordered = Self.byTrust(usable) + Self.byTrust(candidates)
        for entry in ordered {
            table.reinsert(entry, at: now)
        }
        return table
    }

    /// Confirmed before unconfirmed, then the most recently seen first; ties by id, so the
    /// order is the same in every run.
    private static func byTrust(_ entries: [RoutingTableEntry]) -> [RoutingTableEntry] {
        entries.sorted { lhs, rhs in
            if lhs.isConfirmed != rhs.isConfirmed { return lhs.isConfirmed }
            if lhs.lastSeen != rhs.lastSeen { return lhs.lastSeen > rhs.lastSeen }
            return lhs.id < rhs.id
        }
    }

    /// Offers `entry` as an unverified node, then gives the slot it took (live or as a
    /// replacement candidate) the history it had, so a confirmed node stays confirmed.
    private mutating func reinsert(_ entry: RoutingTableEntry, at now: DHTTime) {
        if case .rejected = insertUnverified(entry.node, at: now) { return }
        let index = bucketIndex(for: entry.id)
        if let slot = buckets[index].nodeIndex(of: entry.id) {
            buckets[index].nodes[slot] = entry
        } else if let slot = buckets[index].replacementIndex(of: entry.id) {
            buckets[index].replacements[slot] = entry
        }
    }
}
