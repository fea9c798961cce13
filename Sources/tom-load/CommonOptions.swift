import ArgumentParser

/// Options every subcommand takes.
struct CommonOptions: ParsableArguments {
    @Option(help: "Server WebSocket URL (ws:// only).")
    var url: String = "ws://127.0.0.1:3001"

    @Option(help: "Give up after this many seconds, report what was measured, and exit non-zero.")
    var timeout: Int = 60

    @Option(help: "How many connection attempts may be in flight at once.")
    var connectConcurrency: Int = 50

    @Option(help: "PID of the server process, to report its RSS from /proc/PID/status.")
    var serverPid: Int32?

    @Flag(help: "Print the final summary as one JSON object.")
    var json = false

    func validate() throws {
        _ = try target()
        guard (1...86_400).contains(timeout) else {
            throw ValidationError("--timeout must be between 1 and 86400 seconds.")
        }
        guard (1...10_000).contains(connectConcurrency) else {
            throw ValidationError("--connect-concurrency must be between 1 and 10000.")
        }
        if let serverPid {
            guard ProcessMemory.read(pid: serverPid) != nil else {
                throw ValidationError("--server-pid \(serverPid): cannot read /proc/\(serverPid)/status.")
            }
        }
    }

    func target() throws -> ServerTarget {
        do {
            return try ServerTarget(url: url)
        } catch let error as ServerTarget.ParseError {
            throw ValidationError("--url \(url): \(error.reason)")
        }
    }

    var deadline: ContinuousClock.Instant {
        .now + .seconds(timeout)
    }
}
