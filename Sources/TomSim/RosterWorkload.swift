import TomDHT
import TomGateway
import TomSignaling

/// Roster propagation to virtual legacy clients, through the real gateway logic.
///
/// `plan.gateways` ToM nodes become gateways of one topic, each with its own Ed25519 key. As
/// `GatewayRuntime` does, each announces itself as a signed peer under the topic hash and puts
/// the items its `RosterPublisher` signs (changes within 500 ms go out as one put per page:
/// the entry pages at once, then the manifest); every `refreshSeconds`, start to start, it
/// looks up the topic's signed peers, gets the refresh plan (every member's manifest, every
/// page of a member it holds incomplete) with the `seq` it holds, feeds the items to its
/// `GatewayDirectory`, then in the same cycle gets every page of each member whose roster is
/// now incomplete. Gets and puts run at most 16 at a time. Its `ParticipantView` (own clients
/// plus the verified rosters) is what its legacy clients would get. There are no links here:
/// the DHT is the only path.
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
        case put(gateway: Int, publication: Int, page: Int, sequenceNumber: Int64)
        /// `expected`: the newest `seq` of the page stored by its owner when the get started.
        case get(gateway: Int, request: RosterPullRequest, expected: Int64?)
    }

    let plan: RosterPlan?
    var index = 0
    private let topic = Topic(name: "tom-sim")
    private var random = DHTRandom(seed: 0)
    private var gateways: [SimulatedGateway] = []
    private var gatewayOfKey: [GatewayKey: Int] = [:]
    private var registrations: [RosterRegistration] = []
    private var pending: [OperationKey: Pending] = [:]
    private var pendingTimers = 0
    /// No refresh cycle starts at or after this time.
    private var stopAt = DHTTime.zero
    private var publishCost = RosterCost()
    private var pullCost = RosterCost()
    private var itemsRefused = 0
    private var pulledItemsAccepted = 0
    private var putsSuperseded = 0
    /// How long each refresh cycle took, from its start to its last get.
    private var cycleLengths: [DHTDuration] = []

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
            pull(gateways[gateway].refreshPlan(), isFirst: true, at: gateway, &context)
        case .put(let gateway, let publication, let page, let sequenceNumber):
            publishCost.add(operation.cost)
            var stored = false
            var hops: Int?
            if case .itemStored(let summary) = outcome {
                stored = summary.stored > 0
                hops = summary.lookup.hops
            }
            // Publications overlap (the runtime's do too): a put that finishes after a newer
            // version of its page was stored is refused by the nodes that hold the newer one.
            // The page is current, so that is no failure; it is counted apart.
            let superseded = !stored && (gateways[gateway].storedSequenceNumbers[page] ?? .min) > sequenceNumber
            if superseded { putsSuperseded += 1 }
            if stored {
                gateways[gateway].storedSequenceNumbers[page] = max(gateways[gateway].storedSequenceNumbers[page] ?? .min, sequenceNumber)
                if page == 0 { manifestStored(sequenceNumber, at: gateway, &context) }
            }
            context.record(operation, succeeded: stored || superseded, hops: hops)
            putFinished(gateway, publication: publication, &context)
        case .get(let gateway, let request, let expected):
            pullCost.add(operation.cost)
            var hops: Int?
            var found: MutableItem?
            if case .itemFound(let result) = outcome {
                hops = result.hops
                if case .mutable(let item)? = result.item { found = item }
            }
            // The items are accepted when the whole batch finished; what this get brings is
            // the `seq` it found, or the one held when the batch was planned.
            let newest = max(request.held ?? .min, found?.sequenceNumber ?? .min)
            let current = expected.map { newest >= $0 } ?? true
            context.record(operation, succeeded: current, hops: hops)
            getFinished(gateway, found: found, &context)
        }
    }

    mutating func abandoned(_ operation: TrackedOperation, _ context: inout SimulationContext) {
        // Gateways are pinned, so this only happens if pinning is ever lifted; keep the
        // bookkeeping right anyway.
        guard let purpose = pending.removeValue(forKey: operation.key) else { return }
        context.record(operation, succeeded: nil)
        switch purpose {
        case .put(let gateway, let publication, _, _):
            publishCost.add(operation.cost)
            putFinished(gateway, publication: publication, &context)
        case .get(let gateway, _, _):
            pullCost.add(operation.cost)
            getFinished(gateway, found: nil, &context)
        case .announce, .members:
            pullCost.add(operation.cost)
        }
    }

    func figures(_ context: SimulationContext) -> [Figure] {
        guard plan != nil else { return [] }
        let minutes = max(context.seconds(context.now) - context.seconds(context.measuredStart), 1) / 60
        return RosterFigures.make(
            gateways: gateways, registrations: registrations, publish: publishCost, pull: pullCost,
            accepted: pulledItemsAccepted, refused: itemsRefused, superseded: putsSuperseded,
            cycleLengths: cycleLengths, minutes: minutes)
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
        registrations[number].manifestSequenceNumber = items.first { topic.rosterPage(salt: $0.salt) == 0 }?.sequenceNumber
        publish(items, at: gateway, &context)
    }

    /// Notes when each registration's manifest first reached the DHT.
    private mutating func manifestStored(_ sequenceNumber: Int64, at gateway: Int, _ context: inout SimulationContext) {
        for number in registrations.indices where registrations[number].gateway == gateway && registrations[number].storedAt == nil {
            guard let wanted = registrations[number].manifestSequenceNumber, wanted <= sequenceNumber else { continue }
            registrations[number].storedAt = context.now
        }
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
        // A fixed order (the runtime's is the dictionary's): by `seq`, then by salt.
        let items = gateways[gateway].unpublished.values.sorted {
            $0.sequenceNumber != $1.sequenceNumber ? $0.sequenceNumber < $1.sequenceNumber : $0.salt.lexicographicallyPrecedes($1.salt)
        }
        gateways[gateway].unpublished.removeAll()
        var publication = RosterPublication(items, manifestSalt: topic.rosterSalt(page: 0))
        let number = gateways[gateway].nextPublication
        gateways[gateway].nextPublication += 1
        let puts = publication.start()
        gateways[gateway].publications[number] = publication
        for item in puts { put(item, publication: number, at: gateway, &context) }
    }

    private mutating func putFinished(_ gateway: Int, publication number: Int, _ context: inout SimulationContext) {
        guard var publication = gateways[gateway].publications[number] else { return }
        let puts = publication.finishOne()
        gateways[gateway].publications[number] = publication.isDone ? nil : publication
        for item in puts { put(item, publication: number, at: gateway, &context) }
    }

    private mutating func put(_ item: MutableItem, publication: Int, at gateway: Int, _ context: inout SimulationContext) {
        let page = topic.rosterPage(salt: item.salt) ?? 0
        let key = context.start("roster put", on: gateways[gateway].node, target: item.target, workload: index, tag: gateway) { node, now in
            node.putMutable(item, now: now)
        }
        pending[key] = .put(gateway: gateway, publication: publication, page: page, sequenceNumber: item.sequenceNumber)
    }

    // MARK: - The refresh cycle: announce when due, members, the plan, then stale pages

    private mutating func startCycle(_ gateway: Int, _ context: inout SimulationContext) {
        guard context.now < stopAt else { return }
        gateways[gateway].cycleStartedAt = context.now
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

    /// Starts a batch of gets for `plan` (with the `seq` held of each page now), at most 16
    /// in flight.
    private mutating func pull(_ plan: [(key: GatewayKey, pages: [Int])], isFirst: Bool, at gateway: Int, _ context: inout SimulationContext) {
        var requests: [RosterPullRequest] = []
        for (member, pages) in plan {
            for page in pages {
                requests.append(RosterPullRequest(member: member, page: page, held: gateways[gateway].heldSequenceNumber(of: member, page: page)))
            }
        }
        var batch = RosterPull(requests, isFirst: isFirst)
        let gets = batch.batch.startFirst()
        gateways[gateway].pull = batch
        if gets.isEmpty {
            pullEnded(gateway, &context)
            return
        }
        for request in gets { get(request, at: gateway, &context) }
    }

    private mutating func get(_ request: RosterPullRequest, at gateway: Int, _ context: inout SimulationContext) {
        let salt = topic.rosterSalt(page: request.page)
        let target = ItemTarget.mutable(publicKey: request.member.bytes, salt: salt)
        let expected = gatewayOfKey[request.member].flatMap { gateways[$0].storedSequenceNumbers[request.page] }
        let held = request.held
        let operation = context.start("roster get", on: gateways[gateway].node, target: target, workload: index, tag: gateway) { node, now in
            node.get(target, salt: salt, newerThan: held, now: now)
        }
        pending[operation] = .get(gateway: gateway, request: request, expected: expected)
    }

    private mutating func getFinished(_ gateway: Int, found: MutableItem?, _ context: inout SimulationContext) {
        guard var batch = gateways[gateway].pull else { return }
        if let found { batch.items.append(found) }
        let next = batch.batch.finishOne()
        gateways[gateway].pull = batch
        if let next {
            get(next, at: gateway, &context)
        } else if batch.batch.isDone {
            pullEnded(gateway, &context)
        }
    }

    /// A batch finished: its items are accepted together; after the first, the members whose
    /// roster is now incomplete have all their pages got in the same cycle.
    private mutating func pullEnded(_ gateway: Int, _ context: inout SimulationContext) {
        guard let batch = gateways[gateway].pull else { return }
        gateways[gateway].pull = nil
        if !batch.items.isEmpty {
            let (accepted, refused) = gateways[gateway].accept(batch.items)
            pulledItemsAccepted += accepted
            itemsRefused += refused
            if accepted > 0 { observe(by: gateway, &context) }
        }
        if batch.isFirst {
            let stale = gateways[gateway].refreshPlan().filter { $0.pages != [0] }
            if !stale.isEmpty {
                pull(stale, isFirst: false, at: gateway, &context)
                return
            }
        }
        finishCycle(gateway, &context)
    }

    /// The next cycle starts one interval after this one started, or at once if this one took
    /// longer.
    private mutating func finishCycle(_ gateway: Int, _ context: inout SimulationContext) {
        guard let plan else { return }
        let started = gateways[gateway].cycleStartedAt ?? context.now
        cycleLengths.append(context.now.elapsed(since: started))
        let next = max(started + SimulationContext.duration(seconds: plan.refreshSeconds), context.now)
        if next < stopAt { schedule(.cycle, gateway, at: next, &context) }
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
