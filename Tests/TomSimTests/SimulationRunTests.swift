import Foundation
import Testing
@testable import TomSim

/// Whole runs of the simulator, small enough for a debug build.
@Suite("tom-sim runs")
struct SimulationRunTests {
    static func smallOptions(nodes: Int, seed: UInt64) -> SimulationOptions {
        var options = SimulationOptions()
        options.nodes = nodes
        options.seed = seed
        options.joinSeconds = 30
        options.warmupSeconds = 30
        options.durationSeconds = 120
        options.sampleSeconds = 20
        options.healthSampleSize = 40
        options.lookups = 60
        options.puts = 6
        options.topics = 2
        options.topicMembers = 5
        options.topicQueries = 3
        return options
    }

    @Test func threeHundredNodesWithLossChurnAndVanillaNodesSucceed() throws {
        var options = Self.smallOptions(nodes: 300, seed: 5)
        options.loss = 0.03
        options.churnPerHour = 0.5
        options.vanillaShare = 0.2
        var simulation = Simulation(options: options)
        let report = simulation.run()
        print(report.summaryText())

        let byKind = Dictionary(uniqueKeysWithValues: report.operations.map { ($0.kind, $0) })
        let lookups = try #require(byKind["find_node"])
        #expect(lookups.completed + lookups.abandoned == 60)
        // Exact k closest: at 3% loss a node fails both attempts 0.35% of the time, so about
        // 97% of lookups hear from all 8 (this seed: 57/60); every lookup finds at least 7.
        #expect(lookups.successRate >= 0.9)
        #expect((lookups.nearSuccessRate ?? 0) >= 0.98)
        #expect(lookups.hopsMedian <= 4)
        #expect(lookups.messagesPerOperation.mean > 8)
        #expect(lookups.bytesPerOperation.mean > 1_000)
        #expect(try #require(byKind["put"]).successRate == 1)
        #expect(try #require(byKind["get"]).successRate >= 0.8)
        #expect(try #require(byKind["announce"]).successRate == 1)
        #expect(try #require(byKind["get_peers"]).successRate >= 0.8)
        // Churn really happened, and vanilla nodes answered BEP 44 queries with errors.
        #expect(report.network.departures > 0)
        #expect(report.network.vanillaLiveAtEnd > 30)
        #expect(report.storage.itemsPerToMNode.max >= 1)
        #expect(report.convergence.routingHealthySeconds != nil)
        #expect(report.timeline.count >= 9)
        #expect(report.run == nil)
    }

    @Test func theSameSeedGivesTheSameReportByteForByte() throws {
        func render(seed: UInt64) throws -> (json: Data, html: String, text: String) {
            var options = Self.smallOptions(nodes: 60, seed: seed)
            options.loss = 0.05
            options.churnPerHour = 2
            options.vanillaShare = 0.3
            options.latencyDistribution = .lognormal
            options.partition = PartitionPlan(startSeconds: 30, durationSeconds: 30, share: 0.4)
            options.lookups = 30
            var simulation = Simulation(options: options)
            let report = simulation.run()
            return (try report.jsonData(), report.html(), report.summaryText())
        }
        let first = try render(seed: 3)
        let second = try render(seed: 3)
        #expect(first.json == second.json)
        #expect(first.html == second.html)
        #expect(first.text == second.text)
        let other = try render(seed: 4)
        #expect(other.json != first.json)

        let decoded = try JSONDecoder().decode(SimulationReport.self, from: first.json)
        #expect(decoded.options.partition?.share == 0.4)
        #expect(decoded.network.datagramsPartitioned > 0)
        #expect(decoded.convergence.lookupSuccessDuringPartition != nil)
        #expect(first.html.hasPrefix("<!DOCTYPE html>"))
        #expect(first.html.contains("<svg"))
        #expect(!first.html.contains("<script"))
    }
}
