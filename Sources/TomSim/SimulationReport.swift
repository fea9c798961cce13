/// Everything a run measured. Encoded as JSON with sorted keys it is byte-identical for the
/// same options; only `run` (wall time, memory: filled in by tom-sim with --run-info)
/// differs between runs.
public struct SimulationReport: Codable, Hashable, Sendable {
    public var tool = "tom-sim"
    public var reportVersion = 1
    public var options: SimulationOptions
    public var network: NetworkFigures
    public var phases: [Phase]
    public var operations: [OperationStatistics]
    public var workloadFigures: [Figure]
    public var storage: StorageBalance
    public var convergence: Convergence
    public var timeline: [TimelineSample]
    /// Not deterministic; absent unless asked for.
    public var run: RunInformation?

    public struct Phase: Codable, Hashable, Sendable {
        public var name: String
        public var startSeconds: Double
        public var endSeconds: Double
    }

    public struct NetworkFigures: Codable, Hashable, Sendable {
        public var nodesEverJoined: Int
        public var liveAtEnd: Int
        public var vanillaLiveAtEnd: Int
        public var departures: Int
        public var joinsAfterStart: Int
        public var simulatedSeconds: Double
        public var datagramsSent: Int
        public var datagramsDelivered: Int
        public var datagramsLost: Int
        public var datagramsPartitioned: Int
        public var datagramsUndeliverable: Int
        public var bytesSent: Int
        /// Queries sent per live node per simulated minute, over the whole run.
        public var datagramsPerNodePerMinute: Double
    }

    public struct StorageBalance: Codable, Hashable, Sendable {
        /// BEP 44 items held by each live ToM node.
        public var itemsPerToMNode: DistributionSummary
        /// Announced peers held by each live node (all topics).
        public var peersPerNode: DistributionSummary
        /// Nodes holding 0, 1, 2... items (the last bucket collects the rest).
        public var itemsHistogram: [Int]
        public var peersHistogram: [Int]
    }

    public struct Convergence: Codable, Hashable, Sendable {
        /// How long a node's bootstrap took, for every successful one.
        public var joinMilliseconds: DistributionSummary
        /// Bootstraps that reached nobody and were retried.
        public var joinRetries: Int
        /// First sample, at or after the last initial join, at which `healthyShare` reached
        /// 0.95 (seconds since the first node joined).
        public var routingHealthySeconds: Double?
        /// The same, counted from the last initial join (samples come every `sampleSeconds`).
        public var routingHealthyAfterJoinsSeconds: Double?
        /// Lookups during a partition, and after it healed (when there was one).
        public var lookupSuccessDuringPartition: Double?
        public var lookupSuccessAfterPartition: Double?
    }

    public struct TimelineSample: Codable, Hashable, Sendable {
        public var seconds: Double
        public var liveNodes: Int
        public var readyNodes: Int
        /// Of the sampled nodes: mean routing-table size (live buckets, not candidates).
        public var meanTableSize: Double
        /// Share of their table entries that point at nodes that left.
        public var staleShare: Double
        /// Mean number of their own k closest nodes they know, divided by k.
        public var closestCoverage: Double
        /// Share of sampled nodes knowing at least k-1 of their k closest.
        public var healthyShare: Double
        /// find_node lookups that completed in the window ending here, and their success.
        public var lookupsCompleted: Int
        public var lookupSuccess: Double?
    }
}

/// Wall-clock facts of a run, which differ between runs of the same seed.
public struct RunInformation: Codable, Hashable, Sendable {
    public var wallSeconds: Double
    public var phaseWallSeconds: [String: Double]
    /// CPU seconds of the process per phase: on a shared machine, fairer than wall time.
    public var phaseCPUSeconds: [String: Double]
    public var peakResidentMiB: Double
    public var host: String

    public init(wallSeconds: Double, phaseWallSeconds: [String: Double], phaseCPUSeconds: [String: Double], peakResidentMiB: Double, host: String) {
        self.wallSeconds = wallSeconds
        self.phaseWallSeconds = phaseWallSeconds
        self.phaseCPUSeconds = phaseCPUSeconds
        self.peakResidentMiB = peakResidentMiB
        self.host = host
    }
}

/// One kind of operation (find_node, put, get...) over the whole measured phase.
public struct OperationStatistics: Codable, Hashable, Sendable {
    public var kind: String
    public var started: Int
    public var completed: Int
    public var succeeded: Int
    /// Origin left before it completed (not counted in the success rate).
    public var abandoned: Int
    public var successRate: Double
    /// find_node: at least k-1 of the true k closest.
    public var nearSuccessRate: Double?
    /// `hopsHistogram[h]` operations needed h hops.
    public var hopsHistogram: [Int]
    public var hopsMedian: Int
    public var hopsP99: Int
    public var hopsMean: Double
    public var latencyMilliseconds: DistributionSummary
    /// (milliseconds, share of operations completed within it), at most ~100 points.
    public var latencyCDF: [[Double]]
    public var messagesPerOperation: DistributionSummary
    public var bytesPerOperation: DistributionSummary
}
