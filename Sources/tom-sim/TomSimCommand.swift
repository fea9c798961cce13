import ArgumentParser
import Foundation
import TomSim

@main
struct TomSimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tom-sim",
        abstract: "Runs many real DHT nodes (the TomDHT core) in one process over a simulated network and reports how they perform.",
        discussion: """
        The same options and --seed give a byte-identical report (text, JSON and HTML). Wall time and
        memory are printed on stderr only, or added to the reports with --run-info (which makes them
        differ between runs). See Docs/simulation.md.
        """
    )

    @Option(help: "Nodes on the network (kept on average under churn).")
    var nodes = 1_000

    @Option(help: "Seed of every random choice; the same seed gives the same report.")
    var seed: UInt64 = 1

    @Option(name: .customLong("latency-ms"), help: "One-way delay bounds in milliseconds, MIN-MAX.")
    var latencyMilliseconds = "10-150"

    @Option(help: "Delay distribution: uniform over the bounds, or lognormal (median sqrt(MIN*MAX), clamped to the bounds).")
    var latency: SimulationOptions.LatencyShape = .uniform

    @Option(name: .customLong("latency-sigma"), help: "Spread of the log-normal delay (standard deviation of its logarithm).")
    var latencySigma = 0.6

    @Option(help: "Chance that any datagram is lost, 0...1.")
    var loss = 0.0

    @Option(help: "Share of nodes leaving (silently) and joining per simulated hour, e.g. 0.1.")
    var churn = 0.0

    @Option(help: "Split the network during the measured phase: START+LENGTH[:SHARE], e.g. 60+120:0.3 or 1m+2m.")
    var partition: String?

    @Option(name: .customLong("vanilla-share"), help: "Share of nodes that are BEP 5-only (no BEP 44 get/put), like clients without ToM.")
    var vanillaShare = 0.0

    @Option(name: .customLong("lookup-retries"), help: "Extra attempts after a lookup query times out, on every node (default: the core's, 2).")
    var lookupRetries: Int?

    @Option(help: "find_node lookups in the measured phase.")
    var lookups = 200

    @Option(help: "BEP 44 mutable items put (each put twice, then read back).")
    var puts = 20

    @Option(help: "Topics announced to and looked up.")
    var topics = 5

    @Option(name: .customLong("topic-members"), help: "Nodes announcing each topic.")
    var topicMembers = 8

    @Option(name: .customLong("topic-queries"), help: "get_peers per topic, from nodes that did not announce.")
    var topicQueries = 5

    @Option(name: .customLong("roster-gateways"), help: "Gateways running the real roster logic (TomGateway) over the DHT for virtual legacy clients; 0 (default) runs no roster workload.")
    var rosterGateways = 0

    @Option(name: .customLong("roster-registrations"), help: "Virtual legacy clients registering at random gateways (default \(RosterPlan.defaultRegistrations)).")
    var rosterRegistrations: Int?

    @Option(name: .customLong("roster-leave-share"), help: "Share of those clients that leave again (default \(RosterPlan.defaultLeaveShare)).")
    var rosterLeaveShare: Double?

    @Option(name: .customLong("roster-refresh"), help: "Simulated seconds between a gateway's pulls, like --gateway-refresh (default 15).")
    var rosterRefresh: String?

    @Option(help: "Simulated seconds of the measured phase (suffix s, m or h allowed).")
    var duration = "300"

    @Option(help: "Simulated seconds over which the nodes join.")
    var join = "60"

    @Option(help: "Simulated seconds between the last join and the measured phase (churn runs already).")
    var warmup = "120"

    @Option(help: "Simulated seconds between routing-health samples.")
    var sample = "30"

    @Option(name: .customLong("health-sample-size"), help: "Nodes whose routing tables each health sample checks.")
    var healthSampleSize = 100

    @Option(help: "Write the report as JSON to this file.")
    var json: String?

    @Option(help: "Write the report as a self-contained HTML page (inline SVG charts) to this file.")
    var html: String?

    @Option(name: .customLong("from-json"), help: "Do not simulate: read a report written with --json and print/write it again (e.g. to render its HTML with a newer tom-sim).")
    var fromJSON: String?

    @Flag(name: .customLong("run-info"), help: "Add wall time and memory to the reports (they are then not reproducible).")
    var runInfo = false

    @Flag(help: "No progress line on stderr.")
    var quiet = false

    @Option(name: .customLong("progress-seconds"), help: "Wall seconds between progress lines.")
    var progressSeconds = 2.0

    mutating func run() throws {
        if let fromJSON {
            let report = try JSONDecoder().decode(SimulationReport.self, from: Data(contentsOf: URL(fileURLWithPath: fromJSON)))
            try write(report)
            return
        }
        let options = try makeOptions()
        let clock = WallClock()
        var reporter = ProgressReporter(interval: quiet ? .infinity : progressSeconds, clock: clock)
        var simulation = Simulation(options: options)
        var report = simulation.run { progress in reporter.update(progress) }
        reporter.finish()
        let information = RunInformation(
            wallSeconds: clock.seconds,
            phaseWallSeconds: reporter.phaseWallSeconds,
            phaseCPUSeconds: reporter.phaseCPUSeconds,
            peakResidentMiB: ProcessMemory.peakResidentMiB(),
            host: ProcessInfo.processInfo.hostName
        )
        // Phases in run order, each with its wall and CPU seconds (CPU is the fairer figure on a busy machine).
        let phases = ["join", "warmup", "measure", "drain"].compactMap { phase in
            reporter.phaseWallSeconds[phase].map {
                String(format: "%@ %.1f s wall/%.1f s CPU", phase, $0, reporter.phaseCPUSeconds[phase] ?? 0)
            }
        }
        FileHandle.standardError.write(Data((String(format: "tom-sim: wall %.1f s, CPU %.1f s (", information.wallSeconds, ProcessCPU.seconds)
            + phases.joined(separator: ", ") + String(format: "), peak RSS %.0f MiB\n", information.peakResidentMiB)).utf8))
        if runInfo { report.run = information }
        try write(report)
    }

    private func write(_ report: SimulationReport) throws {
        print(report.summaryText(), terminator: "")
        if let json {
            try report.jsonData().write(to: URL(fileURLWithPath: json))
        }
        if let html {
            try Data(report.html().utf8).write(to: URL(fileURLWithPath: html))
        }
    }

    private func makeOptions() throws -> SimulationOptions {
        var options = SimulationOptions()
        options.nodes = nodes
        options.seed = seed
        let bounds = latencyMilliseconds.split(separator: "-", omittingEmptySubsequences: false)
        guard bounds.count == 2, let low = Int(bounds[0]), let high = Int(bounds[1]) else {
            throw ValidationError("--latency-ms must be MIN-MAX in milliseconds, e.g. 10-150")
        }
        options.latencyMinMilliseconds = low
        options.latencyMaxMilliseconds = high
        options.latencyDistribution = latency
        options.latencySigma = latencySigma
        options.loss = loss
        options.churnPerHour = churn
        options.vanillaShare = vanillaShare
        options.lookupRetries = lookupRetries
        if let partition {
            guard let plan = PartitionPlan(parsing: partition) else {
                throw ValidationError("--partition must be START+LENGTH[:SHARE], e.g. 60+120:0.3")
            }
            options.partition = plan
        }
        options.lookups = lookups
        options.puts = puts
        options.topics = topics
        options.topicMembers = topicMembers
        options.topicQueries = topicQueries
        if rosterGateways > 0 {
            var roster = RosterPlan(gateways: rosterGateways)
            if let rosterRegistrations { roster.registrations = rosterRegistrations }
            if let rosterLeaveShare { roster.leaveShare = rosterLeaveShare }
            if let rosterRefresh { roster.refreshSeconds = try seconds(rosterRefresh, "--roster-refresh") }
            options.roster = roster
        } else if rosterGateways < 0 {
            throw ValidationError("--roster-gateways must be 0 (off) or within 2...64")
        } else if rosterRegistrations != nil || rosterLeaveShare != nil || rosterRefresh != nil {
            throw ValidationError("--roster-registrations, --roster-leave-share and --roster-refresh need --roster-gateways")
        }
        options.durationSeconds = try seconds(duration, "--duration")
        options.joinSeconds = try seconds(join, "--join")
        options.warmupSeconds = try seconds(warmup, "--warmup")
        options.sampleSeconds = try seconds(sample, "--sample")
        options.healthSampleSize = healthSampleSize
        if let problem = options.problems.first { throw ValidationError(problem) }
        return options
    }

    private func seconds(_ text: String, _ name: String) throws -> Double {
        guard let value = PartitionPlan.seconds(Substring(text)) else {
            throw ValidationError("\(name) must be a duration such as 90, 90s, 5m or 1h")
        }
        return value
    }
}

extension SimulationOptions.LatencyShape: ExpressibleByArgument {}
