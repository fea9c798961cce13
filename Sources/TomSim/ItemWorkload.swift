import Bencode
import TomDHT

/// BEP 44 mutable items signed with Ed25519 keys. Each item is put by one ToM node with
/// seq 1, then updated to seq 2; as soon as the update completes another node gets it, and
/// the get succeeds when it returns seq 2. A failed get is retried every few seconds, which
/// measures how long the update takes to become visible. At the end of the measured phase
/// every item is read once more from yet another node, to see whether churn lost it.
struct ItemWorkload: Workload {
    /// Tags: an item's number times `stride` plus its step.
    private enum Step: Int {
        case putFirst = 0, putUpdate, get, retryGet, finalGet
    }
    private static let stride = 8
    static let retryInterval = DHTDuration.seconds(5)
    static let maxRetries = 6

    private struct Item {
        var key: ItemSigningKey
        var salt: [UInt8]
        /// Chosen when its first put starts.
        var owner: Int?
        var updateStartedAt: DHTTime?
        var updated = false
        var visibleAfter: DHTDuration?
        var retries = 0
    }

    let count: Int
    var index = 0
    private var items: [Item] = []
    private var launched = 0
    private var busy = 0
    private var finalReadsDone = false
    private var pendingTimers = 0

    init(count: Int) {
        self.count = count
    }

    var isIdle: Bool { (launched == count && busy == 0 && pendingTimers == 0 && finalReadsDone) || count == 0 }

    mutating func begin(_ context: inout SimulationContext, workload: Int) {
        index = workload
        guard count > 0 else { return }
        // Puts are spread over the first 60% of the phase, leaving time to read them back.
        let span = context.measuredEnd.elapsed(since: context.measuredStart).nanoseconds * 6 / 10
        for number in 0..<count {
            items.append(Item(key: ItemSigningKey.random(using: &context.random), salt: Array("tom-sim item \(number)".utf8)))
            let at = context.measuredStart + DHTDuration(nanoseconds: span / UInt64(count) * UInt64(number))
            schedule(number, .putFirst, at: at, &context)
        }
        schedule(0, .finalGet, at: context.measuredEnd, &context)
    }

    mutating func timerFired(tag: Int, _ context: inout SimulationContext) {
        pendingTimers -= 1
        let number = tag / Self.stride
        switch Step(rawValue: tag % Self.stride) {
        case .putFirst:
            launched += 1
            guard let owner = context.randomToMNode() else { return }
            items[number].owner = owner
            put(number, sequenceNumber: 1, &context)
        case .retryGet:
            get(number, step: .retryGet, &context)
        case .finalGet:
            finalReadsDone = true
            for item in items.indices where items[item].updated {
                get(item, step: .finalGet, &context)
            }
        default:
            break
        }
    }

    mutating func completed(_ operation: TrackedOperation, outcome: OperationOutcome, _ context: inout SimulationContext) {
        busy -= 1
        let number = operation.tag / Self.stride
        switch Step(rawValue: operation.tag % Self.stride) {
        case .putFirst, .putUpdate:
            guard case .itemStored(let summary) = outcome else {
                context.record(operation, succeeded: false)
                return
            }
            context.record(operation, succeeded: summary.stored > 0, hops: summary.lookup.hops)
            if operation.tag % Self.stride == Step.putFirst.rawValue {
                if summary.stored > 0 { put(number, sequenceNumber: 2, &context) }
            } else if summary.stored > 0 {
                items[number].updated = true
                get(number, step: .get, &context)
            }
        case .get, .retryGet, .finalGet:
            var latest = false
            var hops: Int?
            if case .itemFound(let result) = outcome {
                latest = result.item?.sequenceNumber == 2
                hops = result.hops
            }
            context.record(operation, succeeded: latest, hops: hops)
            guard operation.tag % Self.stride != Step.finalGet.rawValue else { return }
            if latest {
                if items[number].visibleAfter == nil, let started = items[number].updateStartedAt {
                    items[number].visibleAfter = context.now.elapsed(since: started)
                }
            } else if items[number].retries < Self.maxRetries {
                items[number].retries += 1
                schedule(number, .retryGet, at: context.now + Self.retryInterval, &context)
            }
        case nil:
            break
        }
    }

    mutating func abandoned(_ operation: TrackedOperation, _ context: inout SimulationContext) {
        busy -= 1
        context.record(operation, succeeded: nil)
    }

    func figures(_ context: SimulationContext) -> [Figure] {
        let updated = items.filter(\.updated)
        let started = items.filter { $0.owner != nil }
        let visible = updated.compactMap(\.visibleAfter).map { Double($0.nanoseconds) / 1e6 }.sorted()
        var figures = [
            Figure("items put", Double(started.count)),
            Figure("items updated to seq 2", Double(updated.count)),
            Figure("updates visible to another node", Double(visible.count)),
        ]
        if !visible.isEmpty {
            figures.append(Figure("update visible after, p50", Percentiles.value(visible, 0.5), unit: "ms"))
            figures.append(Figure("update visible after, p99", Percentiles.value(visible, 0.99), unit: "ms"))
        }
        return figures
    }

    // MARK: - Internals

    private mutating func schedule(_ number: Int, _ step: Step, at time: DHTTime, _ context: inout SimulationContext) {
        pendingTimers += 1
        context.setTimer(at: time, workload: index, tag: number * Self.stride + step.rawValue)
    }

    private mutating func put(_ number: Int, sequenceNumber: Int64, _ context: inout SimulationContext) {
        let item = items[number]
        guard let owner = item.owner, context.population.live.contains(owner) else { return }
        let value = CanonicalBencode(["n": .integer(Int64(number)), "seq": .integer(sequenceNumber)])
        let signed = MutableItem.signed(value: value, salt: item.salt, sequenceNumber: sequenceNumber, key: item.key)
        let step: Step = sequenceNumber == 1 ? .putFirst : .putUpdate
        if step == .putUpdate { items[number].updateStartedAt = context.now }
        busy += 1
        context.start("put", on: owner, target: signed.target, workload: index, tag: number * Self.stride + step.rawValue) { node, now in
            node.putMutable(signed, now: now)
        }
    }

    private mutating func get(_ number: Int, step: Step, _ context: inout SimulationContext) {
        let item = items[number]
        guard let reader = context.randomToMNode(excluding: Set([item.owner].compactMap { $0 })) else { return }
        let target = ItemTarget.mutable(publicKey: item.key.publicKey, salt: item.salt)
        let kind = switch step {
        case .get: "get"
        case .retryGet: "get (retry)"
        default: "get (end of run)"
        }
        busy += 1
        let salt = item.salt
        context.start(kind, on: reader, target: target, workload: index, tag: number * Self.stride + step.rawValue) { node, now in
            node.get(target, salt: salt, now: now)
        }
    }
}
