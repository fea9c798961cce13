import TomDHT
import TomGateway
import TomSignaling

/// One gateway of the roster workload: the real TomGateway parts (its `RosterPublisher`, its
/// `GatewayDirectory` and the `ParticipantView` its legacy clients would get) plus the
/// bookkeeping of what it has in flight on its DHT node. No links: in the simulator the DHT
/// is the only path between gateways, so what converges here converges by the pull alone.
struct SimulatedGateway {
    let node: Int
    let key: GatewayKey
    var publisher: RosterPublisher
    var directory: GatewayDirectory
    private(set) var view = ParticipantView()
    /// The clients registered here, by nodeId.
    private(set) var own: [String: RosterEntry] = [:]
    private var lastRegisteredAt: Int64 = 0

    // Publication, as the runtime does it (29f3753): changes within `publishDelay` go out as
    // one put per page (the newest item of each salt). Publications overlap: a change made
    // while one is putting schedules the next at once (a node refuses an older `seq`).
    private(set) var unpublished: [[UInt8]: MutableItem] = [:]
    /// A publication is scheduled and not yet started (the runtime's `publicationScheduled`).
    private(set) var publishScheduled = false
    /// The publications putting, by their number.
    private(set) var publications: [Int: RosterPublication] = [:]
    private var nextPublication = 0
    /// Pages no node stored after two tries, queued again one refresh interval later (oldest
    /// first: every gateway's queue has the same delay).
    var requeued: [[MutableItem]] = []
    /// The newest `seq` handed to publication per page (the runtime's `newestPublished`): an
    /// unstored page older than it is neither tried again nor queued again.
    private(set) var newestPublished: [[UInt8]: Int64] = [:]
    /// The newest `seq` of each page that a put stored on at least one node: what a reader
    /// can be expected to find.
    var storedSequenceNumbers: [Int: Int64] = [:]

    // Membership and the refresh cycle.
    var lastAnnounce: DHTTime?
    var announceStored = false
    /// Other gateways found under the topic; kept once found, like a link.
    var members: Set<GatewayKey> = []
    /// When the running cycle started: the next starts one interval later (start to start).
    var cycleStartedAt: DHTTime?
    /// The members being pulled, if the cycle is pulling.
    var pull: RosterPull?

    init(node: Int, signingKey: ItemSigningKey, topic: Topic, endpoint: String, nowMicroseconds: Int64) {
        self.node = node
        let key = GatewayKey(signingKey.publicKey)!
        self.key = key
        publisher = RosterPublisher(topic: topic, key: signingKey, endpoints: [endpoint], now: nowMicroseconds)
        directory = GatewayDirectory(topic: topic, ownKey: key)
        rebuildView()
    }

    /// Registers a client here; returns its entry and the items to put.
    mutating func register(_ participant: Participant, nowMicroseconds: Int64) -> (RosterEntry, [MutableItem]) {
        // Registration times are unique per gateway (they order the participants list).
        lastRegisteredAt = max(nowMicroseconds, lastRegisteredAt + 1)
        let entry = RosterEntry(participant: participant, registeredAt: lastRegisteredAt)
        own[entry.nodeId] = entry
        let items = publisher.upsert(entry, now: nowMicroseconds)
        rebuildView()
        return (entry, items)
    }

    mutating func leave(nodeId: String, nowMicroseconds: Int64) -> [MutableItem] {
        own[nodeId] = nil
        let items = publisher.remove(nodeId: nodeId, now: nowMicroseconds)
        rebuildView()
        return items
    }

    /// As `GatewayRuntime.schedulePublication`: keeps the newest item of each page; true if a
    /// publication is to be scheduled now (none is scheduled and not yet started).
    mutating func queueForPublication(_ items: [MutableItem]) -> Bool {
        for item in items where !isSuperseded(item) && (unpublished[item.salt]?.sequenceNumber ?? .min) < item.sequenceNumber {
            unpublished[item.salt] = item
            newestPublished[item.salt] = item.sequenceNumber
        }
        guard !publishScheduled, !unpublished.isEmpty else { return false }
        publishScheduled = true
        return true
    }

