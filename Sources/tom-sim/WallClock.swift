import Foundation

/// Wall time since the tool started (monotonic), for progress and run information only:
/// it never reaches the deterministic report.
struct WallClock {
    private let start = DispatchTime.now().uptimeNanoseconds

    var seconds: Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
