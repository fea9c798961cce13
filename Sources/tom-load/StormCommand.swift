import ArgumentParser

struct StormCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storm",
        abstract: "Measure how long a simultaneous registration of many clients takes to converge.",
        discussion: """
            Connects --clients clients without registering, then sends every register at once \
            and times how long until each client has received a participants list naming all \
            of them. Legacy servers send O(N^2) messages (O(N^3) bytes) for this.
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(help: "Number of clients registering at once.")
    var clients = 500

    func validate() throws {
        guard (1...100_000).contains(clients) else { throw ValidationError("--clients must be between 1 and 100000.") }
    }

    func run() async throws {
        _ = FileDescriptorLimit.raiseSoftLimitToHard()
        let counters = LoadCounters()
        let scenario = StormScenario(
            target: try common.target(), clientCount: clients, connectConcurrency: common.connectConcurrency,
            deadline: common.deadline, counters: counters)
        let clientCount = clients
        try await ScenarioRunner.run(label: "storm", options: common, counters: counters) {
            "connected \(counters.connected.value)/\(clientCount)"
                + " registered \(counters.registered.value)"
                + " converged \(counters.converged.value)"
                + " messages \(counters.messagesReceived.value)"
                + " MiB \(counters.bytesReceived.value >> 20)"
        } scenario: {
            await scenario.run()
        }
    }
}
