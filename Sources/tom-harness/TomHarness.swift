import ArgumentParser
import Foundation

@main
struct TomHarness: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tom-harness",
        abstract: "Checks ToM signaling servers: the legacy protocol, and a seed's migration onto DHT peers.",
        discussion: """
            Each subcommand prints one line per case or step (PASS/FAIL name (ms) reason) and \
            'N passed, M failed' last; the exit code is 0 only when everything passed, 1 when \
            something failed, 2 for bad arguments or a node that could not be started. See \
            Docs/migration.md, section 'Test harness'.
            """,
        subcommands: [ConformanceCommand.self, MigrateCommand.self]
    )

    /// Test failures exit 1 (thrown as `ExitCode(1)` by the subcommands); usage errors and
    /// harness problems exit 2 with one line on standard error.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as HarnessError {
            FileHandle.standardError.write(Data("tom-harness: \(error)\n".utf8))
            Self.exit(withError: ExitCode(2))
        } catch {
            if exitCode(for: error) == .validationFailure {
                let line = message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
                FileHandle.standardError.write(Data("tom-harness: \(line) (see tom-harness --help)\n".utf8))
                Self.exit(withError: ExitCode(2))
            }
            Self.exit(withError: error)
        }
    }
}
