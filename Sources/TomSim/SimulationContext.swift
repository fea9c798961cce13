import TomDHT

/// The state every part of a run shares: the network, who is on it, the operations in
/// flight and what has been recorded. Workloads act on the network only through it.
struct SimulationContext {
    enum Timer: Sendable {
        case joinNext
        case rejoin(node: Int)
        case churnLeave
        case churnJoin
        case partitionStart
        case partitionEnd
        case healthSample
        case beginMeasuredPhase
        case workload(Int, tag: Int)
    }

    let options: SimulationOptions
    var network: VirtualNetwork
    var population = Population()
    var ledger = TrafficLedger()
    var timers = EventQueue<Timer>()
    var tracked: [OperationKey: TrackedOperation] = [:]
    var records: [OperationRecord] = []
    /// Workload choices (origins, targets, keys); churn and sampling have their own
    /// generators, so changing one does not reshuffle the others.
    var random: DHTRandom
    var partitionActive = false
    /// Nodes churn never removes (besides the router): a workload's long-lived servers,
    /// such as the roster workload's gateways.
    var pinned: Set<Int> = []

    let start: DHTTime
    let measuredStart: DHTTime
    let measuredEnd: DHTTime

    var now: DHTTime { network.now }

    init(options: SimulationOptions, network: VirtualNetwork, random: DHTRandom) {
        self.options = options
        self.network = network
        self.random = random
        self.start = network.now
        self.measuredStart = network.now + Self.duration(seconds: options.joinSeconds + options.warmupSeconds)
        self.measuredEnd = measuredStart + Self.duration(seconds: options.durationSeconds)
    }

    static func duration(seconds: Double) -> DHTDuration {
        DHTDuration(nanoseconds: UInt64(max(0, seconds * 1e9).rounded()))
    }

    /// Seconds since the first node joined.
    func seconds(_ time: DHTTime) -> Double {
        Double(time.elapsed(since: start).nanoseconds) / 1e9
    }

    // MARK: - For workloads

    mutating func setTimer(at time: DHTTime, workload: Int, tag: Int) {
        timers.schedule(.workload(workload, tag: tag), at: max(time, now))
    }

    /// Starts an operation on `node`, watches its traffic and remembers it until it completes.
    @discardableResult
    mutating func start(
        _ kind: String,
        on node: Int,
        target: NodeID,
        workload: Int,
        tag: Int,
        _ body: (inout DHTNode, DHTTime) -> OperationID
    ) -> OperationKey {
        network.watch(node, true)
        // The operation's first queries leave inside `withNode`, so the ledger must know it
        // before; its id is only known after, so it is charged under a provisional key.
        let provisional = OperationKey(node: node, operation: OperationID(rawValue: .max))
        ledger.begin(provisional, target: target)
        let operation = network.withNode(node, body)
        ledger.record(network.takeWatchedTraffic())
        let key = OperationKey(node: node, operation: operation)
        ledger.rename(provisional, to: key)
        tracked[key] = TrackedOperation(
            key: key, kind: kind, target: target, workload: workload, tag: tag,
            startedAt: now, duringPartition: partitionActive
        )
        return key
    }

    mutating func record(_ operation: TrackedOperation, succeeded: Bool?, nearlySucceeded: Bool? = nil, hops: Int? = nil) {
        records.append(OperationRecord(
            kind: operation.kind, startedAt: operation.startedAt, finishedAt: now,
            succeeded: succeeded, nearlySucceeded: nearlySucceeded, hops: hops,
            cost: operation.cost, duringPartition: operation.duringPartition
        ))
    }

    /// A random node that finished joining and runs ToM, other than those in `excluded`.
    mutating func randomToMNode(excluding excluded: Set<Int> = []) -> Int? {
        population.readyToM.randomElement(excluding: excluded, using: &random)
    }

    /// The true `count` closest ids to `target` among the nodes that finished joining and
    /// that `origin` can reach (same side of a partition), without `origin` itself.
    func trueClosest(to target: NodeID, count: Int, from origin: Int) -> [NodeID] {
        let groups = network.partitionGroups
        let originGroup = origin < groups.count ? groups[origin] : 0
        let nodes = network.nodes
        return GroundTruth.closest(
            to: target, count: count, among: population.ready.members, ids: { nodes[$0].nodeID },
            excluded: origin,
            include: { groups.isEmpty || ($0 < groups.count ? groups[$0] : 0) == originGroup }
        )
    }
}
