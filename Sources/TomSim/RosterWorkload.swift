import TomDHT
import TomGateway
import TomSignaling

/// Roster propagation to virtual legacy clients, through the real gateway logic.
///
/// `plan.gateways` ToM nodes become gateways of one topic, each with its own Ed25519 key. As
/// `GatewayRuntime` does, each announces itself as a signed peer under the topic hash and puts
/// the items its `RosterPublisher` signs (changes within 500 ms go out as one put per page,
/// puts one after the other); every `refreshSeconds` it looks up the topic's signed peers,
/// gets the manifest (page 0) of every member with the `seq` it holds, then every page of a
/// member whose manifest no longer matches what it holds, and feeds each item to its
/// `GatewayDirectory`. Its `ParticipantView` (own clients plus the verified rosters) is what
/// its legacy clients would get. There are no links here: the DHT is the only path.
///
/// Virtual clients register at random gateways over the first two thirds of the measured
/// phase; a share of them leave again (not before every other gateway has shown them). Each
/// registration is timed until every other gateway shows it, each leave until every other
/// gateway has dropped it. Gateways keep refreshing
/// for two refresh intervals past the measured phase, then their final views are compared
/// with the truth. Gateways are pinned: churn never removes them (they are servers).
struct RosterWorkload: Workload {
    static let publishDelay = DHTDuration.milliseconds(500)
    static let announceInterval = DHTDuration.minutes(5)
    static let endpointPort = 3001

    private enum TimerKind: Int {
        case register = 0, leave, publish, cycle
    }
    private static let stride = 4

    /// What an operation this workload started is for.
    private enum Pending {
        case announce(gateway: Int)
        /// `expected`: the gateways whose announce had been stored when the lookup started.
        case members(gateway: Int, expected: Set<GatewayKey>)
        case put(gateway: Int, page: Int, sequenceNumber: Int64)
        /// `expected`: the newest `seq` of the page stored by its owner when the get started.
        case get(gateway: Int, member: GatewayKey, page: Int, expected: Int64?)
    }

    private enum PullStage {
        case manifests, pages
    }

    let plan: RosterPlan?
    var index = 0
    private let topic = Topic(name: "tom-sim")
    private var random = DHTRandom(seed: 0)
    private var gateways: [SimulatedGateway] = []
    private var gatewayOfKey: [GatewayKey: Int] = [:]
    private var stage: [PullStage] = []
    private var registrations: [RosterRegistration] = []
    private var pending: [OperationKey: Pending] = [:]
    private var pendingTimers = 0
    /// No refresh cycle starts at or after this time.
    private var stopAt = DHTTime.zero
    private var publishCost = RosterCost()
    private var pullCost = RosterCost()
    private var itemsRefused = 0
    private var pulledItemsAccepted = 0

    init(plan: RosterPlan?) {
        self.plan = plan
    }

    var isIdle: Bool { pendingTimers == 0 && pending.isEmpty }

    // MARK: - Workload

    mutating func begin(_ context: inout SimulationContext, workload: Int) {
        index = workload
        guard let plan else { return }
        // One draw from the shared generator seeds this workload's own, so its many choices
        // do not shift the other workloads' draws.
        random = DHTRandom(seed: context.random.next())
        let refresh = SimulationContext.duration(seconds: plan.refreshSeconds)
        stopAt = context.measuredEnd + DHTDuration(nanoseconds: min(refresh.nanoseconds * 2, Simulation.drainLimit.nanoseconds * 5 / 6))

        var chosen: Set<Int> = []
        for _ in 0..<plan.gateways {
            guard let node = context.population.readyToM.randomElement(excluding: chosen, using: &random) else { break }
            chosen.insert(node)
            let signingKey = ItemSigningKey.random(using: &random)
            let endpoint = "ws://\(context.network.addresses[node].ip):\(Self.endpointPort)"
            let gateway = SimulatedGateway(
                node: node, signingKey: signingKey, topic: topic, endpoint: endpoint,
                nowMicroseconds: Self.microseconds(context.now))
            gatewayOfKey[gateway.key] = gateways.count
            gateways.append(gateway)
            stage.append(.manifests)
        }
        context.pinned.formUnion(chosen)
        guard gateways.count >= 2 else { return }

        for gateway in gateways.indices {
            // The runtime publishes its (empty) roster at start, then refreshes every interval.
            publish(gateways[gateway].publisher.currentItems, at: gateway, &context)
            let stagger = DHTDuration(nanoseconds: UInt64.random(in: 0..<max(refresh.nanoseconds, 1), using: &random))
            schedule(.cycle, gateway, at: context.now + stagger, &context)
        }
        planRegistrations(plan, refresh: refresh, &context)
    }

