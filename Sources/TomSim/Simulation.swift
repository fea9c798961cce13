import Foundation
import TomDHT

/// Runs the real DHT core (`DHTNode`) for many nodes in one process over the virtual network,
/// through four phases: nodes join one after another, the network warms up (churn already
/// running), the workloads run during the measured phase, and a drain lets the last
/// operations finish. Everything is driven by the seed, so a run replays exactly.
public struct Simulation {
    public let options: SimulationOptions
    var context: SimulationContext
    var workloads: [any Workload]
    var health: RoutingHealth
    private var churnRandom: DHTRandom
    private var nextJoiner = 0
    private var initialJoinsDone: DHTTime?
    private var joinDurations: [Double] = []
    private var joinRetries = 0
    private var measuredPhaseBegun = false
    private var routerIndex = 0
    /// The drain never lasts longer than this after the measured phase.
    static let drainLimit = DHTDuration.seconds(180)

    public init(options: SimulationOptions) {
        self.options = options
        let network = VirtualNetwork(settings: LatencyModel.networkSettings(for: options, seed: options.seed))
        context = SimulationContext(options: options, network: network, random: DHTRandom(seed: options.seed ^ 0x5157_4F52_4B4C_4F41))
        health = RoutingHealth(seed: options.seed ^ 0x4845_414C_5448)
        churnRandom = DHTRandom(seed: options.seed ^ 0x4348_5552_4E)
        workloads = Self.makeWorkloads(options)
    }

    /// The workloads of a run, in the order their operations appear in the report.
    static func makeWorkloads(_ options: SimulationOptions) -> [any Workload] {
        [
            LookupWorkload(count: options.lookups),
            ItemWorkload(count: options.puts),
            TopicWorkload(count: options.topics, members: options.topicMembers, queries: options.topicQueries),
            RosterWorkload(plan: options.roster),
        ]
    }

    /// Runs the whole scenario. `progress` is called often (after every completed operation
    /// and every few simulated seconds); it should throttle itself.
    public mutating func run(progress: (SimulationProgress) -> Void = { _ in }) -> SimulationReport {
        let start = context.now
        context.timers.schedule(.joinNext, at: start)
        context.timers.schedule(.healthSample, at: start + SimulationContext.duration(seconds: options.sampleSeconds))
        context.timers.schedule(.beginMeasuredPhase, at: context.measuredStart)
        if let partition = options.partition {
            let begin = context.measuredStart + SimulationContext.duration(seconds: partition.startSeconds)
            context.timers.schedule(.partitionStart, at: begin)
            context.timers.schedule(.partitionEnd, at: begin + SimulationContext.duration(seconds: partition.durationSeconds))
        }
        let hardEnd = context.measuredEnd + Self.drainLimit
        let slice = DHTDuration.seconds(5)

        while true {
            while let due = context.timers.nextTime, due <= context.now, let (_, timer) = context.timers.popFirst() {
                fire(timer)
            }
            if context.now >= hardEnd { break }
            if context.now >= context.measuredEnd, measuredPhaseBegun, workloads.allSatisfy({ $0.isIdle }) { break }
            let deadline = min(context.timers.nextTime ?? hardEnd, hardEnd, context.now + slice)
            context.network.run(timeout: deadline.elapsed(since: context.now)) { !$0.events.isEmpty }
            context.ledger.record(context.network.takeWatchedTraffic())
            for (node, event) in context.network.takeEvents() {
                dispatch(event, on: node)
            }
            progress(currentProgress(hardEnd: hardEnd))
        }
        // Whatever is still running at the hard end is reported as unfinished.
        for key in context.tracked.keys.sorted(by: { ($0.node, $0.operation) < ($1.node, $1.operation) }) {
            guard let operation = context.tracked.removeValue(forKey: key) else { continue }
            var ended = operation
            ended.cost = context.ledger.end(key)
            context.record(ended, succeeded: false)
        }
        health.sample(context)
        return ReportBuilder.build(
            options: options, context: context, health: health, workloads: workloads,
            joinDurations: joinDurations, joinRetries: joinRetries, initialJoinsDone: initialJoinsDone
        )
    }

    // MARK: - Timers

    private mutating func fire(_ timer: SimulationContext.Timer) {
        switch timer {
        case .joinNext:
            joinNext()
        case .rejoin(let node):
            guard context.population.live.contains(node) else { return }
            bootstrap(node)
        case .churnLeave:
            churnLeave()
            scheduleChurn(.churnLeave)
        case .churnJoin:
            _ = addNode()
            scheduleChurn(.churnJoin)
        case .partitionStart:
            startPartition()
        case .partitionEnd:
            context.network.partitionGroups = []
            context.partitionActive = false
        case .healthSample:
            health.sample(context)
            context.timers.schedule(.healthSample, at: context.now + SimulationContext.duration(seconds: options.sampleSeconds))
        case .beginMeasuredPhase:
            measuredPhaseBegun = true
            for index in workloads.indices {
                workloads[index].begin(&context, workload: index)
            }
        case .workload(let index, let tag):
            workloads[index].timerFired(tag: tag, &context)
        }
    }

    /// Adds the next of the initial nodes; the first is the bootstrap router, the one node
    /// that never leaves (like router.bittorrent.com).
    private mutating func joinNext() {
        let index = addNode()
        if nextJoiner == 0 { routerIndex = index }
        nextJoiner += 1
        if nextJoiner < options.nodes {
            let spacing = SimulationContext.duration(seconds: options.joinSeconds / Double(max(options.nodes - 1, 1)))
            context.timers.schedule(.joinNext, at: context.now + spacing)
        } else {
            initialJoinsDone = context.now
            if options.churnPerHour > 0 {
                scheduleChurn(.churnLeave)
                scheduleChurn(.churnJoin)
            }
        }
    }

