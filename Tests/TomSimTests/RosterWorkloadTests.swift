import Foundation
import Testing
@testable import TomSim

/// Roster propagation through the real gateway logic over the simulated DHT.
@Suite("tom-sim roster workload")
struct RosterWorkloadTests {
    static func rosterOptions(nodes: Int, seed: UInt64, gateways: Int, registrations: Int) -> SimulationOptions {
        var options = SimulationOptions()
        options.nodes = nodes
        options.seed = seed
        options.joinSeconds = 20
        options.warmupSeconds = 20
        options.durationSeconds = 90
        options.sampleSeconds = 30
        options.healthSampleSize = 20
        options.lookups = 10
        options.puts = 0
        options.topics = 0
        options.roster = RosterPlan(gateways: gateways, registrations: registrations)
        return options
    }

    static func figures(_ report: SimulationReport) -> [String: Double] {
        Dictionary(report.workloadFigures.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    @Test func everyRegistrationAndLeaveReachesEveryGatewayWithoutLoss() throws {
        var simulation = Simulation(options: Self.rosterOptions(nodes: 200, seed: 11, gateways: 4, registrations: 20))
        let report = simulation.run()
        print(report.summaryText())
        let figures = Self.figures(report)

        #expect(figures["roster gateways"] == 4)
        #expect(figures["roster registrations"] == 20)
        #expect(figures["registrations shown by every other gateway"] == 20)
        #expect(figures["registrations converged, share"] == 1)
        let leaves = try #require(figures["roster leaves"])
        #expect(leaves >= 1)
        #expect(figures["leaves dropped by every other gateway"] == leaves)
        #expect(figures["gateways whose final view is exact"] == 4)
        #expect(figures["roster items refused"] == 0)
        // A change is stored (entry pages, then the manifest: two puts in a row), then waits
        // for the next cycle of each other gateway (every 15 s start to start, staggered), whose
        // members lookup, then that member's manifest get and its pages' gets bring it: one
        // interval plus a few lookups (measured 17.7 s at most, 15.4 s after it was stored,
        // cycles of 2.5 s at most).
        #expect(try #require(figures["registration converged after, max"]) < 22)
        #expect(try #require(figures["registration converged after it was stored, max"]) < 18)
        #expect(try #require(figures["roster refresh cycle, max"]) < 6)
        // Without loss every put stores at the first try.
        #expect(figures["roster page puts tried again in the same publication"] == 0)
        #expect(figures["roster pages queued again after a refresh interval"] == 0)
        #expect(figures["roster puts superseded by a newer version"] == 0)
        #expect(try #require(figures["registration converged after, p50"]) > 1)
        #expect(try #require(figures["roster KiB per registration"]) > 0)

        let byKind = Dictionary(uniqueKeysWithValues: report.operations.map { ($0.kind, $0) })
        for kind in ["roster announce", "roster members", "roster put", "roster get"] {
            let operation = try #require(byKind[kind], "\(kind)")
            #expect(operation.successRate == 1, "\(kind)")
            #expect(operation.bytesPerOperation.mean > 0, "\(kind) is charged its traffic")
        }
        #expect(try #require(byKind["roster announce"]).completed == 4)
    }

    @Test func lossChurnAndVanillaNodesStillConverge() throws {
        var options = Self.rosterOptions(nodes: 250, seed: 5, gateways: 4, registrations: 24)
        options.loss = 0.05
        options.churnPerHour = 1
        options.vanillaShare = 0.2
        var simulation = Simulation(options: options)
        let report = simulation.run()
        print(report.summaryText())
        let figures = Self.figures(report)

        #expect(report.network.departures > 0)
        #expect(report.network.datagramsLost > 0)
        #expect(figures["roster registrations"] == 24)
        // Lost datagrams cost retries and a missed pull costs a refresh interval, but every
        // gateway pulls again each interval, so nearly every change gets through.
        #expect(try #require(figures["registrations converged, share"]) >= 0.9)
        #expect(try #require(figures["gateways whose final view is exact"]) >= 3)
        #expect(figures["roster items refused"] == 0)
        let byKind = Dictionary(uniqueKeysWithValues: report.operations.map { ($0.kind, $0) })
        #expect(try #require(byKind["roster put"]).successRate >= 0.95)
        #expect(try #require(byKind["roster get"]).successRate >= 0.9)
    }

    @Test func theSameSeedGivesTheSameRosterReport() throws {
        func render(seed: UInt64) throws -> Data {
            var options = Self.rosterOptions(nodes: 60, seed: seed, gateways: 3, registrations: 10)
            options.loss = 0.03
            options.churnPerHour = 2
            options.durationSeconds = 60
            var simulation = Simulation(options: options)
            return try simulation.run().jsonData()
        }
        let first = try render(seed: 9)
        #expect(first == (try render(seed: 9)))
        #expect(first != (try render(seed: 10)))
        let decoded = try JSONDecoder().decode(SimulationReport.self, from: first)
        #expect(decoded.options.roster?.gateways == 3)
        #expect(decoded.workloadFigures.contains { $0.name == "gateways whose final view is exact" })
    }

    @Test func rosterOptionsAreCheckedAndOffByDefault() throws {
        #expect(SimulationOptions().roster == nil)
        var options = SimulationOptions()
        options.roster = RosterPlan(gateways: 4)
        #expect(options.problems.isEmpty)
        options.roster = RosterPlan(gateways: 1, registrations: 0, leaveShare: 2, refreshSeconds: 0.5)
        #expect(options.problems.count == 4)
        // A report without the roster encodes no "roster" key, so older reports read back.
        let json = String(decoding: try JSONEncoder().encode(SimulationOptions()), as: UTF8.self)
        #expect(!json.contains("roster"))
    }
}