    mutating func timerFired(tag: Int, _ context: inout SimulationContext) {
        pendingTimers -= 1
        let number = tag / Self.stride
        switch TimerKind(rawValue: tag % Self.stride) {
        case .register: register(number, &context)
        case .leave:
            // A client leaves only once every other gateway has shown it, so every
            // registration's convergence is measured in full.
            if registrations[number].converged == nil {
                registrations[number].leaveDeferred = true
            } else {
                leave(number, &context)
            }
        case .publish: flushPublication(number, &context)
        case .cycle: startCycle(number, &context)
        case nil: break
        }
    }

    mutating func completed(_ operation: TrackedOperation, outcome: OperationOutcome, _ context: inout SimulationContext) {
        guard let purpose = pending.removeValue(forKey: operation.key) else { return }
        switch purpose {
        case .announce(let gateway):
            pullCost.add(operation.cost)
            var stored = false
            var hops: Int?
            if case .signedPeerAnnounced(let summary) = outcome {
                stored = summary.stored > 0
                hops = summary.lookup.hops
            }
            gateways[gateway].announceStored = stored
            gateways[gateway].lastAnnounce = context.now
            context.record(operation, succeeded: stored, hops: hops)
            lookUpMembers(gateway, &context)
        case .members(let gateway, let expected):
            pullCost.add(operation.cost)
            var found: Set<GatewayKey> = []
            var hops: Int?
            if case .signedPeersFound(let result) = outcome {
                found = Set(result.signedPeers.compactMap { GatewayKey($0.publicKey) })
                hops = result.hops
            }
            found.remove(gateways[gateway].key)
            gateways[gateway].members.formUnion(found)
            context.record(operation, succeeded: expected.isSubset(of: found), hops: hops)
            pullManifests(gateway, &context)
        case .put(let gateway, let page, let sequenceNumber):
            publishCost.add(operation.cost)
            var stored = false
            var hops: Int?
            if case .itemStored(let summary) = outcome {
                stored = summary.stored > 0
                hops = summary.lookup.hops
            }
            if stored {
                gateways[gateway].storedSequenceNumbers[page] = max(gateways[gateway].storedSequenceNumbers[page] ?? .min, sequenceNumber)
            }
            context.record(operation, succeeded: stored, hops: hops)
            gateways[gateway].putting = false
            putNext(gateway, &context)
        case .get(let gateway, let member, let page, let expected):
            pullCost.add(operation.cost)
            var hops: Int?
            if case .itemFound(let result) = outcome {
                hops = result.hops
                if case .mutable(let item)? = result.item { take(item, at: gateway, &context) }
            }
            let held = gateways[gateway].heldSequenceNumber(of: member, page: page)
            let current = expected.map { wanted in (held ?? .min) >= wanted } ?? true
            context.record(operation, succeeded: current, hops: hops)
            pullFinished(gateway, &context)
        }
    }

    mutating func abandoned(_ operation: TrackedOperation, _ context: inout SimulationContext) {
        // Gateways are pinned, so this only happens if pinning is ever lifted; keep the
        // bookkeeping right anyway.
        guard let purpose = pending.removeValue(forKey: operation.key) else { return }
        context.record(operation, succeeded: nil)
        switch purpose {
        case .put(let gateway, _, _):
            publishCost.add(operation.cost)
            gateways[gateway].putting = false
        case .get(let gateway, _, _, _):
            pullCost.add(operation.cost)
            gateways[gateway].pullsInFlight -= 1
        case .announce, .members:
            pullCost.add(operation.cost)
        }
    }

    func figures(_ context: SimulationContext) -> [Figure] {
        guard plan != nil else { return [] }
        let minutes = max(context.seconds(context.now) - context.seconds(context.measuredStart), 1) / 60
        return RosterFigures.make(
            gateways: gateways, registrations: registrations, publish: publishCost, pull: pullCost,
            accepted: pulledItemsAccepted, refused: itemsRefused, minutes: minutes)
    }

    // MARK: - Registrations (the truth)

