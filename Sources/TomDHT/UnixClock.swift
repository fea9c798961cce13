/// The wall clock as the core sees it: an offset between the driver's monotonic `DHTTime`
/// and Unix time. The core reads no clock, but the signed-peers draft signs and checks Unix
/// timestamps, so the driver tells the node what time it is (`setUnixTime`) and the node
/// converts its `now` with this.
///
/// The default offset is zero, which makes `DHTTime` itself the Unix time: tests and the
/// virtual network need no setup, since all their nodes share one clock anyway.
public struct UnixClock: Hashable, Sendable {
    /// Microseconds since the Unix epoch at `DHTTime.zero`.
    public var microsecondsAtOrigin: Int64

    public init(microsecondsAtOrigin: Int64 = 0) {
        self.microsecondsAtOrigin = microsecondsAtOrigin
    }

    /// The clock that reads `microsecondsSinceEpoch` at `now`.
    public init(microsecondsSinceEpoch: Int64, at now: DHTTime) {
        let (origin, overflow) = microsecondsSinceEpoch.subtractingReportingOverflow(Self.microseconds(now))
        self.init(microsecondsAtOrigin: overflow ? .min : origin)
    }

    /// Unix time in microseconds at `now`; saturates rather than trapping.
    public func microsecondsSinceEpoch(at now: DHTTime) -> Int64 {
        let (sum, overflow) = microsecondsAtOrigin.addingReportingOverflow(Self.microseconds(now))
        return overflow ? .max : sum
    }

    /// `DHTTime` in microseconds; it is at most 2^64 ns, so this always fits an `Int64`.
    private static func microseconds(_ time: DHTTime) -> Int64 {
        Int64(time.nanoseconds / 1_000)
    }
}
