import TomDHT

/// One kind of traffic the simulator drives during the measured phase (lookups, BEP 44
/// items, topic membership...).
///
/// This is the extension point for new scenarios (`RosterWorkload`, roster propagation to
/// virtual legacy clients through the gateway logic, is one): a new workload starts operations with
/// `SimulationContext.start`, sets timers with `setTimer`, judges each completed operation
/// against the truth the context knows and records it with `record`. The report then shows
/// its operations (success, hops, latency, messages, bytes) like every other kind, plus the
/// figures it returns from `figures`. Add it to `Simulation.makeWorkloads`.
protocol Workload {
    /// Called once, when the measured phase starts; usually sets the first timer.
    mutating func begin(_ context: inout SimulationContext, workload: Int)
    /// A timer set with `setTimer` fired.
    mutating func timerFired(tag: Int, _ context: inout SimulationContext)
    /// An operation this workload started completed.
    mutating func completed(_ operation: TrackedOperation, outcome: OperationOutcome, _ context: inout SimulationContext)
    /// The origin of an operation left the network before it completed.
    mutating func abandoned(_ operation: TrackedOperation, _ context: inout SimulationContext)
    /// Whether it still has operations or timers ahead (the run ends early when none has).
    var isIdle: Bool { get }
    /// Figures of its own, beyond the per-operation statistics.
    func figures(_ context: SimulationContext) -> [Figure]
}

/// A client operation the simulator follows from start to completion.
struct TrackedOperation: Sendable {
    var key: OperationKey
    /// Short name in the report, e.g. "find_node".
    var kind: String
    var target: NodeID
    var workload: Int
    /// The workload's own reference (an item or topic number, for example).
    var tag: Int
    var startedAt: DHTTime
    /// Filled in when it completes: what its origin sent and received for it.
    var cost = OperationCost()
    /// Whether a partition was in force when it started.
    var duringPartition: Bool
}

/// One finished (or abandoned) operation, as the report aggregates it.
struct OperationRecord: Sendable {
    var kind: String
    var startedAt: DHTTime
    var finishedAt: DHTTime
    /// nil when it was abandoned (its origin left).
    var succeeded: Bool?
    /// find_node: found at least k-1 of the true k closest.
    var nearlySucceeded: Bool?
    var hops: Int?
    var cost: OperationCost
    var duringPartition: Bool
}

/// A named number a workload or the engine reports (a convergence time, a count...).
public struct Figure: Codable, Hashable, Sendable {
    public var name: String
    public var value: Double
    public var unit: String

    public init(_ name: String, _ value: Double, unit: String = "") {
        self.name = name
        self.value = value
        self.unit = unit
    }
}