    private mutating func addNode() -> Int {
        // The router always runs ToM; others are vanilla with the configured share.
        let vanilla = context.population.count > 0 && Double.random(in: 0..<1, using: &churnRandom) < options.vanillaShare
        var config = DHTConfig()
        if let retries = options.lookupRetries { config.lookupRetries = retries }
        if vanilla {
            // BEP 5 only: no BEP 44, no signed peers (ToM's extensions answer 204).
            config.answersItemQueries = false
            config.answersSignedPeerQueries = false
            config.clientVersion = Array("LT20".utf8)
        }
        let index = context.network.addNode(config: config)
        context.population.added(index, vanilla: vanilla, at: context.now)
        bootstrap(index)
        return index
    }

    /// Bootstraps through the router and one random node that already joined, as a client
    /// with a saved table or a second well-known router would.
    private mutating func bootstrap(_ index: Int) {
        guard index != routerIndex || context.population.count > 1 else {
            // The very first node has nobody to ask; it is ready at once.
            context.population.bootstrapped(index, at: context.now)
            return
        }
        var contacts: [DHTAddress] = []
        if index != routerIndex, context.population.live.contains(routerIndex) {
            contacts.append(context.network.addresses[routerIndex])
        }
        if let other = context.population.ready.randomElement(excluding: [index, routerIndex], using: &churnRandom) {
            contacts.append(context.network.addresses[other])
        }
        context.network.withNode(index) { node, now in node.bootstrap(from: contacts, now: now) }
    }

    private mutating func scheduleChurn(_ timer: SimulationContext.Timer) {
        // Departures and arrivals are Poisson processes, each at `churnPerHour` of the nodes per hour.
        let perSecond = options.churnPerHour * Double(options.nodes) / 3600
        guard perSecond > 0 else { return }
        let uniform = Double.random(in: Double.ulpOfOne..<1, using: &churnRandom)
        context.timers.schedule(timer, at: context.now + SimulationContext.duration(seconds: -log(uniform) / perSecond))
    }

    private mutating func churnLeave() {
        guard let leaver = context.population.live.randomElement(excluding: context.pinned.union([routerIndex]), using: &churnRandom) else { return }
        // Its operations end with it.
        let keys = context.tracked.keys.filter { $0.node == leaver }.sorted { $0.operation < $1.operation }
        for key in keys {
            guard var operation = context.tracked.removeValue(forKey: key) else { continue }
            operation.cost = context.ledger.end(key)
            workloads[operation.workload].abandoned(operation, &context)
        }
        context.network.removeNode(leaver)
        context.population.removed(leaver)
    }

    private mutating func startPartition() {
        guard let partition = options.partition else { return }
        var groups = [UInt8](repeating: 0, count: context.network.nodes.count)
        for index in groups.indices where index != routerIndex {
            if Double.random(in: 0..<1, using: &churnRandom) < partition.share { groups[index] = 1 }
        }
        context.network.partitionGroups = groups
        context.partitionActive = true
    }

    // MARK: - Events

    private mutating func dispatch(_ event: DHTEvent, on node: Int) {
        guard case .operationCompleted(let id, let outcome) = event else { return }
        let key = OperationKey(node: node, operation: id)
        if var operation = context.tracked.removeValue(forKey: key) {
            operation.cost = context.ledger.end(key)
            context.network.watch(node, false)
            workloads[operation.workload].completed(operation, outcome: outcome, &context)
            return
        }
        if case .bootstrapped(let summary) = outcome {
            if summary.contactsAnswered == 0 || summary.routingTableSize == 0 {
                // Nobody answered (lost datagrams, a contact that left): retry, as the
                // driver's join does, after a pause.
                joinRetries += 1
                context.timers.schedule(.rejoin(node: node), at: context.now + .seconds(5))
                return
            }
            if context.population.bootstrappedAt.indices.contains(node), context.population.bootstrappedAt[node] == nil {
                joinDurations.append(Double(context.now.elapsed(since: context.population.joinedAt[node]).nanoseconds) / 1e6)
            }
            context.population.bootstrapped(node, at: context.now)
        }
    }

    private func currentProgress(hardEnd: DHTTime) -> SimulationProgress {
        let phase: String
        if initialJoinsDone == nil {
            phase = "join"
        } else if context.now < context.measuredStart {
            phase = "warmup"
        } else if context.now < context.measuredEnd {
            phase = "measure"
        } else {
            phase = "drain"
        }
        return SimulationProgress(
            phase: phase,
            simulatedSeconds: context.seconds(context.now),
            plannedSeconds: context.seconds(context.measuredEnd),
            liveNodes: context.population.live.count,
            operationsRecorded: context.records.count,
            operationsInFlight: context.tracked.count,
            datagramsSent: context.network.statistics.datagramsSent
        )
    }
}

/// Where a run is, for a progress line.
public struct SimulationProgress: Sendable {
    public var phase: String
    public var simulatedSeconds: Double
    /// The end of the measured phase; the drain may run a little past it.
    public var plannedSeconds: Double
    public var liveNodes: Int
    public var operationsRecorded: Int
    public var operationsInFlight: Int
    public var datagramsSent: Int
}