    /// As `GatewayRuntime.putPending` begins: takes every queued change into a new publication
    /// and clears the schedule, so the next change schedules another that may overlap this one.
    mutating func startPublication(manifestSalt: [UInt8]) -> PublicationStep {
        // A fixed order (the runtime's is the dictionary's): by `seq`, then by salt.
        let items = unpublished.values.sorted {
            $0.sequenceNumber != $1.sequenceNumber ? $0.sequenceNumber < $1.sequenceNumber : $0.salt.lexicographicallyPrecedes($1.salt)
        }
        unpublished.removeAll()
        publishScheduled = false
        let number = nextPublication
        nextPublication += 1
        var publication = RosterPublication(items, manifestSalt: manifestSalt)
        let puts = publication.start()
        return settle(publication, number: number, puts: puts)
    }

    /// One put of publication `number` finished.
    mutating func finishPut(_ item: MutableItem, stored: Bool, publication number: Int) -> PublicationStep {
        guard var publication = publications[number] else { return PublicationStep(number: number, puts: [], ended: nil) }
        let puts = publication.finishOne(item, stored: stored || isSuperseded(item))
        return settle(publication, number: number, puts: puts)
    }

    func isSuperseded(_ item: MutableItem) -> Bool {
        (newestPublished[item.salt] ?? .min) > item.sequenceNumber
    }

    private mutating func settle(_ publication: RosterPublication, number: Int, puts: [MutableItem]) -> PublicationStep {
        publications[number] = publication.isDone ? nil : publication
        return PublicationStep(number: number, puts: puts, ended: publication.isDone ? publication : nil)
    }

    /// Feeds pulled items to the directory as `MeshHub.acceptPulled` does: each in turn (a
    /// withdrawn member is forgotten), the view rebuilt once if any changed what it holds.
    mutating func accept(_ items: [MutableItem]) -> (accepted: Int, refused: Int) {
        var accepted = 0
        var refused = 0
        for item in items {
            do {
                guard case .accepted(let member) = try directory.accept(item) else { continue }
                accepted += 1
                if directory.roster(of: member)?.manifest?.withdrawn == true { directory.forget(member) }
            } catch {
                refused += 1
            }
        }
        if accepted > 0 { rebuildView() }
        return (accepted, refused)
    }

    /// The `seq` held of `member`'s `page`, for a `get` that asks only for newer.
    func heldSequenceNumber(of member: GatewayKey, page: Int) -> Int64? {
        directory.roster(of: member)?.heldItems.first { directory.topic.rosterPage(salt: $0.salt) == page }?.sequenceNumber
    }

    /// What a refresh gets, as `MeshHub.refreshPlan` says: `pagesToPull` of every member.
    func refreshPlan() -> [RosterPullPlanEntry] {
        members.sorted().map { RosterPullPlanEntry(member: $0, pages: pagesToPull(of: $0)) }
    }

    /// As `MeshHub.pagesToPull(of:)`: the manifest while what is held of `member` matches
    /// it, else every page (manifest included). Members are never dropped here.
    func pagesToPull(of member: GatewayKey) -> [Int] {
        guard let roster = directory.roster(of: member), roster.isComplete else {
            return directory.roster(of: member)?.pagesToRefresh ?? [0]
        }
        return [0]
    }

    /// The view the legacy clients get: own clients plus every verified roster, merged by
    /// the same rule (`ParticipantView`) as the hub's.
    private mutating func rebuildView() {
        var sources: [(host: GatewayKey, entries: [RosterEntry])] = [(key, own.values.sorted { $0.registeredAt < $1.registeredAt })]
        for member in directory.members.keys.sorted() {
            if let roster = directory.roster(of: member) { sources.append((member, roster.entries)) }
        }
        view = ParticipantView(sources: sources)
    }
}

/// What a publication does next: the puts to start, and itself once it is over.
struct PublicationStep {
    let number: Int
    let puts: [MutableItem]
    let ended: RosterPublication?
}
