import Glibc

/// The real-time clock, for the one value that must survive restarts: the `seq` of our
/// own BEP 44 mutable items.
public enum WallClock {
    /// Microseconds since the Unix epoch. Used as `seq`, so a restarted node (or another
    /// process signing with the same key) never goes backwards, unlike a counter that
    /// restarts at 1 and is refused with 302 by every node that remembers the old value.
    public static func microsecondsSinceEpoch() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000
    }
}
