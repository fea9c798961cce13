import TomDHT
import TomGateway
import TomSignaling

/// Roster propagation to virtual legacy clients, through the real gateway logic.
///
/// `plan.gateways` ToM nodes become gateways of one topic, each with its own Ed25519 key. As
/// `GatewayRuntime` does (commit 29f3753), each announces itself as a signed peer under the
/// topic hash and puts the items its `RosterPublisher` signs (changes within 500 ms go out as
/// one put per page: the entry pages at once, 16 at a time, those no node stored once more,
/// then the manifest; publications overlap); every `refreshSeconds`, start to start, it looks
/// up the topic's signed peers and checks the members of its refresh plan 16 at a time, each
/// on its own: its planned pages (usually the manifest) with the `seq` held, 4 gets in flight,
/// fed to its `GatewayDirectory` as they arrive, then every page of it at once if its roster
/// is now incomplete. Its `ParticipantView` (own clients
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
        case register = 0, leave, publish, cycle, requeue
    }
    private static let stride = 5

    /// What an operation this workload started is for.
    private enum Pending {
        case announce(gateway: Int)
        /// `expected`: the gateways whose announce had been stored when the lookup started.
        case members(gateway: Int, expected: Set<GatewayKey>)
        case put(gateway: Int, publication: Int, item: MutableItem, page: Int)
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
    /// Page puts made a second time in the same publication (the first stored nothing).
    private var pagePutsRetried = 0
    /// Pages queued again after a refresh interval (not stored by either try).
    private var pagesRequeued = 0
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
        case .requeue:
            guard !gateways[number].requeued.isEmpty else { break }
            publish(gateways[number].requeued.removeFirst(), at: number, &context)
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
            startPull(gateway, &context)
        case .put(let gateway, let publication, let item, let page):
            let sequenceNumber = item.sequenceNumber
            publishCost.add(operation.cost)
            var stored = false
            var hops: Int?
            if case .itemStored(let summary) = outcome {
                stored = summary.stored > 0
                hops = summary.lookup.hops
            }
            // A page queued again after an interval can meet a newer version of itself stored
            // meanwhile: the nodes that hold the newer refuse it. The page is current, so that
            // is no failure; it is counted apart (the runtime still counts it unstored).
            let superseded = !stored && (gateways[gateway].storedSequenceNumbers[page] ?? .min) > sequenceNumber
            if superseded { putsSuperseded += 1 }
            if stored {
                gateways[gateway].storedSequenceNumbers[page] = max(gateways[gateway].storedSequenceNumbers[page] ?? .min, sequenceNumber)
                if page == 0 { manifestStored(sequenceNumber, at: gateway, &context) }
            }
            context.record(operation, succeeded: stored || superseded, hops: hops)
            advance(gateways[gateway].finishPut(item, stored: stored, publication: publication), at: gateway, &context)
        case .get(let gateway, let request, let expected):
            pullCost.add(operation.cost)
            var hops: Int?
            var found: MutableItem?
            if case .itemFound(let result) = outcome {
                hops = result.hops
                if case .mutable(let item)? = result.item { found = item }
            }
            // The items are accepted when the member's gets all finished; what this get brings
            // is the `seq` it found, or the one held when the member's gets started.
            let newest = max(request.held ?? .min, found?.sequenceNumber ?? .min)
            let current = expected.map { newest >= $0 } ?? true
            context.record(operation, succeeded: current, hops: hops)
            getFinished(gateway, request: request, found: found, &context)
        }
    }

    mutating func abandoned(_ operation: TrackedOperation, _ context: inout SimulationContext) {
        // Gateways are pinned, so this only happens if pinning is ever lifted; keep the
        // bookkeeping right anyway.
        guard let purpose = pending.removeValue(forKey: operation.key) else { return }
        context.record(operation, succeeded: nil)
        switch purpose {
        case .put(let gateway, let publication, let item, _):
            publishCost.add(operation.cost)
            advance(gateways[gateway].finishPut(item, stored: false, publication: publication), at: gateway, &context)
        case .get(let gateway, let request, _):
            pullCost.add(operation.cost)
            getFinished(gateway, request: request, found: nil, &context)
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
            retried: pagePutsRetried, requeued: pagesRequeued,
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

    /// As `GatewayRuntime.schedulePublication`: keeps the newest item of each page; a
    /// publication starts `publishDelay` later unless one is scheduled and not yet started.
    /// One that is putting does not hold the next back (publications overlap, as in 29f3753).
    private mutating func publish(_ items: [MutableItem], at gateway: Int, _ context: inout SimulationContext) {
        guard gateways[gateway].queueForPublication(items) else { return }
        schedule(.publish, gateway, at: context.now + Self.publishDelay, &context)
    }

    private mutating func flushPublication(_ gateway: Int, _ context: inout SimulationContext) {
        advance(gateways[gateway].startPublication(manifestSalt: topic.rosterSalt(page: 0)), at: gateway, &context)
    }

    /// Starts a publication's next puts, or ends it.
    private mutating func advance(_ step: PublicationStep, at gateway: Int, _ context: inout SimulationContext) {
        for item in step.puts { put(item, publication: step.number, at: gateway, &context) }
        if let ended = step.ended { publicationEnded(ended, at: gateway, &context) }
    }

    /// A publication is over: the pages stored by neither try are queued again one refresh
    /// interval later (not once no cycle would pull them any more).
    private mutating func publicationEnded(_ publication: RosterPublication, at gateway: Int, _ context: inout SimulationContext) {
        pagePutsRetried += publication.retried
        let unstored = publication.unstored.filter { !gateways[gateway].isSuperseded($0) }
        guard !unstored.isEmpty, let plan else { return }
        let at = context.now + SimulationContext.duration(seconds: plan.refreshSeconds)
        guard at < stopAt else { return }
        pagesRequeued += unstored.count
        gateways[gateway].requeued.append(unstored)
        schedule(.requeue, gateway, at: at, &context)
    }

    private mutating func put(_ item: MutableItem, publication: Int, at gateway: Int, _ context: inout SimulationContext) {
        let page = topic.rosterPage(salt: item.salt) ?? 0
        let key = context.start("roster put", on: gateways[gateway].node, target: item.target, workload: index, tag: gateway) { node, now in
            node.putMutable(item, now: now)
        }
        pending[key] = .put(gateway: gateway, publication: publication, item: item, page: page)
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

    /// Pulls what the refresh plan names, as `GatewayRuntime.pullRosters`: the members at
    /// most `RosterPull.memberLimit` at a time, in the plan's order.
    private mutating func startPull(_ gateway: Int, _ context: inout SimulationContext) {
        var cycle = RosterPull(gateways[gateway].refreshPlan())
        let first = cycle.members.startFirst()
        gateways[gateway].pull = cycle
        if first.isEmpty {
            pullEnded(gateway, &context)
            return
        }
        for entry in first { pull(entry.member, pages: entry.pages, isFirst: true, at: gateway, &context) }
    }

    /// Starts one member's gets (with the `seq` held of each page now), at most
    /// `RosterPull.getsPerMember` in flight.
    private mutating func pull(_ member: GatewayKey, pages: [Int], isFirst: Bool, at gateway: Int, _ context: inout SimulationContext) {
        let requests = pages.map { page in
            RosterPullRequest(member: member, page: page, held: gateways[gateway].heldSequenceNumber(of: member, page: page))
        }
        var memberPull = RosterMemberPull(requests, isFirst: isFirst)
        let gets = memberPull.batch.startFirst()
        gateways[gateway].pull?.running[member] = memberPull
        if gets.isEmpty {
            memberPullEnded(member, at: gateway, &context)
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

    private mutating func getFinished(_ gateway: Int, request: RosterPullRequest, found: MutableItem?, _ context: inout SimulationContext) {
        guard var memberPull = gateways[gateway].pull?.running[request.member] else { return }
        if let found { memberPull.items.append(found) }
        let next = memberPull.batch.finishOne()
        gateways[gateway].pull?.running[request.member] = memberPull
        if let next {
            get(next, at: gateway, &context)
        } else if memberPull.batch.isDone {
            memberPullEnded(request.member, at: gateway, &context)
        }
    }

    /// One member's gets all finished: their items are accepted together (the view rebuilt
    /// once if any changed it); after the first, if the member's roster no longer matches
    /// its manifest, every page of it is got at once. Else the member is done and the next
    /// of the plan starts.
    private mutating func memberPullEnded(_ member: GatewayKey, at gateway: Int, _ context: inout SimulationContext) {
        guard let memberPull = gateways[gateway].pull?.running.removeValue(forKey: member) else { return }
        if !memberPull.items.isEmpty {
            let (accepted, refused) = gateways[gateway].accept(memberPull.items)
            pulledItemsAccepted += accepted
            itemsRefused += refused
            if accepted > 0 { observe(by: gateway, &context) }
        }
        if memberPull.isFirst {
            let pages = gateways[gateway].pagesToPull(of: member)
            if pages != [0] {
                pull(member, pages: pages, isFirst: false, at: gateway, &context)
                return
            }
        }
        guard var cycle = gateways[gateway].pull else { return }
        let next = cycle.members.finishOne()
        gateways[gateway].pull = cycle
        if let next {
            pull(next.member, pages: next.pages, isFirst: true, at: gateway, &context)
        } else if cycle.members.isDone {
            pullEnded(gateway, &context)
        }
    }

    /// Every member of the plan is done: the cycle ends.
    private mutating func pullEnded(_ gateway: Int, _ context: inout SimulationContext) {
        gateways[gateway].pull = nil
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
