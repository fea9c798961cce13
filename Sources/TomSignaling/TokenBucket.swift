/// A sustained rate with a burst: at most `burst` units at once, then `perSecond` on average.
/// A unit is whatever the owner counts: a message, a register, a byte.
public struct RateLimit: Sendable, Hashable, CustomStringConvertible {
    /// Units per second, sustained; zero or less turns the limit off.
    public var perSecond: Double
    /// Units allowed at once after a quiet spell (the bucket's size).
    public var burst: Int

    public init(perSecond: Double, burst: Int) {
        self.perSecond = perSecond
        self.burst = max(1, burst)
    }

    public static let unlimited = RateLimit(perSecond: 0, burst: 1)

    public var isEnabled: Bool { perSecond > 0 }

    public var description: String { isEnabled ? "\(perSecond)/s, burst \(burst)" : "unlimited" }
}

/// A token bucket in its GCRA form: one instant, the time at which the bucket is full
/// again. Taking `cost` units moves it `cost` intervals (1 / rate each) later; a take that
/// would move it more than `burst` intervals ahead of now is refused, except from a full
/// bucket, which may go into debt (so a cost larger than the burst still passes, then the
/// bucket stays empty until it is paid back). A value type, owned by whoever needs it (a
/// connection's reader, a hub actor); `now` is passed in, so tests choose the time.
public struct TokenBucket: Sendable {
    public let limit: RateLimit
    private var fullAt: ContinuousClock.Instant?

    public init(_ limit: RateLimit) {
        self.limit = limit
    }

    private func duration(of cost: Int) -> Duration { .seconds(Double(max(0, cost)) / limit.perSecond) }
    private var capacity: Duration { duration(of: limit.burst) }

    /// Takes `cost` units; false (and nothing taken) when the bucket does not hold them.
    public mutating func take(cost: Int = 1, now: ContinuousClock.Instant) -> Bool {
        guard limit.isEnabled else { return true }
        let start = max(fullAt ?? now, now)
        let next = start + duration(of: cost)
        guard start == now || next - now <= capacity else { return false }
        fullAt = next
        return true
    }

    /// Takes `cost` units even from a bucket that does not hold them (a deferred event that
    /// must happen now).
    public mutating func forceTake(cost: Int = 1, now: ContinuousClock.Instant) {
        guard limit.isEnabled else { return }
        fullAt = max(fullAt ?? now, now) + duration(of: cost)
    }

    /// The earliest instant at which `take(cost:)` succeeds: `now` while the bucket holds it.
    public func nextAvailable(cost: Int = 1, after now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        guard limit.isEnabled, let fullAt else { return now }
        // Enough has drained once the debt left plus the cost fits the capacity; a cost
        // larger than the capacity waits for a full bucket.
        let room = capacity - min(duration(of: cost), capacity)
        return max(now, fullAt - room)
    }
}
