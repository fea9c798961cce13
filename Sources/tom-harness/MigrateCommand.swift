import ArgumentParser
import Foundation

/// `tom-harness migrate`: a seed's clients move onto DHT peers, checked step by step.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Runs a seed-to-peers transition on processes it starts on 127.0.0.1, or checks running nodes (--targets).",
        discussion: """
            Without --targets: starts one seed and --peers peers (tom-node from --tom-node), then \
            a. clients register at the seed and exchange signals; b. the seed degrades (POST \
            /admin/degrade); c. more clients join at the peers; d. every client lists every other \
            and signals cross nodes; e. the seed is killed and its clients reconnect to the peers \
            with the same nodeIds; f. every client ends with the same list, and every signal was \
            delivered or answered with an error. With --targets: steps c, d and f against the \
            given nodes, which are left as they are.
            """
    )

    @Option(help: "Comma-separated ws://HOST:PORT of running nodes to check instead of starting processes.")
    var targets: String?

    @Option(help: "Path of tom-node. (default: tom-node next to tom-harness)")
    var tomNode: String?

    @Option(help: "Peers to start beside the seed.")
    var peers: Int = 3

    @Option(help: "Clients in all: half start on the seed, the rest on the peers (with --targets: spread over the targets).")
    var clients: Int = 6

    @Option(help: "Seconds each step may take to converge.")
    var timeout: Double = 20

    @Option(help: "--link-grace for the nodes started (seconds a dropped gateway stays listed).")
    var linkGrace: Int = 5

    @Option(help: "--gateway-refresh for the nodes started.")
    var gatewayRefresh: Int = 5

    @Option(help: "Topic of the nodes started. (default: a fresh random one per run)")
    var topic: String?

    @Option(help: "Log level of the nodes started.")
    var nodeLogLevel: String = "info"

    @Flag(help: "Keep the work directory (node logs and data) even when everything passed.")
    var keep = false

    @Option(help: "Write every message each client saw to FILE (seconds, client, direction, text; tab-separated).")
    var transcript: String?

    func validate() throws {
        guard (1...64).contains(peers) else { throw ValidationError("--peers must be 1...64") }
        guard (2...1000).contains(clients) else { throw ValidationError("--clients must be 2...1000") }
        guard timeout > 0, timeout <= 600 else { throw ValidationError("--timeout must be in (0, 600] seconds") }
        guard (0...600).contains(linkGrace) else { throw ValidationError("--link-grace must be 0...600") }
        guard (1...3600).contains(gatewayRefresh) else { throw ValidationError("--gateway-refresh must be 1...3600") }
        if let targets {
            let list = try parsedTargets(targets)
            guard !list.isEmpty else { throw ValidationError("--targets lists no node") }
        }
    }

    private func parsedTargets(_ text: String) throws -> [ServerAddress] {
        do {
            return try text.split(separator: ",").map { try ServerAddress(url: String($0.trimmingCharacters(in: .whitespaces))) }
        } catch {
            throw ValidationError("--targets: \(error)")
        }
    }

    func run() async throws {
        let transcript: Transcript
        do {
            transcript = try Transcript(path: self.transcript)
        } catch {
            throw ValidationError("\(error)")
        }
        let session = MeshSession(transcript: transcript, timeout: .milliseconds(Int64(timeout * 1000)))
        let runner = StepRunner()
        let clock = ContinuousClock()
        let start = clock.now
        let tally: SignalLedger.Tally?
        let scope: String
        if let targets {
            let addresses = try parsedTargets(targets)
            scope = "\(addresses.count) running nodes, \(clients) clients"
            ResultLine.emit("# migrate --targets \(addresses.map(\.description).joined(separator: ","))")
            tally = await TargetMigration(targets: addresses, session: session, clientCount: clients).run(runner)
        } else {
            let network = try await startNetwork()
            // Installed before the first wait, so Ctrl-C never leaves nodes behind.
            let interruptGuard = InterruptGuard(nodes: network.all, workDirectory: network.workDirectory)
            try await network.awaitHealthy(within: .seconds(15))
            scope = "1 seed + \(peers) peers, \(clients) clients"
            tally = await LocalMigration(
                network: network, session: session, clientCount: clients, linkGrace: .seconds(linkGrace)
            ).run(runner)
            await session.stopAll()
            await network.stopAll()
            withExtendedLifetime(interruptGuard) {}
            if keep || runner.hasFailed {
                ResultLine.emit("# node logs and data kept in \(network.workDirectory)")
            } else {
                try? FileManager.default.removeItem(atPath: network.workDirectory)
            }
        }
        await session.stopAll()
        await transcript.close()
        let seconds = Double(ResultLine.milliseconds(clock.now - start)) / 1000
        ResultLine.emit(
            "migrate: \(runner.hasFailed ? "FAILED" : "ok") in \(String(format: "%.1f", seconds)) s (\(scope))"
                + (tally.map { "; \($0)" } ?? ""))
        ResultLine.emit(runner.summary)
        if runner.hasFailed { throw ExitCode(1) }
    }

    private func startNetwork() async throws -> LocalNetwork {
        let binary = tomNode ?? Self.siblingTomNode()
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw HarnessError("tom-node not found at \(binary) (build it, or pass --tom-node)")
        }
        let plan = LocalNetworkPlan(
            binary: binary, peers: peers, topic: topic ?? "tom-harness-\(RandomHex.make(bytes: 6))",
            gatewayRefresh: gatewayRefresh, linkGrace: linkGrace, logLevel: nodeLogLevel,
            workDirectory: try LocalNetwork.makeWorkDirectory())
        let network = try await LocalNetwork.start(plan)
        ResultLine.emit("# work dir \(network.workDirectory), topic \(plan.topic)")
        for node in network.all {
            ResultLine.emit("# \(node.name): \(node.address) dht 127.0.0.1:\(node.dhtPort) pid \(node.pid)")
        }
        return network
    }

    /// tom-node in the same build directory as this executable.
    static func siblingTomNode() -> String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("tom-node").path
    }
}
