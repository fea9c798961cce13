/// When to store our own publications again, as a value type on `DHTTime`, so the timing is
/// tested on virtual time and a driver only runs what it hands out.
///
/// Items are re-put every `itemInterval` (default 1 hour, half of BEP 44's 2-hour
/// lifetime) and announces repeated every `announceInterval` (15 minutes, half of the
/// 30 minutes peers are kept), so one lost round still leaves the data alive. A round that
/// stored nowhere is retried after `retryInterval`. A mutable item that most nodes refuse
/// with 302 (a newer `seq` exists, published by another holder of the key) is dropped:
/// re-putting an older version could never succeed. At most `maxConcurrent` rounds run at
/// once, so a thousand publications do not start a thousand lookups in the same instant.
public struct RepublishSchedule: Sendable {
    public struct Settings: Hashable, Sendable {
        public var itemInterval: DHTDuration
        public var announceInterval: DHTDuration
        public var retryInterval: DHTDuration
        /// Publications remembered at most; `remember` refuses more.
        public var maxPublications: Int
        /// Rounds handed out and not yet finished, at most.
        public var maxConcurrent: Int

        public init(
            itemInterval: DHTDuration = .minutes(60),
            announceInterval: DHTDuration = .minutes(15),
            retryInterval: DHTDuration = .minutes(2),
            maxPublications: Int = 1_000,
            maxConcurrent: Int = 4
        ) {
            self.itemInterval = itemInterval
            self.announceInterval = announceInterval
            self.retryInterval = retryInterval
            self.maxPublications = max(0, maxPublications)
            self.maxConcurrent = max(1, maxConcurrent)
        }

        func interval(for publication: Publication) -> DHTDuration {
            publication.isAnnounce ? announceInterval : itemInterval
        }
    }

    /// One republish to run; hand it back to `finish` with the operation's outcome.
    public struct Round: Hashable, Sendable {
        public let publication: Publication
        /// Tells a round of a replaced publication from a round of its replacement.
        let generation: UInt64
    }

    /// How a finished round went, as the schedule understood it.
    public enum RoundResult: Hashable, Sendable {
        /// Stored on this many nodes; next round after the full interval.
        case stored(Int)
        /// Stored nowhere (no nodes, all refused, timeouts, shutdown); retried soon.
        case failed
        /// Most of the closest nodes hold a newer `seq`: the publication is forgotten.
        case superseded
    }

    struct Entry: Sendable {
        var publication: Publication
        var generation: UInt64
        var due: DHTTime
        var running = false
    }

    public let settings: Settings
    private var entries: [Publication.Key: Entry] = [:]
    private var lastGeneration: UInt64 = 0

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    public var count: Int { entries.count }

    /// What is being kept published, in the order of its next round.
    public var publications: [Publication] { ordered.map(\.publication) }

    /// Rounds handed out and not finished.
    public var runningCount: Int { entries.values.reduce(0) { $0 + ($1.running ? 1 : 0) } }

    /// Keeps `publication` published, its first round one interval after `now` (the caller
    /// has just stored it). Replaces any publication with the same key, such as an older
    /// `seq` of the same mutable item. Returns false, remembering nothing, when full.
    @discardableResult
    public mutating func remember(_ publication: Publication, now: DHTTime) -> Bool {
        let key = publication.key
        guard entries[key] != nil || entries.count < settings.maxPublications else { return false }
        lastGeneration += 1
        entries[key] = Entry(publication: publication, generation: lastGeneration, due: now + settings.interval(for: publication))
        return true
    }

    /// Stops republishing; a round already running finishes unobserved.
    public mutating func forget(_ key: Publication.Key) {
        entries[key] = nil
    }

    /// When the next round can start: the earliest due time among those not running; nil
    /// when nothing waits or `maxConcurrent` rounds run (a `finish` frees a slot), so a
    /// driver's timer never spins on a round that cannot start yet.
    public var nextDeadline: DHTTime? {
        guard runningCount < settings.maxConcurrent else { return nil }
        return entries.values.lazy.filter { !$0.running }.map(\.due).min()
    }

    /// The rounds due at `now`, earliest first, as many as `maxConcurrent` allows; they
    /// count as running until `finish`.
    public mutating func takeDue(now: DHTTime) -> [Round] {
        let free = settings.maxConcurrent - runningCount
        guard free > 0 else { return [] }
        let due = ordered.filter { !$0.running && $0.due <= now }.prefix(free)
        return due.map { entry in
            entries[entry.publication.key]?.running = true
            return Round(publication: entry.publication, generation: entry.generation)
        }
    }

    /// Reports a round's end and schedules the next one. `outcome` is nil when the
    /// operation did not complete (the driver shut down, for example). A round of a
    /// publication replaced or forgotten since is ignored.
    @discardableResult
    public mutating func finish(_ round: Round, outcome: OperationOutcome?, now: DHTTime) -> RoundResult {
        let result = Self.result(of: outcome)
        finish(round, result: result, now: now)
        return result
    }

    public mutating func finish(_ round: Round, result: RoundResult, now: DHTTime) {
        let key = round.publication.key
        guard var entry = entries[key], entry.generation == round.generation else { return }
        switch result {
        case .stored:
            entry.due = now + settings.interval(for: entry.publication)
        case .failed:
            entry.due = now + settings.retryInterval
        case .superseded:
            entries[key] = nil
            return
        }
        entry.running = false
        entries[key] = entry
    }

    /// Reads an operation's outcome: superseded when most store queries were refused with
    /// 302 ("sequence number less than current"), else stored somewhere, or failed.
    public static func result(of outcome: OperationOutcome?) -> RoundResult {
        let summary: StoreSummary
        switch outcome {
        case .itemStored(let stored), .announced(let stored): summary = stored
        default: return .failed
        }
        let refusedAsOlder = summary.errors.filter { $0.code == .sequenceNumberLessThanCurrent }.count
        // Most of the K closest hold a newer seq. (The newer publisher's own node may be
        // among them and accept ours, as nodes do not store their own puts.) One lying node
        // cannot make a majority.
        if refusedAsOlder * 2 > summary.attempted { return .superseded }
        return summary.stored > 0 ? .stored(summary.stored) : .failed
    }

    /// Entries by due time, then by the order they were remembered, the same in every run.
    private var ordered: [Entry] {
        entries.values.sorted { ($0.due, $0.generation) < ($1.due, $1.generation) }
    }
}
