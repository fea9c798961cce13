import ArgumentParser
import NIOPosix

struct RelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Measure signal relay throughput and latency between registered clients.",
        discussion: """
            Connects and registers --clients clients, waits until each has seen a participants \
            list naming all of them, then every client sends --signals signals to random peers, \
            keeping at most --window undelivered signals in flight. Latency is measured from \
            the send time embedded in each signal to its arrival at the receiving client. \
            With --server-pid, the server's CPU per signal is reported beside the tool's own. \
            The server's default per-connection limits (--message-burst 500, --message-rate \
            100/s) close clients that send many more than 500 signals quickly.
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(help: "Number of clients (at least 2).")
    var clients = 200

    @Option(help: "Signals each client sends.")
    var signals = 500

    @Option(help: "Padding bytes in each signal's payload.")
    var payloadBytes = 200

    @Option(help: "Most undelivered signals one client keeps in flight.")
    var window = 64

    @Option(
        help: """
            Event-loop threads that run the clients. One costs the least CPU per signal (no hops \
            between loops, larger write batches) and leaves the other cores to the server.
            """)
    var eventLoops = 1

    func validate() throws {
        guard (2...100_000).contains(clients) else { throw ValidationError("--clients must be between 2 and 100000.") }
        guard (1...10_000_000).contains(signals) else { throw ValidationError("--signals must be between 1 and 10000000.") }
        guard (0...(16 << 20)).contains(payloadBytes) else {
            throw ValidationError("--payload-bytes must be between 0 and 16777216.")
        }
        guard (1...100_000).contains(window) else { throw ValidationError("--window must be between 1 and 100000.") }
        guard (1...256).contains(eventLoops) else { throw ValidationError("--event-loops must be between 1 and 256.") }
    }

    func run() async throws {
        _ = FileDescriptorLimit.raiseSoftLimitToHard()
        let counters = LoadCounters()
        let eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: eventLoops)
        defer {
            // Every connection is closed by now: the threads just stop.
            eventLoopGroup.shutdownGracefully { _ in }
        }
        let scenario = RelayScenario(
            target: try common.target(), clientCount: clients, signalsPerClient: signals,
            payloadBytes: payloadBytes, window: window, connectConcurrency: common.connectConcurrency,
            serverPid: common.serverPid, deadline: common.deadline, counters: counters,
            eventLoopGroup: eventLoopGroup)
        let clientCount = clients
        try await ScenarioRunner.run(label: "relay", options: common, counters: counters) {
            "connected \(counters.connected.value)/\(clientCount)"
                + " converged \(counters.converged.value)"
                + " sent \(counters.signalsSent.value)"
                + " delivered \(counters.signalsDelivered.value)"
                + " errors \(counters.serverErrors.value + counters.sendErrors.value + counters.connectFailures.value)"
        } scenario: {
            await scenario.run()
        }
    }
}
