/// Percentiles over latency samples (nanoseconds), nearest-rank method.
struct LatencyStats {
    private let sorted: [Int64]

    init(samples: [Int64]) {
        self.sorted = samples.sorted()
    }

    var count: Int { sorted.count }

    /// `fraction` in 0...1; nil when there are no samples.
    func percentileMilliseconds(_ fraction: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        let index = min(max(rank - 1, 0), sorted.count - 1)
        return Double(sorted[index]) / 1e6
    }

    var maxMilliseconds: Double? {
        sorted.last.map { Double($0) / 1e6 }
    }

    func add(to summary: inout Summary, prefix: String) {
        summary.add("\(prefix)_p50_ms", percentileMilliseconds(0.50), decimals: 3)
        summary.add("\(prefix)_p90_ms", percentileMilliseconds(0.90), decimals: 3)
        summary.add("\(prefix)_p99_ms", percentileMilliseconds(0.99), decimals: 3)
        summary.add("\(prefix)_max_ms", maxMilliseconds, decimals: 3)
    }
}
