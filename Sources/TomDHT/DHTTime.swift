/// A span of time in nanoseconds. The DHT core never reads a clock; drivers pass time in,
/// which is what lets tests and the simulator replay runs exactly.
public struct DHTDuration: Hashable, Comparable, Sendable {
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) {
        self.nanoseconds = nanoseconds
    }

    public static let zero = DHTDuration(nanoseconds: 0)

    public static func milliseconds(_ count: UInt64) -> DHTDuration {
        DHTDuration(nanoseconds: saturated(count.multipliedReportingOverflow(by: 1_000_000)))
    }

    public static func seconds(_ count: UInt64) -> DHTDuration {
        DHTDuration(nanoseconds: saturated(count.multipliedReportingOverflow(by: 1_000_000_000)))
    }

    public static func minutes(_ count: UInt64) -> DHTDuration {
        seconds(saturated(count.multipliedReportingOverflow(by: 60)))
    }

    public static func < (lhs: DHTDuration, rhs: DHTDuration) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    public static func + (lhs: DHTDuration, rhs: DHTDuration) -> DHTDuration {
        DHTDuration(nanoseconds: saturated(lhs.nanoseconds.addingReportingOverflow(rhs.nanoseconds)))
    }
}

/// A point in time, as nanoseconds since an origin the driver chooses (for example the
/// moment its monotonic clock started). Only differences between instants matter.
public struct DHTTime: Hashable, Comparable, Sendable {
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) {
        self.nanoseconds = nanoseconds
    }

    public static let zero = DHTTime(nanoseconds: 0)

    public static func < (lhs: DHTTime, rhs: DHTTime) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    /// Saturates instead of trapping, so a far-future deadline is simply "never".
    public static func + (lhs: DHTTime, rhs: DHTDuration) -> DHTTime {
        DHTTime(nanoseconds: saturated(lhs.nanoseconds.addingReportingOverflow(rhs.nanoseconds)))
    }

    /// The time elapsed from `earlier` to `self`; zero if `earlier` is actually later.
    public func elapsed(since earlier: DHTTime) -> DHTDuration {
        DHTDuration(nanoseconds: nanoseconds >= earlier.nanoseconds ? nanoseconds - earlier.nanoseconds : 0)
    }
}

/// The arithmetic result, or the largest value when it overflowed.
private func saturated(_ result: (partialValue: UInt64, overflow: Bool)) -> UInt64 {
    result.overflow ? .max : result.partialValue
}
