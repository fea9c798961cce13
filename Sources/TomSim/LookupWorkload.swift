import TomDHT

/// Iterative find_node lookups to random targets from random ToM nodes, spread evenly over
/// the measured phase. A lookup succeeds when the k nodes it returns are exactly the true k
/// closest among the nodes that finished joining and that its origin can reach.
struct LookupWorkload: Workload {
    let count: Int
    var launched = 0
    var outstanding = 0
    var spacing = DHTDuration.zero
    var firstAt = DHTTime.zero
    /// This workload's number in the run, for its timers and operations.
    var index = 0

    init(count: Int) {
        self.count = count
    }

    var isIdle: Bool { launched == count && outstanding == 0 }

    mutating func begin(_ context: inout SimulationContext, workload: Int) {
        index = workload
        guard count > 0 else { return }
        let span = context.measuredEnd.elapsed(since: context.measuredStart)
        spacing = DHTDuration(nanoseconds: span.nanoseconds / UInt64(count))
        firstAt = context.measuredStart
        context.setTimer(at: firstAt, workload: workload, tag: 0)
    }

    mutating func timerFired(tag: Int, _ context: inout SimulationContext) {
        guard launched < count else { return }
        launched += 1
        if launched < count {
            context.setTimer(at: firstAt + DHTDuration(nanoseconds: spacing.nanoseconds * UInt64(launched)), workload: index, tag: 0)
        }
        guard let origin = context.randomToMNode() else { return }
        let target = NodeID.random(using: &context.random)
        outstanding += 1
        context.start("find_node", on: origin, target: target, workload: index, tag: 0) { node, now in
            node.findNode(target, now: now)
        }
    }

    mutating func completed(_ operation: TrackedOperation, outcome: OperationOutcome, _ context: inout SimulationContext) {
        outstanding -= 1
        guard case .nodesFound(let result) = outcome else {
            context.record(operation, succeeded: false)
            return
        }
        let k = context.network.nodes[operation.key.node].config.lookupClosestCount
        let truth = context.trueClosest(to: operation.target, count: k, from: operation.key.node)
        let found = Set(result.closestNodes.map(\.id))
        let overlap = found.intersection(truth).count
        context.record(
            operation,
            succeeded: found == Set(truth),
            nearlySucceeded: overlap >= truth.count - 1,
            hops: result.hops
        )
    }

    mutating func abandoned(_ operation: TrackedOperation, _ context: inout SimulationContext) {
        outstanding -= 1
        context.record(operation, succeeded: nil)
    }

    func figures(_ context: SimulationContext) -> [Figure] { [] }
}
