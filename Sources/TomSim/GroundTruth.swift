import TomDHT

/// The right answers, computed by brute force over every node the simulator knows is there.
enum GroundTruth {
    /// The `count` ids closest to `target` among `candidates`, closest first, skipping
    /// `excluded` and any node `include` rejects.
    static func closest(
        to target: NodeID,
        count: Int,
        among candidates: [Int],
        ids: (Int) -> NodeID,
        excluded: Int? = nil,
        include: (Int) -> Bool = { _ in true }
    ) -> [NodeID] {
        guard count > 0 else { return [] }
        // A small sorted buffer: most candidates are farther than the current k-th and are
        // rejected with one comparison.
        var best: [(distance: NodeID, id: NodeID)] = []
        best.reserveCapacity(count + 1)
        for index in candidates where index != excluded && include(index) {
            let id = ids(index)
            let distance = id.distance(to: target)
            if best.count == count, !(distance < best[count - 1].distance) { continue }
            var position = best.count
            while position > 0, distance < best[position - 1].distance { position -= 1 }
            best.insert((distance, id), at: position)
            if best.count > count { best.removeLast() }
        }
        return best.map(\.id)
    }
}