    private mutating func planRegistrations(_ plan: RosterPlan, refresh: DHTDuration, _ context: inout SimulationContext) {
        let phase = context.measuredEnd.elapsed(since: context.measuredStart).nanoseconds
        let span = max(phase * 2 / 3, 1)
        // A client that leaves stays at least two refresh intervals, so it can converge first.
        let minimumStay = refresh.nanoseconds * 2
        var times = (0..<plan.registrations).map { _ in UInt64.random(in: 0..<span, using: &random) }
        times.sort()
        for (number, offset) in times.enumerated() {
            let registerAt = context.measuredStart + DHTDuration(nanoseconds: offset)
            let leaves = Double.random(in: 0..<1, using: &random) < plan.leaveShare
            let stayRoom = phase > offset + minimumStay ? phase - offset - minimumStay : 0
            let stay = minimumStay + UInt64.random(in: 0...stayRoom, using: &random)
            let gateway = Int.random(in: 0..<gateways.count, using: &random)
            let participant = Participant(
                nodeId: Self.hex(bytes: 16, using: &random),
                username: "sim-user-\(number)",
                publicKey: Self.hex(bytes: 32, using: &random))
            registrations.append(RosterRegistration(
                participant: participant, gateway: gateway, registerAt: registerAt,
                leaveAt: leaves && stayRoom > 0 ? registerAt + DHTDuration(nanoseconds: stay) : nil,
                gateways: gateways.count))
            schedule(.register, number, at: registerAt, &context)
            if let leaveAt = registrations[number].leaveAt { schedule(.leave, number, at: leaveAt, &context) }
        }
    }

    private mutating func register(_ number: Int, _ context: inout SimulationContext) {
        let gateway = registrations[number].gateway
        let (entry, items) = gateways[gateway].register(registrations[number].participant, nowMicroseconds: Self.microseconds(context.now))
        registrations[number].entry = entry
        publish(items, at: gateway, &context)
    }

    private mutating func leave(_ number: Int, _ context: inout SimulationContext) {
        let gateway = registrations[number].gateway
        let items = gateways[gateway].leave(nodeId: registrations[number].participant.nodeId, nowMicroseconds: Self.microseconds(context.now))
        registrations[number].leftAt = context.now
        publish(items, at: gateway, &context)
    }

    /// Notes what `observer`'s view shows now; a deferred leave happens once its
    /// registration has converged (if the measured phase is not over).
    private mutating func observe(by observer: Int, _ context: inout SimulationContext) {
        let view = gateways[observer].view
        var leaving: [Int] = []
        for number in registrations.indices where registrations[number].gateway != observer && registrations[number].entry != nil {
            let host = gateways[registrations[number].gateway].key
            registrations[number].observe(by: observer, shown: view.byNodeId[registrations[number].participant.nodeId], host: host, now: context.now)
            if registrations[number].leaveDeferred, registrations[number].converged != nil {
                registrations[number].leaveDeferred = false
                if context.now < context.measuredEnd { leaving.append(number) }
            }
        }
        for number in leaving { leave(number, &context) }
    }

    // MARK: - Publication

    private mutating func publish(_ items: [MutableItem], at gateway: Int, _ context: inout SimulationContext) {
        for item in items { gateways[gateway].unpublished[item.salt] = item }
        guard !gateways[gateway].publishScheduled, !gateways[gateway].unpublished.isEmpty else { return }
        gateways[gateway].publishScheduled = true
        schedule(.publish, gateway, at: context.now + Self.publishDelay, &context)
    }

    private mutating func flushPublication(_ gateway: Int, _ context: inout SimulationContext) {
        gateways[gateway].publishScheduled = false
        let items = gateways[gateway].unpublished.values.sorted { $0.sequenceNumber < $1.sequenceNumber }
        gateways[gateway].unpublished.removeAll()
        // A queued older version of a page is superseded.
        let salts = Set(items.map(\.salt))
        gateways[gateway].putQueue.removeAll { salts.contains($0.salt) }
        gateways[gateway].putQueue += items
        putNext(gateway, &context)
    }

    private mutating func putNext(_ gateway: Int, _ context: inout SimulationContext) {
        guard !gateways[gateway].putting, !gateways[gateway].putQueue.isEmpty else { return }
        let item = gateways[gateway].putQueue.removeFirst()
        gateways[gateway].putting = true
        let page = topic.rosterPage(salt: item.salt) ?? 0
        let key = context.start("roster put", on: gateways[gateway].node, target: item.target, workload: index, tag: gateway) { node, now in
            node.putMutable(item, now: now)
        }
        pending[key] = .put(gateway: gateway, page: page, sequenceNumber: item.sequenceNumber)
    }

