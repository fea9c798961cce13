import TomDHT

/// Turns what a run recorded into its report.
enum ReportBuilder {
    /// Kinds listed first, in this order; any other kind follows in order of appearance.
    static let kindOrder = [
        "find_node", "put", "get", "get (retry)", "get (end of run)", "announce", "get_peers",
        "roster announce", "roster members", "roster put", "roster get",
    ]

    static func build(
        options: SimulationOptions,
        context: SimulationContext,
        health: RoutingHealth,
        workloads: [any Workload],
        joinDurations: [Double],
        joinRetries: Int,
        initialJoinsDone: DHTTime?
    ) -> SimulationReport {
        let statistics = context.network.statistics
        let population = context.population
        let simulatedSeconds = context.seconds(context.now)
        let joinsDone = initialJoinsDone.map(context.seconds) ?? 0

        var kinds: [String] = []
        for record in context.records where !kinds.contains(record.kind) { kinds.append(record.kind) }
        let appearance = kinds
        func rank(_ kind: String) -> (Int, Int) {
            (kindOrder.firstIndex(of: kind) ?? Int.max, appearance.firstIndex(of: kind) ?? Int.max)
        }
        kinds.sort { rank($0) < rank($1) }
        let operations = kinds.map { kind in operationStatistics(kind, records: context.records.filter { $0.kind == kind }) }

        let timeline = timelineSamples(health.samples, records: context.records, context: context)
        // Counted from the last initial join: before it, a sample sees a smaller network.
        let joinsDoneTime = initialJoinsDone ?? context.now
        let healthy = health.samples.first { $0.time >= joinsDoneTime && $0.healthyShare >= 0.95 }
        var convergence = SimulationReport.Convergence(
            joinMilliseconds: DistributionSummary(joinDurations),
            joinRetries: joinRetries,
            routingHealthySeconds: healthy.map { rounded(context.seconds($0.time)) },
            routingHealthyAfterJoinsSeconds: healthy.map { rounded(context.seconds($0.time) - joinsDone) }
        )
        if options.partition != nil {
            let lookups = context.records.filter { $0.kind == "find_node" && $0.succeeded != nil }
            let during = lookups.filter(\.duringPartition)
            let after = lookups.filter { !$0.duringPartition && partitionEnded(before: $0.startedAt, context: context) }
            convergence.lookupSuccessDuringPartition = successRate(during)
            convergence.lookupSuccessAfterPartition = successRate(after)
        }

        let liveNodes = population.live.members.sorted()
        let tomNodes = liveNodes.filter { !population.isVanilla[$0] }
        let items = tomNodes.map { context.network.nodes[$0].itemStore.count }
        let peers = liveNodes.map { context.network.nodes[$0].peerStore.count }
        let storage = SimulationReport.StorageBalance(
            itemsPerToMNode: DistributionSummary(items.map(Double.init)),
            peersPerNode: DistributionSummary(peers.map(Double.init)),
            itemsHistogram: histogram(items, buckets: 10),
            peersHistogram: histogram(peers, buckets: 20)
        )

        let averageLive = Double(max(1, (options.nodes + liveNodes.count) / 2))
        let network = SimulationReport.NetworkFigures(
            nodesEverJoined: population.count,
            liveAtEnd: liveNodes.count,
            vanillaLiveAtEnd: liveNodes.count - tomNodes.count,
            departures: population.departures,
            joinsAfterStart: max(0, population.joins - options.nodes),
            simulatedSeconds: rounded(simulatedSeconds),
            datagramsSent: statistics.datagramsSent,
            datagramsDelivered: statistics.datagramsDelivered,
            datagramsLost: statistics.datagramsLost,
            datagramsPartitioned: statistics.datagramsPartitioned,
            datagramsUndeliverable: statistics.datagramsUndeliverable,
            bytesSent: statistics.bytesSent,
            datagramsPerNodePerMinute: rounded(Double(statistics.datagramsSent) / averageLive / max(simulatedSeconds / 60, 1e-9), places: 2)
        )

        let measuredStart = context.seconds(context.measuredStart)
        let phases = [
            SimulationReport.Phase(name: "join", startSeconds: 0, endSeconds: rounded(joinsDone)),
            SimulationReport.Phase(name: "warmup", startSeconds: rounded(joinsDone), endSeconds: rounded(measuredStart)),
            SimulationReport.Phase(name: "measure", startSeconds: rounded(measuredStart), endSeconds: rounded(context.seconds(context.measuredEnd))),
            SimulationReport.Phase(name: "drain", startSeconds: rounded(context.seconds(context.measuredEnd)), endSeconds: rounded(simulatedSeconds)),
        ]

        return SimulationReport(
            options: options,
            network: network,
            phases: phases,
            operations: operations,
            workloadFigures: workloads.flatMap { $0.figures(context) }.map { Figure($0.name, rounded($0.value), unit: $0.unit) },
            storage: storage,
            convergence: convergence,
            timeline: timeline,
            run: nil
        )
    }

