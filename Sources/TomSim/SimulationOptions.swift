/// Everything that shapes one simulated run. The same options (seed included) give the same
/// report, byte for byte; the options are echoed in the report so a run can be repeated.
public struct SimulationOptions: Codable, Hashable, Sendable {
    /// Nodes on the network at the start (and, with churn, kept on average).
    public var nodes = 1_000
    public var seed: UInt64 = 1

    // MARK: Network

    /// One-way delay bounds, in milliseconds.
    public var latencyMinMilliseconds = 10
    public var latencyMaxMilliseconds = 150
    public var latencyDistribution = LatencyShape.uniform
    /// Log-normal only: spread of the log of the delay (its median is the geometric mean of the bounds).
    public var latencySigma = 0.6
    /// Chance that any datagram is lost, 0...1.
    public var loss = 0.0
    /// Share of the nodes that leave (silently) and as many that join, per simulated hour.
    public var churnPerHour = 0.0
    /// An optional split of the network during the measured phase.
    public var partition: PartitionPlan?
    /// Share of nodes that behave like BEP 5-only clients: they route and store peers but
    /// answer BEP 44 `get`/`put` with error 204.
    public var vanillaShare = 0.0
    /// Every node's `DHTConfig.lookupRetries` (extra attempts after a lookup query times
    /// out); nil keeps the core's default.
    public var lookupRetries: Int?

    // MARK: Phases (simulated seconds)

    /// Nodes join one after another over this long.
    public var joinSeconds = 60.0
    /// Time between the last join and the measured phase, with churn already running, so
    /// routing tables carry the stale entries a real network has.
    public var warmupSeconds = 120.0
    /// The measured phase: lookups, puts and topics are spread over it.
    public var durationSeconds = 300.0
    /// How often routing-table health is sampled, and the width of the timeline's windows.
    public var sampleSeconds = 30.0
    /// Nodes examined per health sample (their tables are compared with the truth).
    public var healthSampleSize = 100

    // MARK: Workloads

    /// Iterative find_node lookups to random targets from random nodes.
    public var lookups = 200
    /// BEP 44 mutable items: each is put twice (seq 1, then 2) and read back by other nodes.
    public var puts = 20
    /// Topics: `topicMembers` nodes announce_peer to each; `topicQueries` other nodes get_peers it.
    public var topics = 5
    public var topicMembers = 8
    public var topicQueries = 5
    /// Roster propagation to virtual legacy clients through gateways; nil (the default) runs
    /// none, and leaves the report of a run without it as it was.
    public var roster: RosterPlan?

    public init() {}

    public enum LatencyShape: String, Codable, Hashable, Sendable, CaseIterable {
        case uniform
        case lognormal
    }

    /// Problems with the options, as sentences; empty when they can run.
    public var problems: [String] {
        var problems: [String] = []
        if nodes < 2 { problems.append("--nodes must be at least 2") }
        if nodes > 1_000_000 { problems.append("--nodes is at most 1000000") }
        if latencyMinMilliseconds < 0 || latencyMaxMilliseconds < latencyMinMilliseconds {
            problems.append("--latency-ms must be MIN-MAX with 0 <= MIN <= MAX")
        }
        if !(0...1).contains(loss) { problems.append("--loss must be within 0...1") }
        if !(0...100).contains(churnPerHour) { problems.append("--churn must be within 0...100 (share per hour)") }
        if !(0...1).contains(vanillaShare) { problems.append("--vanilla-share must be within 0...1") }
        if !(latencySigma > 0 && latencySigma <= 5) { problems.append("--latency-sigma must be within (0, 5]") }
        for (name, value) in [("--join", joinSeconds), ("--warmup", warmupSeconds), ("--duration", durationSeconds)]
        where !(value >= 0 && value <= 30 * 24 * 3600) {
            problems.append("\(name) must be between 0 and 30 days")
        }
        if !(sampleSeconds >= 1) { problems.append("--sample must be at least 1 second") }
        if lookups < 0 || puts < 0 || topics < 0 || topicMembers < 0 || topicQueries < 0 || healthSampleSize < 0 {
            problems.append("counts must not be negative")
        }
        if let lookupRetries, !(0...5).contains(lookupRetries) { problems.append("--lookup-retries must be within 0...5") }
        if topics > 0, topicMembers < 1 { problems.append("--topic-members must be at least 1 when there are topics") }
        if let partition { problems += partition.problems(duration: durationSeconds) }
        if let roster { problems += roster.problems(nodes: nodes) }
        return problems
    }
}

/// A split of the network: for `durationSeconds` from `startSeconds` (counted from the start
/// of the measured phase), a random `share` of the nodes can reach only each other.
public struct PartitionPlan: Codable, Hashable, Sendable {
    public var startSeconds: Double
    public var durationSeconds: Double
    public var share: Double

    public init(startSeconds: Double, durationSeconds: Double, share: Double) {
        self.startSeconds = startSeconds
        self.durationSeconds = durationSeconds
        self.share = share
    }

    /// Parses `START+LENGTH` or `START+LENGTH:SHARE`, times in seconds with an optional
    /// `s`, `m` or `h` suffix, e.g. `60+120:0.5` or `2m+5m:0.3`. The share defaults to 0.5.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return nil }
        let times = parts[0].split(separator: "+", omittingEmptySubsequences: false)
        guard times.count == 2, let start = Self.seconds(times[0]), let length = Self.seconds(times[1]) else { return nil }
        var share = 0.5
        if parts.count == 2 {
            guard let parsed = Double(parts[1]) else { return nil }
            share = parsed
        }
        self.init(startSeconds: start, durationSeconds: length, share: share)
    }

    /// `90`, `90s`, `2m`, `1.5h` as seconds; nil for anything else.
    public static func seconds(_ text: Substring) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        if let last = text.last, let unit = units[last] {
            return Double(text.dropLast()).map { $0 * unit }.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
        }
        return Double(text).flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
    }

    func problems(duration: Double) -> [String] {
        var problems: [String] = []
        if !(share > 0 && share < 1) { problems.append("--partition share must be strictly between 0 and 1") }
        if !(durationSeconds > 0) { problems.append("--partition length must be positive") }
        if startSeconds > duration { problems.append("--partition starts after the measured phase ends") }
        return problems
    }
}
