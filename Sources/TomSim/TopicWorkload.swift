import TomDHT

/// Topic membership, as ToM rosters use the DHT: `members` ToM nodes announce_peer to a
/// topic's info-hash, then `queries` other ToM nodes get_peers it. A get_peers succeeds when
/// it returns every member whose announce was stored.
struct TopicWorkload: Workload {
    static let announcePort: UInt16 = 7000
    /// Pause between the last announce of a topic and its first query.
    static let settleTime = DHTDuration.seconds(2)

    private struct Topic {
        var infoHash: NodeID
        var members: [Int] = []
        var announcesPending = 0
        var announced: Set<DHTAddress> = []
    }

    /// Tags: a topic's number times 2, plus 1 for its queries.
    let count: Int
    let membersPerTopic: Int
    let queriesPerTopic: Int
    var index = 0
    private var topics: [Topic] = []
    private var pendingTimers = 0
    private var busy = 0
    private var queriesDone = 0
    private var queriesFindingAll = 0

    init(count: Int, members: Int, queries: Int) {
        self.count = count
        self.membersPerTopic = members
        self.queriesPerTopic = queries
    }

    var isIdle: Bool { pendingTimers == 0 && busy == 0 }

    mutating func begin(_ context: inout SimulationContext, workload: Int) {
        index = workload
        guard count > 0 else { return }
        let span = context.measuredEnd.elapsed(since: context.measuredStart).nanoseconds * 6 / 10
        for number in 0..<count {
            topics.append(Topic(infoHash: NodeID.random(using: &context.random)))
            schedule(number * 2, at: context.measuredStart + DHTDuration(nanoseconds: span / UInt64(count) * UInt64(number)), &context)
        }
    }

    mutating func timerFired(tag: Int, _ context: inout SimulationContext) {
        pendingTimers -= 1
        let number = tag / 2
        if tag % 2 == 0 {
            announce(number, &context)
        } else {
            query(number, &context)
        }
    }

    mutating func completed(_ operation: TrackedOperation, outcome: OperationOutcome, _ context: inout SimulationContext) {
        busy -= 1
        let number = operation.tag / 2
        if operation.tag % 2 == 0 {
            var stored = false
            if case .announced(let summary) = outcome {
                stored = summary.stored > 0
                context.record(operation, succeeded: stored, hops: summary.lookup.hops)
            } else {
                context.record(operation, succeeded: false)
            }
            if stored {
                let member = operation.key.node
                topics[number].announced.insert(DHTAddress(ip: context.network.addresses[member].ip, port: Self.announcePort))
            }
            announceFinished(number, &context)
        } else {
            var foundAll = false
            var hops: Int?
            if case .peersFound(let result) = outcome {
                foundAll = topics[number].announced.isSubset(of: Set(result.peers))
                hops = result.hops
            }
            queriesDone += 1
            if foundAll { queriesFindingAll += 1 }
            context.record(operation, succeeded: foundAll, hops: hops)
        }
    }

    mutating func abandoned(_ operation: TrackedOperation, _ context: inout SimulationContext) {
        busy -= 1
        context.record(operation, succeeded: nil)
        if operation.tag % 2 == 0 { announceFinished(operation.tag / 2, &context) }
    }

    func figures(_ context: SimulationContext) -> [Figure] {
        guard count > 0 else { return [] }
        let announced = topics.map { Double($0.announced.count) }
        return [
            Figure("topics", Double(topics.count)),
            Figure("members announced per topic, mean", announced.isEmpty ? 0 : announced.reduce(0, +) / Double(announced.count)),
            Figure("get_peers that found every member", Double(queriesFindingAll)),
            Figure("get_peers run", Double(queriesDone)),
        ]
    }

    // MARK: - Internals

    private mutating func schedule(_ tag: Int, at time: DHTTime, _ context: inout SimulationContext) {
        pendingTimers += 1
        context.setTimer(at: time, workload: index, tag: tag)
    }

    private mutating func announce(_ number: Int, _ context: inout SimulationContext) {
        var members: Set<Int> = []
        for _ in 0..<membersPerTopic {
            guard let member = context.randomToMNode(excluding: members) else { break }
            members.insert(member)
            topics[number].members.append(member)
        }
        topics[number].announcesPending = topics[number].members.count
        let infoHash = topics[number].infoHash
        for member in topics[number].members {
            busy += 1
            context.start("announce", on: member, target: infoHash, workload: index, tag: number * 2) { node, now in
                node.announce(infoHash, port: Self.announcePort, now: now)
            }
        }
        if topics[number].members.isEmpty { announceFinished(number, &context) }
    }

    private mutating func announceFinished(_ number: Int, _ context: inout SimulationContext) {
        topics[number].announcesPending -= 1
        if topics[number].announcesPending <= 0 {
            schedule(number * 2 + 1, at: context.now + Self.settleTime, &context)
        }
    }

    private mutating func query(_ number: Int, _ context: inout SimulationContext) {
        var excluded = Set(topics[number].members)
        let infoHash = topics[number].infoHash
        for _ in 0..<queriesPerTopic {
            guard let reader = context.randomToMNode(excluding: excluded) else { break }
            excluded.insert(reader)
            busy += 1
            context.start("get_peers", on: reader, target: infoHash, workload: index, tag: number * 2 + 1) { node, now in
                node.getPeers(infoHash, now: now)
            }
        }
    }
}
