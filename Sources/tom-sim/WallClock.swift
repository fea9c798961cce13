import Foundation

/// Wall time since the tool started (monotonic), for progress and run information only:
/// it never reaches the deterministic report.
struct WallClock {
    private let start = DispatchTime.now().uptimeNanoseconds

    var seconds: Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}

/// CPU time this process has used, which on a shared machine says more than wall time.
enum ProcessCPU {
    static var seconds: Double {
        var usage = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &usage)
        return Double(usage.tv_sec) + Double(usage.tv_nsec) / 1e9
    }
}
