import TomDHT

/// Samples routing tables against the truth: do nodes know their own closest neighbours
/// (what lookups converge on), and how many entries point at nodes that left?
struct RoutingHealth {
    struct Sample {
        var time: DHTTime
        var liveNodes: Int
        var readyNodes: Int
        var meanTableSize: Double
        var staleShare: Double
        var closestCoverage: Double
        var healthyShare: Double
    }

    private(set) var samples: [Sample] = []
    private var random: DHTRandom

    init(seed: UInt64) {
        random = DHTRandom(seed: seed)
    }

    mutating func sample(_ context: SimulationContext) {
        let ready = context.population.ready
        let size = min(context.options.healthSampleSize, ready.count)
        var chosen: Set<Int> = []
        var picks: [Int] = []
        while picks.count < size, let pick = ready.randomElement(excluding: chosen, using: &random) {
            chosen.insert(pick)
            picks.append(pick)
        }
        var tableSizes = 0.0
        var entries = 0
        var stale = 0
        var coverage = 0.0
        var healthy = 0
        for index in picks {
            let node = context.network.nodes[index]
            let table = node.routingTable.entries
            let k = node.config.lookupClosestCount
            tableSizes += Double(table.count)
            entries += table.count
            stale += table.filter { context.network.index(of: $0.address) == nil }.count
            let truth = context.trueClosest(to: node.nodeID, count: k, from: index)
            guard !truth.isEmpty else { continue }
            let known = Set(table.map(\.id))
            let covered = truth.filter { known.contains($0) }.count
            coverage += Double(covered) / Double(truth.count)
            if covered >= truth.count - 1 { healthy += 1 }
        }
        let count = Double(max(picks.count, 1))
        samples.append(Sample(
            time: context.now,
            liveNodes: context.population.live.count,
            readyNodes: ready.count,
            meanTableSize: tableSizes / count,
            staleShare: entries == 0 ? 0 : Double(stale) / Double(entries),
            closestCoverage: coverage / count,
            healthyShare: Double(healthy) / count
        ))
    }
}
