/// Per-address admission of unsolicited datagrams (queries, and garbage), with temporary bans.
///
/// Each source IP has a token bucket, kept as one "theoretical arrival time" (the GCRA form
/// of a token bucket: the bucket is full when that time is not after `now`, and each
/// datagram moves it `1 / rate` forward). An address that finds its bucket empty is banned
/// for `banDuration`: everything it sends is dropped before decoding, answers included.
///
/// The table is bounded: at most `maxTrackedAddresses` addresses, the least recently seen
/// forgotten first. A flooder is always the most recently seen, so a crowd of spoofed
/// addresses cannot push its entry (and its ban) out. Forgetting a quiet address loses
/// nothing: its bucket has refilled long ago, unless it was banned, which then ends early.
public struct QueryRateLimiter: Sendable {
    public struct Settings: Sendable, Hashable {
        /// Sustained datagrams per second from one address; 0 turns the limiter off.
        public var ratePerSecond: Int
        /// Datagrams one address may send at once after a quiet period (the bucket's size).
        public var burst: Int
        /// How long an address that emptied its bucket is ignored.
        public var banDuration: DHTDuration
        /// Addresses tracked at once.
        public var maxTrackedAddresses: Int
        /// Whether 127.0.0.0/8 and ::1 are limited too; off, local tests and tools run free.
        public var limitsLoopback: Bool

        public init(
            ratePerSecond: Int = 10,
            burst: Int = 100,
            banDuration: DHTDuration = .seconds(300),
            maxTrackedAddresses: Int = 10_000,
            limitsLoopback: Bool = false
        ) {
            self.ratePerSecond = max(0, ratePerSecond)
            self.burst = max(1, burst)
            self.banDuration = banDuration
            self.maxTrackedAddresses = max(1, maxTrackedAddresses)
            self.limitsLoopback = limitsLoopback
        }

        var isEnabled: Bool { ratePerSecond > 0 }
    }

    /// What to do with one datagram.
    public enum Verdict: Hashable, Sendable {
        case allowed
        /// Its bucket just ran dry: the datagram is dropped and a ban starts now.
        case banStarted
        /// The address is banned: drop the datagram.
        case banned
    }

    struct Entry: Sendable {
        /// When the bucket will be full again; not after `now` means full.
        var fullAt: DHTTime
        var bannedUntil: DHTTime?
        var stamp: UInt64
    }

    public let settings: Settings
    private var entries: [IPAddress: Entry] = [:]
    private var recency = AgeQueue<IPAddress>()

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// Addresses tracked now (bounded by `maxTrackedAddresses`).
    public var trackedAddresses: Int { entries.count }

    /// Whether `ip` is banned at `now`; costs no token.
    public func isBanned(_ ip: IPAddress, now: DHTTime) -> Bool {
        guard let until = entries[ip]?.bannedUntil else { return false }
        return now < until
    }

    /// Whether a datagram from `ip` is to be dropped unread because `ip` is banned. A banned
    /// address that keeps sending stays the most recently seen, so it is never forgotten
    /// (and its ban never lifted) to make room for others.
    public mutating func dropsBanned(_ ip: IPAddress, now: DHTTime) -> Bool {
        guard var entry = entries[ip], let until = entry.bannedUntil, now < until else { return false }
        // A ban never lasts longer than its duration from now, even after time went back.
        if until.elapsed(since: now) > settings.banDuration { entry.bannedUntil = now + settings.banDuration }
        touch(ip, entry)
        return true
    }

    /// Addresses whose ban has not ended at `now`, for status pages.
    public func bannedAddresses(now: DHTTime) -> [IPAddress] {
        entries.filter { $0.value.bannedUntil.map { now < $0 } ?? false }.map(\.key)
    }

    /// Charges one unsolicited datagram from `ip`.
    public mutating func admit(_ ip: IPAddress, now: DHTTime) -> Verdict {
        guard settings.isEnabled, settings.limitsLoopback || !ip.isLoopback else { return .allowed }
        let interval = DHTDuration(nanoseconds: 1_000_000_000 / UInt64(settings.ratePerSecond))
        // A full bucket of `burst` tokens is `burst` intervals of credit.
        let capacity = DHTDuration(nanoseconds: interval.nanoseconds.multipliedReportingOverflow(by: UInt64(settings.burst)).partialValue)
        var entry = entries[ip] ?? Entry(fullAt: now, bannedUntil: nil, stamp: 0)
        // Time went back (a broken clock source): what the entry holds lies beyond anything
        // the settings allow from `now`. Clamp it, rather than ban for a debt nobody ran up.
        if entry.fullAt.elapsed(since: now) > capacity { entry.fullAt = now }
        if let until = entry.bannedUntil, until.elapsed(since: now) > settings.banDuration {
            entry.bannedUntil = now + settings.banDuration
        }
        let verdict: Verdict
        if let until = entry.bannedUntil, now < until {
            verdict = .banned
        } else {
            entry.bannedUntil = nil
            let start = max(entry.fullAt, now)
            let next = start + interval
            if next.elapsed(since: now) > capacity {
                entry.bannedUntil = now + settings.banDuration
                verdict = .banStarted
            } else {
                entry.fullAt = next
                verdict = .allowed
            }
        }
        touch(ip, entry)
        return verdict
    }

    private mutating func touch(_ ip: IPAddress, _ entry: Entry) {
        var entry = entry
        entry.stamp = recency.push(ip)
        entries[ip] = entry
        while entries.count > settings.maxTrackedAddresses, let slot = recency.oldest {
            if entries[slot.key]?.stamp == slot.stamp { entries[slot.key] = nil }
            recency.dropOldest()
        }
        if recency.needsCompaction(liveCount: entries.count) {
            let live = recency.pendingSlots.filter { entries[$0.key]?.stamp == $0.stamp }
            recency.replaceSlots(with: live)
        }
    }
}

extension IPAddress {
    /// 127.0.0.0/8 or ::1.
    public var isLoopback: Bool {
        switch self {
        case .v4(let address): address.isLoopback
        case .v6(let address): address.isLoopback
        }
    }
}
