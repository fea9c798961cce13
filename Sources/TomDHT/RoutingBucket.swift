/// One k-bucket: its live nodes, the candidates waiting to replace them, and when it last changed.
struct RoutingBucket: Sendable {
    var nodes: [RoutingTableEntry] = []
    var replacements: [RoutingTableEntry] = []
    var lastChanged: DHTTime

    init(lastChanged: DHTTime) {
        self.lastChanged = lastChanged
    }

    func nodeIndex(of id: NodeID) -> Int? {
        nodes.firstIndex { $0.id == id }
    }

    func replacementIndex(of id: NodeID) -> Int? {
        replacements.firstIndex { $0.id == id }
    }

    func containsIP(_ ip: IPAddress) -> Bool {
        nodes.contains { $0.address.ip == ip } || replacements.contains { $0.address.ip == ip }
    }

    /// Adds a candidate, evicting an unconfirmed one (or else the oldest) when full.
    mutating func cacheReplacement(_ entry: RoutingTableEntry, capacity: Int) -> Bool {
        guard capacity > 0 else { return false }
        if replacements.count >= capacity {
            let victim = replacements.firstIndex { !$0.isConfirmed } ?? 0
            replacements.remove(at: victim)
        }
        replacements.append(entry)
        return true
    }

    /// Removes and returns the best candidate: confirmed before unconfirmed, then most recently seen.
    mutating func takeBestReplacement() -> RoutingTableEntry? {
        guard !replacements.isEmpty else { return nil }
        var bestIndex = 0
        for index in replacements.indices.dropFirst() {
            let candidate = replacements[index]
            let best = replacements[bestIndex]
            if (candidate.isConfirmed ? 1 : 0, candidate.lastSeen) >= (best.isConfirmed ? 1 : 0, best.lastSeen) {
                bestIndex = index
            }
        }
        return replacements.remove(at: bestIndex)
    }
}
