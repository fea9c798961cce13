/// Order statistics on sorted samples, by the nearest-rank rule (a percentile is always one
/// of the samples, so reports show values that happened).
enum Percentiles {
    /// The `fraction` percentile (0...1) of `sorted`, ascending; 0 when empty.
    static func value(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    static func value(_ sorted: [Int], _ fraction: Double) -> Int {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }
}

/// Rounds for the report, so figures read well and stay identical between runs.
func rounded(_ value: Double, places: Int = 3) -> Double {
    guard value.isFinite else { return 0 }
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    return (value * scale).rounded() / scale
}

/// A distribution in a few numbers.
public struct DistributionSummary: Codable, Hashable, Sendable {
    public var count: Int
    public var mean: Double
    public var min: Double
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var max: Double

    init(_ values: [Double]) {
        let sorted = values.sorted()
        count = sorted.count
        mean = rounded(Percentiles.mean(sorted))
        min = rounded(sorted.first ?? 0)
        p50 = rounded(Percentiles.value(sorted, 0.5))
        p90 = rounded(Percentiles.value(sorted, 0.9))
        p99 = rounded(Percentiles.value(sorted, 0.99))
        max = rounded(sorted.last ?? 0)
    }
}
