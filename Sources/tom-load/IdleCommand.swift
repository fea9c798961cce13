import ArgumentParser

struct IdleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle",
        abstract: "Hold many idle (registered) connections and report what stays open and its memory cost.",
        discussion: """
            Raises this process's RLIMIT_NOFILE soft limit to the hard limit first. With \
            --server-pid, reads the server's VmRSS before connecting and after the hold, and \
            prints RSS per open connection.
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(help: "Number of connections to open.")
    var clients = 10_000

    @Option(help: "Seconds to hold the connections open once connected.")
    var holdSeconds = 10

    @Flag(inversion: .prefixedNo, help: "Register each connection after connecting.")
    var register = true

    func validate() throws {
        guard (1...1_000_000).contains(clients) else { throw ValidationError("--clients must be between 1 and 1000000.") }
        guard (0...86_400).contains(holdSeconds) else {
            throw ValidationError("--hold-seconds must be between 0 and 86400.")
        }
        guard holdSeconds < common.timeout else {
            throw ValidationError("--hold-seconds (\(holdSeconds)) must be shorter than --timeout (\(common.timeout)).")
        }
    }

    func run() async throws {
        let counters = LoadCounters()
        let scenario = IdleScenario(
            target: try common.target(), clientCount: clients, register: register, hold: .seconds(holdSeconds),
            connectConcurrency: common.connectConcurrency, serverPid: common.serverPid,
            deadline: common.deadline, counters: counters)
        let clientCount = clients
        try await ScenarioRunner.run(label: "idle", options: common, counters: counters) {
            "connected \(counters.connected.value)/\(clientCount)"
                + " open \(counters.open.value)"
                + " registered \(counters.registered.value)"
                + " failures \(counters.connectFailures.value)"
                + " unexpected-closes \(counters.unexpectedCloses.value)"
        } scenario: {
            await scenario.run()
        }
    }
}
