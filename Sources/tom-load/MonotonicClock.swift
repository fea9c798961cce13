import Glibc

/// Nanoseconds on CLOCK_MONOTONIC: cheap, and comparable across tasks in this process,
/// which is what signal latency needs (sender and receiver are the same process).
enum MonotonicClock {
    static func nanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
