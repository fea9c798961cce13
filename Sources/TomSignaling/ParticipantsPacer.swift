/// When a hub sends the participants list after a change: the legacy protocol sends the whole
/// list to every client on every change, an N² amplification that a join storm turns into
/// gigabytes. Both hubs (the seed's and the peer's) decide it here, the same way.
///
/// With a coalescing window, one list goes out per window after a burst of changes. Without
/// one (the legacy behaviour), a list goes to everyone per change while a byte budget (list
/// size times recipients) allows; past it, the registrant still gets its list at once (it knows
/// nobody yet; the others just had a presence join), and everyone gets one list, for all the
/// changes, when the budget has room again.
public struct ParticipantsPacer: Sendable {
    public enum Decision: Equatable, Sendable {
        /// Send the list to everyone now.
        case sendNow
        /// Hold the list. `coalesced`: the budget ran out, so the registrant alone gets it now;
        /// `flushAt`: when to send it to everyone (nil while a flush is already due).
        case hold(coalesced: Bool, flushAt: ContinuousClock.Instant?)
    }

    private let coalesceWindow: Duration
    private var budget: TokenBucket
    private var flushScheduled = false

    public init(coalesceWindow: Duration, budget: RateLimit) {
        self.coalesceWindow = coalesceWindow
        self.budget = TokenBucket(budget)
    }

    /// The list changed; `cost` gives its size times its recipients (asked only when the
    /// budget decides, so a coalescing hub does not build a list per change).
    public mutating func changed(now: ContinuousClock.Instant, cost: () -> Int) -> Decision {
        if coalesceWindow > .zero {
            guard !flushScheduled else { return .hold(coalesced: false, flushAt: nil) }
            flushScheduled = true
            return .hold(coalesced: false, flushAt: now + coalesceWindow)
        }
        guard !flushScheduled else { return .hold(coalesced: true, flushAt: nil) }
        let cost = cost()
        if budget.take(cost: cost, now: now) { return .sendNow }
        flushScheduled = true
        return .hold(coalesced: true, flushAt: budget.nextAvailable(cost: cost, after: now))
    }

    /// The time `flushAt` came: the held list goes out now, costing `cost` (zero when none is sent).
    public mutating func flushing(cost: Int, now: ContinuousClock.Instant) {
        flushScheduled = false
        guard coalesceWindow == .zero else { return }
        budget.forceTake(cost: cost, now: now)
    }
}