    // MARK: - The refresh cycle: announce when due, members, manifests, stale pages

    private mutating func startCycle(_ gateway: Int, _ context: inout SimulationContext) {
        guard context.now < stopAt else { return }
        let due = gateways[gateway].lastAnnounce.map { !gateways[gateway].announceStored || context.now.elapsed(since: $0) >= Self.announceInterval } ?? true
        if due {
            // In the runtime the announce runs in its own loop; here it opens the cycle, so the
            // two lookups on the topic hash never overlap and each is charged its own traffic.
            let key = gateways[gateway].publisher.key
            let hash = topic.hash
            let operation = context.start("roster announce", on: gateways[gateway].node, target: hash, workload: index, tag: gateway) { node, now in
                node.announceSignedPeer(hash, key: key, now: now)
            }
            pending[operation] = .announce(gateway: gateway)
        } else {
            lookUpMembers(gateway, &context)
        }
    }

    private mutating func lookUpMembers(_ gateway: Int, _ context: inout SimulationContext) {
        let expected = Set(gateways.indices.filter { $0 != gateway && gateways[$0].announceStored }.map { gateways[$0].key })
        let hash = topic.hash
        let operation = context.start("roster members", on: gateways[gateway].node, target: hash, workload: index, tag: gateway) { node, now in
            node.getSignedPeers(hash, now: now)
        }
        pending[operation] = .members(gateway: gateway, expected: expected)
    }

    private mutating func pullManifests(_ gateway: Int, _ context: inout SimulationContext) {
        stage[gateway] = .manifests
        for member in gateways[gateway].members.sorted() {
            pull(member, page: 0, at: gateway, &context)
        }
        if gateways[gateway].pullsInFlight == 0 { finishCycle(gateway, &context) }
    }

    private mutating func pullFinished(_ gateway: Int, _ context: inout SimulationContext) {
        gateways[gateway].pullsInFlight -= 1
        guard gateways[gateway].pullsInFlight == 0 else { return }
        if stage[gateway] == .manifests {
            stage[gateway] = .pages
            for member in gateways[gateway].members.sorted() {
                for page in gateways[gateway].pagesToComplete(of: member) { pull(member, page: page, at: gateway, &context) }
            }
            if gateways[gateway].pullsInFlight > 0 { return }
        }
        finishCycle(gateway, &context)
    }

    private mutating func pull(_ member: GatewayKey, page: Int, at gateway: Int, _ context: inout SimulationContext) {
        let salt = topic.rosterSalt(page: page)
        let target = ItemTarget.mutable(publicKey: member.bytes, salt: salt)
        let held = gateways[gateway].heldSequenceNumber(of: member, page: page)
        let expected = gatewayOfKey[member].flatMap { gateways[$0].storedSequenceNumbers[page] }
        gateways[gateway].pullsInFlight += 1
        let operation = context.start("roster get", on: gateways[gateway].node, target: target, workload: index, tag: gateway) { node, now in
            node.get(target, salt: salt, newerThan: held, now: now)
        }
        pending[operation] = .get(gateway: gateway, member: member, page: page, expected: expected)
    }

    private mutating func finishCycle(_ gateway: Int, _ context: inout SimulationContext) {
        guard let plan else { return }
        let next = context.now + SimulationContext.duration(seconds: plan.refreshSeconds)
        if next < stopAt { schedule(.cycle, gateway, at: next, &context) }
    }

    private mutating func take(_ item: MutableItem, at gateway: Int, _ context: inout SimulationContext) {
        do {
            guard try gateways[gateway].accept(item) else { return }
            pulledItemsAccepted += 1
            observe(by: gateway, &context)
        } catch {
            itemsRefused += 1
        }
    }

    // MARK: - Helpers

    private mutating func schedule(_ kind: TimerKind, _ number: Int, at time: DHTTime, _ context: inout SimulationContext) {
        pendingTimers += 1
        context.setTimer(at: time, workload: index, tag: number * Self.stride + kind.rawValue)
    }

    static func microseconds(_ time: DHTTime) -> Int64 {
        Int64(time.nanoseconds / 1_000)
    }

    static func hex(bytes count: Int, using random: inout DHTRandom) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        for _ in 0..<count {
            let byte = UInt8.random(in: 0...255, using: &random)
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return text
    }
}
