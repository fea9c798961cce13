import Testing
import TomDHT
@testable import TomSim

@Suite("tom-sim parts")
struct SimulationPartsTests {
    @Test func partitionPlansParse() {
        #expect(PartitionPlan(parsing: "60+120:0.3") == PartitionPlan(startSeconds: 60, durationSeconds: 120, share: 0.3))
        #expect(PartitionPlan(parsing: "1m+2m") == PartitionPlan(startSeconds: 60, durationSeconds: 120, share: 0.5))
        #expect(PartitionPlan(parsing: "0.5h+90s:0.25") == PartitionPlan(startSeconds: 1800, durationSeconds: 90, share: 0.25))
        for bad in ["", "60", "60+", "+60", "a+b", "60+60:x", "-1+5", "60+60:0.5:1", "inf+1"] {
            #expect(PartitionPlan(parsing: bad) == nil, "\(bad)")
        }
        var options = SimulationOptions()
        options.partition = PartitionPlan(startSeconds: 10, durationSeconds: 10, share: 1)
        #expect(!options.problems.isEmpty)
    }

    @Test func optionsAreChecked() {
        #expect(SimulationOptions().problems.isEmpty)
        var options = SimulationOptions()
        options.loss = 1.5
        options.nodes = 1
        options.latencyMinMilliseconds = 50
        options.latencyMaxMilliseconds = 10
        #expect(options.problems.count == 3)
    }

    @Test func logNormalLatencyStaysWithinBoundsAroundItsMedian() {
        let table = LatencyModel.logNormalTable(minimumMilliseconds: 10, maximumMilliseconds: 250, sigma: 0.6)
        #expect(table.count == LatencyModel.tableSize)
        #expect(table == table.sorted())
        #expect(table.first! >= .milliseconds(10))
        #expect(table.last! <= .milliseconds(250))
        let median = Double(table[table.count / 2].nanoseconds) / 1e6
        #expect(abs(median - 50) < 1)  // sqrt(10 * 250)
        #expect(abs(LatencyModel.inverseNormal(0.975) - 1.959964) < 1e-5)
        #expect(abs(LatencyModel.inverseNormal(0.001) + 3.090232) < 1e-5)
    }

    @Test func percentilesUseTheNearestRank() {
        let values = (1...100).map(Double.init)
        #expect(Percentiles.value(values, 0.5) == 50)
        #expect(Percentiles.value(values, 0.99) == 99)
        #expect(Percentiles.value(values, 1) == 100)
        #expect(Percentiles.value([Double](), 0.5) == 0)
        #expect(Percentiles.value([7], 0.01) == 7)
        let summary = DistributionSummary([3, 1, 2])
        #expect(summary.min == 1 && summary.max == 3 && summary.p50 == 2 && summary.mean == 2)
    }

    @Test func groundTruthIsTheBruteForceClosest() {
        var random = DHTRandom(seed: 8)
        let ids = (0..<500).map { _ in NodeID.random(using: &random) }
        let target = NodeID.random(using: &random)
        let expected = ids.enumerated().filter { $0.offset != 7 && $0.offset % 3 != 0 }.map(\.element)
            .sorted { $0.distance(to: target) < $1.distance(to: target) }.prefix(8)
        let found = GroundTruth.closest(to: target, count: 8, among: Array(ids.indices), ids: { ids[$0] }, excluded: 7, include: { $0 % 3 != 0 })
        #expect(found == Array(expected))
    }

    @Test func liveSetsPickAndRemoveInAReplayableOrder() {
        var set = LiveSet()
        for value in 0..<10 { set.insert(value) }
        set.remove(3)
        set.remove(3)
        set.remove(9)
        #expect(set.count == 8)
        #expect(!set.contains(3) && set.contains(8))
        var first = DHTRandom(seed: 1)
        var second = DHTRandom(seed: 1)
        let picks = (0..<20).map { _ in set.randomElement(excluding: [0], using: &first)! }
        #expect(picks == (0..<20).map { _ in set.randomElement(excluding: [0], using: &second)! })
        #expect(!picks.contains(0) && !picks.contains(3))
        #expect(set.randomElement(excluding: Set(set.members), using: &first) == nil)
    }

    @Test func histogramsCollectTheTailInTheLastBucket() {
        #expect(ReportBuilder.histogram([0, 0, 1, 5, 50], buckets: 4) == [2, 1, 0, 2])
        #expect(ReportBuilder.histogram([0, 0], buckets: 4) == [2])
        #expect(ReportBuilder.cdf([1, 2, 3, 4]) == [[1, 0.25], [2, 0.5], [3, 0.75], [4, 1]])
    }
}