    static func operationStatistics(_ kind: String, records: [OperationRecord]) -> OperationStatistics {
        let finished = records.filter { $0.succeeded != nil }
        let succeeded = finished.filter { $0.succeeded == true }.count
        let hops = finished.compactMap(\.hops).sorted()
        var hopsHistogram = [Int](repeating: 0, count: (hops.last ?? -1) + 1)
        for hop in hops { hopsHistogram[hop] += 1 }
        let latencies = finished.map { Double($0.finishedAt.elapsed(since: $0.startedAt).nanoseconds) / 1e6 }.sorted()
        let near = finished.compactMap(\.nearlySucceeded)
        return OperationStatistics(
            kind: kind,
            started: records.count,
            completed: finished.count,
            succeeded: succeeded,
            abandoned: records.count - finished.count,
            successRate: rounded(finished.isEmpty ? 0 : Double(succeeded) / Double(finished.count), places: 4),
            nearSuccessRate: near.isEmpty ? nil : rounded(Double(near.filter { $0 }.count) / Double(near.count), places: 4),
            hopsHistogram: hopsHistogram,
            hopsMedian: Percentiles.value(hops, 0.5),
            hopsP99: Percentiles.value(hops, 0.99),
            hopsMean: rounded(hops.isEmpty ? 0 : Double(hops.reduce(0, +)) / Double(hops.count)),
            latencyMilliseconds: DistributionSummary(latencies),
            latencyCDF: cdf(latencies),
            messagesPerOperation: DistributionSummary(finished.map { Double($0.cost.messages) }),
            bytesPerOperation: DistributionSummary(finished.map { Double($0.cost.bytes) })
        )
    }

    /// At most about 100 points of the empirical CDF of sorted values.
    static func cdf(_ sorted: [Double]) -> [[Double]] {
        guard !sorted.isEmpty else { return [] }
        let step = max(1, sorted.count / 100)
        var points: [[Double]] = []
        var index = step - 1
        while index < sorted.count {
            points.append([rounded(sorted[index], places: 1), rounded(Double(index + 1) / Double(sorted.count), places: 4)])
            index += step
        }
        if points.last?[1] != 1 { points.append([rounded(sorted[sorted.count - 1], places: 1), 1]) }
        return points
    }

    /// Counts of values 0, 1, ... buckets-2, and everything above in the last bucket.
    static func histogram(_ values: [Int], buckets: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: buckets)
        for value in values { counts[min(max(value, 0), buckets - 1)] += 1 }
        while counts.count > 1, counts.last == 0 { counts.removeLast() }
        return counts
    }

    static func successRate(_ records: [OperationRecord]) -> Double? {
        guard !records.isEmpty else { return nil }
        return rounded(Double(records.filter { $0.succeeded == true }.count) / Double(records.count), places: 4)
    }

    static func partitionEnded(before time: DHTTime, context: SimulationContext) -> Bool {
        guard let partition = context.options.partition else { return false }
        let end = context.measuredStart + SimulationContext.duration(seconds: partition.startSeconds + partition.durationSeconds)
        return time >= end
    }

    static func timelineSamples(_ samples: [RoutingHealth.Sample], records: [OperationRecord], context: SimulationContext) -> [SimulationReport.TimelineSample] {
        let lookups = records.filter { $0.kind == "find_node" && $0.succeeded != nil }.sorted { $0.finishedAt < $1.finishedAt }
        var cursor = 0
        return samples.map { sample in
            var completed = 0
            var succeeded = 0
            while cursor < lookups.count, lookups[cursor].finishedAt <= sample.time {
                completed += 1
                if lookups[cursor].succeeded == true { succeeded += 1 }
                cursor += 1
            }
            return SimulationReport.TimelineSample(
                seconds: rounded(context.seconds(sample.time)),
                liveNodes: sample.liveNodes,
                readyNodes: sample.readyNodes,
                meanTableSize: rounded(sample.meanTableSize, places: 2),
                staleShare: rounded(sample.staleShare, places: 4),
                closestCoverage: rounded(sample.closestCoverage, places: 4),
                healthyShare: rounded(sample.healthyShare, places: 4),
                lookupsCompleted: completed,
                lookupSuccess: completed == 0 ? nil : rounded(Double(succeeded) / Double(completed), places: 4)
            )
        }
    }
}
